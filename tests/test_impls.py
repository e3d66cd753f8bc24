"""Every registered implementation computes the same, correct gradient step.

The notes' code as written (finite `safe_abs_z`) is left out of the awkward
inputs (|z| up to 1000) and the wide property test: tests/test_notes_as_written.py
shows where it breaks and checks it within its safe range.
"""

import math
from operator import attrgetter

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from impls import IMPLEMENTATIONS, UNAVAILABLE, Gradient, Problem, relative_error, validate
from impls.core import AGREEMENT_RTOL
from tests.conftest import awkward_problems, problems, random_problem

ALL_IMPLS = list(IMPLEMENTATIONS.values())
CAREFUL = [impl for impl in ALL_IMPLS if math.isinf(impl.safe_abs_z)]  # accurate for any finite z
reference_step = IMPLEMENTATIONS["fully_vectorized"].step
by_name = pytest.mark.parametrize("impl", ALL_IMPLS, ids=attrgetter("name"))
careful_by_name = pytest.mark.parametrize("impl", CAREFUL, ids=attrgetter("name"))


AWKWARD = awkward_problems()


def test_the_jax_peer_is_registered_or_says_why_not() -> None:
    if "jax_peer" not in IMPLEMENTATIONS:
        pytest.skip(f"jax_peer is not in this environment's registry: {UNAVAILABLE['jax_peer']}")
    assert IMPLEMENTATIONS["jax_peer"].peer and "jax_peer" not in UNAVAILABLE  # so the tests below cover it


def test_registry_starts_with_the_notes_three_careful_then_as_written() -> None:
    assert list(IMPLEMENTATIONS)[:6] == [
        "double_loop",
        "features_vectorized",
        "fully_vectorized",
        "notes_double_loop",
        "notes_features_vectorized",
        "notes_fully_vectorized",
    ]
    assert {impl.name for impl in ALL_IMPLS if impl not in CAREFUL} == set(list(IMPLEMENTATIONS)[3:6])
    for impl in ALL_IMPLS:
        assert impl.description and "\n" not in impl.description


@careful_by_name
@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", AWKWARD)
def test_agrees_with_fully_vectorized(impl, name: str) -> None:
    X, Y, w, b = AWKWARD[name]
    got = impl.step(X, Y, w, b)
    assert isinstance(got, Gradient)
    assert got.dw.shape == w.shape
    assert type(got.db) is float and type(got.cost) is float
    assert math.isfinite(got.cost) and got.cost >= 0.0
    assert relative_error(got, reference_step(X, Y, w, b)) <= 1e-9


@careful_by_name
@pytest.mark.filterwarnings("error")
def test_extreme_z_is_exact(impl) -> None:
    # z = +1000 and -1000: sigmoid is exactly 1 and 0, the loss exactly 0 or 1000.
    X, w = np.array([[1.0, -1.0]]), np.array([[1000.0]])
    right = impl.step(X, np.array([[1.0, 0.0]]), w, 0.0)
    assert right.cost == 0.0 and right.db == 0.0 and right.dw[0, 0] == 0.0
    wrong = impl.step(X, np.array([[0.0, 1.0]]), w, 0.0)
    assert wrong.cost == 1000.0  # (1000 + 1000) / 2
    assert wrong.db == 0.0  # dz = (1, -1)
    assert wrong.dw[0, 0] == 1.0  # (1 * 1 + (-1) * (-1)) / 2


@by_name
def test_hand_computed_at_zero_weights(impl) -> None:
    # w = 0, b = 0: every A is 1/2, J = log 2, dw = X (1/2 - Y).T / m, db = mean(1/2 - Y).
    X, Y, w, _ = random_problem(n_x=4, m=9, seed=3)
    got = impl.step(X, Y, np.zeros_like(w), 0.0)
    np.testing.assert_allclose(got.dw, X @ (0.5 - Y).T / 9, rtol=1e-12)
    assert got.db == pytest.approx(float(np.mean(0.5 - Y)), rel=1e-12)
    assert got.cost == pytest.approx(math.log(2.0), rel=1e-12)


