"""Every registered implementation computes the same, correct gradient step.

The notes' code as written (finite `safe_abs_z`) is left out of the awkward
inputs (|z| up to 1000) and the wide property test: tests/test_notes_as_written.py
shows where it breaks and checks it within its safe range.
"""

import math
from operator import attrgetter

import numpy as np
import pytest
from hypothesis import given, settings

from impls import IMPLEMENTATIONS, Gradient, Problem, relative_error
from tests.conftest import awkward_problems, problems, random_problem

ALL_IMPLS = list(IMPLEMENTATIONS.values())
CAREFUL = [impl for impl in ALL_IMPLS if math.isinf(impl.safe_abs_z)]  # accurate for any finite z
reference_step = IMPLEMENTATIONS["fully_vectorized"].step
by_name = pytest.mark.parametrize("impl", ALL_IMPLS, ids=attrgetter("name"))
careful_by_name = pytest.mark.parametrize("impl", CAREFUL, ids=attrgetter("name"))


AWKWARD = awkward_problems()


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
    assert relative_error(got, ref, p) <= 1e-9
    # dz lies in [-1, 1], so each |dw_j| is at most the mean |x_j|.
    assert np.all(np.abs(got.dw[:, 0]) <= np.abs(p.X).mean(axis=1) * (1 + 1e-12))
    assert abs(got.db) <= 1.0 + 1e-12
    assert got.cost >= 0.0