@by_name
def test_gradient_matches_central_differences(impl) -> None:
    X, Y, w, b = random_problem(n_x=5, m=30, seed=4, z_scale=3.0)
    got = impl.step(X, Y, w, b)
    h = 1e-6

    def cost(w_: np.ndarray, b_: float) -> float:
        return impl.step(X, Y, w_, b_).cost

    for j in range(w.shape[0]):
        e = np.zeros_like(w)
        e[j] = h
        numeric = (cost(w + e, b) - cost(w - e, b)) / (2 * h)
        assert got.dw[j, 0] == pytest.approx(numeric, rel=1e-6, abs=1e-9)
    assert got.db == pytest.approx((cost(w, b + h) - cost(w, b - h)) / (2 * h), rel=1e-6, abs=1e-9)


@by_name
def test_step_does_not_mutate_its_inputs(impl, problem: Problem) -> None:
    copies = [np.copy(a) for a in problem[:3]]
    impl.step(*problem)
    for before, after in zip(copies, problem[:3], strict=True):
        np.testing.assert_array_equal(before, after)


@careful_by_name
@settings(max_examples=200, deadline=None)
@given(p=problems())
@example(p=validate([[-7.0], [27.0]], [[1.0]], [[-1.0], [26.0]], 0.0))  # z = 709: dz = e^-709 is subnormal
def test_property_agreement_and_bounds(impl, p: Problem) -> None:
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is fine
        got = impl.step(*p)
        ref = reference_step(*p)
    if impl.peer:
        # scikit-learn's loss switches to z + exp(-z) - y z for z > 18, which keeps
        # only ~1e-16 |z| absolute accuracy where the cost is tiny; ours keeps it relative.
        max_abs_z = float(np.max(np.abs(p.w.T @ p.X + p.b)))
        assert got.cost == pytest.approx(ref.cost, rel=1e-9, abs=1e-15 * max_abs_z)
        got = got._replace(cost=ref.cost)
        # XLA on the CPU flushes subnormal numbers to zero: where |z| > 708, dz = e^-|z| is subnormal and counts
        # as 0, so each term x dz / m may be lost, and dw_j may be off by at most mean |x_j| times the smallest
        # normal number (z = 709 gave JAX dw = 0 against 3.3e-307). Past that, the relative bound below.
        tiny = float(np.finfo(p.X.dtype).tiny)
        flushed = np.abs(got.dw - ref.dw)[:, 0] <= np.abs(p.X).mean(axis=1) * tiny
        got = got._replace(
            dw=np.where(flushed[:, None], ref.dw, got.dw), db=ref.db if abs(got.db - ref.db) <= tiny else got.db
        )
    assert relative_error(got, ref, p) <= 1e-9
    # dz lies in [-1, 1], so each |dw_j| is at most the mean |x_j|.
    assert np.all(np.abs(got.dw[:, 0]) <= np.abs(p.X).mean(axis=1) * (1 + 1e-12))
    assert abs(got.db) <= 1.0 + 1e-12
    assert got.cost >= 0.0


# --- float32 ---


def as_float32(problem: Problem) -> Problem:
    X, Y, w, b = problem
    return validate(X.astype(np.float32), Y, w, b)  # Y and w follow X's dtype


def float32_problems() -> dict[str, Problem]:
    """Awkward problems in float32, with |z| up to 80: float32's exp(|z|) overflows near 88.7."""
    rng = np.random.default_rng(8)
    big = as_float32(random_problem(n_x=5, m=40, seed=9, z_scale=80.0))
    return {
        "random": as_float32(random_problem(n_x=13, m=101)),
        "one_example": as_float32(random_problem(n_x=6, m=1)),
        "one_by_one": as_float32(random_problem(n_x=1, m=1)),
        "all_labels_1": as_float32(
            validate(rng.standard_normal((4, 20)), np.ones((1, 20)), rng.standard_normal((4, 1)))
        ),
        "z_near_80": big,
        "z_near_80_flipped": validate(big.X, 1.0 - big.Y, big.w, big.b),
        "z_exactly_pm80": validate(np.array([[1.0, -1.0, 1.0]], np.float32), [[1.0, 0.0, 0.0]], [[80.0]], 0.0),
        "wide": as_float32(random_problem(n_x=300, m=3)),
    }


FLOAT32 = float32_problems()


@careful_by_name  # the notes' naive math breaks sooner in float32 (a rounds to 1 near z = 17): not held to it
@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", FLOAT32)
def test_float32_agrees_with_float64_on_the_same_values(impl, name: str) -> None:
    problem = FLOAT32[name]
    assert problem.X.dtype == problem.Y.dtype == problem.w.dtype == np.float32
    got = impl.step(*impl.prepare(problem))
    reference = reference_step(*(np.asarray(a, np.float64) for a in problem[:3]), problem.b)
    assert type(got.db) is float and type(got.cost) is float and math.isfinite(got.cost)
    assert got.dw.dtype == (np.float32 if impl.float32 else np.float64), "computes in float32 iff it says so"
    assert relative_error(got, reference, problem) <= AGREEMENT_RTOL["float32"]


@careful_by_name  # the notes' naive math breaks sooner in float32 (a rounds to 1 near z = 17): not held to it
@pytest.mark.filterwarnings("error")
def test_float32_at_z_80_is_right_to_float32_precision(impl) -> None:
    # z = +80 and -80: sigmoid is 1 - e^-80 and e^-80 (e^-80 = 1.8e-35 is a normal float32), the loss e^-80 or 80.
    X, w = np.array([[1.0, -1.0]], np.float32), np.array([[80.0]], np.float32)
    right = impl.step(*impl.prepare(validate(X, [[1.0, 0.0]], w, 0.0)))
    assert 0.0 <= right.cost <= 1e-30 and abs(right.db) <= 1e-30 and abs(right.dw[0, 0]) <= 1e-30
    wrong = impl.step(*impl.prepare(validate(X, [[0.0, 1.0]], w, 0.0)))
    assert wrong.cost == pytest.approx(80.0, rel=1e-6)
    assert abs(wrong.db) <= 1e-6 and wrong.dw[0, 0] == pytest.approx(1.0, rel=1e-6)


@st.composite
def float32_range_problems(draw: st.DrawFn) -> Problem:
    """Problems with |z| <= 8 * 3 * 3 + 3 = 75: beyond about 87, e^-|z| is below float32's normal numbers."""
    n_x = draw(st.integers(1, 8))
    m = draw(st.integers(1, 40))
    values = st.floats(-3.0, 3.0, allow_nan=False, allow_subnormal=False, width=32)
    X = draw(arrays(np.float32, (n_x, m), elements=values))
    Y = draw(arrays(np.float32, (1, m), elements=st.sampled_from([0.0, 1.0])))
    w = draw(arrays(np.float32, (n_x, 1), elements=values))
    return validate(X, Y, w, draw(values))


@careful_by_name  # the notes' naive math breaks sooner in float32 (a rounds to 1 near z = 17): not held to it
@settings(max_examples=100, deadline=None)
@given(p32=float32_range_problems())
def test_property_float32_agreement(impl, p32: Problem) -> None:
    X, Y, w = (np.asarray(a, np.float64) for a in p32[:3])  # the same values, in float64
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = impl.step(*impl.prepare(p32))
        ref = reference_step(X, Y, w, p32.b)
    assert relative_error(got, ref, p32) <= AGREEMENT_RTOL["float32"]


def test_results_below_float32s_normal_numbers_are_compared_against_them() -> None:
    p64 = validate([[10.0]], [[1.0]], [[10.0]])  # z = 100: dz = -e^-100 = -3.7e-44, a float32 subnormal
    exact = reference_step(*p64)
    off = exact._replace(dw=exact.dw * 1.02)
    assert relative_error(off, exact, p64) == pytest.approx(0.02)  # float64 holds e^-100 to 16 digits
    assert relative_error(off, exact, as_float32(p64)) < 1e-6  # float32 holds it to 2: no error to speak of
