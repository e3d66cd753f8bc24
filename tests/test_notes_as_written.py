"""The notes' code as written: accurate within its safe range, and exactly where it breaks beyond it."""

import math
from operator import attrgetter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.measure.problems import make_problem
from bench.measure.profiles import PROFILES
from impls import IMPLEMENTATIONS, Problem, relative_error, validate
from impls.notes_math import A_ROUNDS_TO_ONE_Z, EXP_OVERFLOWS_Z, SAFE_ABS_Z
from tests.conftest import awkward_problems, problems

AS_WRITTEN = [impl for impl in IMPLEMENTATIONS.values() if math.isfinite(impl.safe_abs_z)]
reference_step = IMPLEMENTATIONS["fully_vectorized"].step
as_written = pytest.mark.parametrize("impl", AS_WRITTEN, ids=attrgetter("name"))


def max_abs_z(problem: Problem) -> float:
    X, _, w, b = problem
    return float(np.max(np.abs(w.T @ X + b)))


def one_example(z: float, y: float) -> Problem:
    """m = 1, n_x = 1, x = 1: z is exactly w."""
    return validate([[1.0]], [[y]], [[z]], 0.0)


def test_the_notes_family_is_the_notes_three() -> None:
    assert [impl.name for impl in AS_WRITTEN] == [
        "notes_double_loop",
        "notes_features_vectorized",
        "notes_fully_vectorized",
    ]
    assert [impl.loops_removed for impl in AS_WRITTEN] == [0, 1, 2]


SAFE_AWKWARD = {name: p for name, p in awkward_problems().items() if max_abs_z(p) <= SAFE_ABS_Z}


def test_the_awkward_problems_left_out_are_the_large_z_ones() -> None:
    assert set(awkward_problems()) - set(SAFE_AWKWARD) == {"z_near_1000", "z_near_1000_flipped", "z_exactly_pm1000"}


@as_written
@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", SAFE_AWKWARD)
def test_agrees_on_the_awkward_shapes_within_the_safe_range(impl, name: str) -> None:
    X, Y, w, b = SAFE_AWKWARD[name]
    got = impl.step(X, Y, w, b)
    assert got.dw.shape == w.shape and type(got.db) is float and type(got.cost) is float
    assert relative_error(got, reference_step(X, Y, w, b)) <= 1e-9


@st.composite
def safe_problems(draw: st.DrawFn) -> Problem:
    """`problems`, with w and b scaled down so that max |z| <= SAFE_ABS_Z: the edge of the safe range is reached."""
    X, Y, w, b = draw(problems())
    scale = min(1.0, SAFE_ABS_Z / max(max_abs_z(Problem(X, Y, w, b)), 1e-300))
    return validate(X, Y, w * scale, b * scale)


@as_written
@settings(max_examples=200, deadline=None)
@given(p=safe_problems())
def test_property_agrees_within_the_safe_range(impl, p: Problem) -> None:
    assert max_abs_z(p) <= SAFE_ABS_Z * (1 + 1e-12)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is fine
        got = impl.step(*p)
    assert relative_error(got, reference_step(*p), p) <= 1e-9


@as_written
@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_the_safe_range_is_where_a_confident_example_still_agrees(impl, y: float) -> None:
    # Right and confident: the loss, about e^-|z|, carries the rounding of `a` (about 1e-16),
    # a relative error of about 2e-16 e^|z|: 7e-10 at |z| = 15, 1e-5 at 25.
    sign = 1.0 if y == 1.0 else -1.0
    at_edge = one_example(sign * SAFE_ABS_Z, y)
    assert relative_error(impl.step(*at_edge), reference_step(*at_edge)) <= 1e-9
    beyond = one_example(sign * 25.0, y)
    assert relative_error(impl.step(*beyond), reference_step(*beyond)) > 1e-6


@as_written
@pytest.mark.filterwarnings("error")
def test_nothing_breaks_just_inside_the_failure_points(impl) -> None:
    for z, y in ((A_ROUNDS_TO_ONE_Z - 0.05, 0.0), (A_ROUNDS_TO_ONE_Z - 0.05, 1.0), (EXP_OVERFLOWS_Z + 0.05, 1.0)):
        assert math.isfinite(impl.step(*one_example(z, y)).cost)


@as_written
def test_log_of_one_minus_a_is_minus_inf_once_a_rounds_to_1(impl) -> None:
    assert round(A_ROUNDS_TO_ONE_Z, 2) == 36.74  # as the docstrings say
    with pytest.warns(RuntimeWarning, match="divide by zero encountered in log"):
        wrong = impl.step(*one_example(A_ROUNDS_TO_ONE_Z + 0.05, 0.0))
    assert wrong.cost == math.inf  # the true cost is 36.79
    with pytest.warns(RuntimeWarning) as warned:
        right = impl.step(*one_example(A_ROUNDS_TO_ONE_Z + 0.05, 1.0))
    assert math.isnan(right.cost)  # (1 - y) log(1 - a) = 0 * -inf; the true cost is 1e-16
    messages = {str(w.message) for w in warned}
    assert "divide by zero encountered in log" in messages
    assert any(m.startswith("invalid value encountered in") and "multiply" in m for m in messages)


@as_written
def test_exp_overflows_below_minus_709(impl) -> None:
    assert round(EXP_OVERFLOWS_Z, 2) == -709.78
    with pytest.warns(RuntimeWarning) as warned:
        got = impl.step(*one_example(EXP_OVERFLOWS_Z - 0.05, 1.0))
    assert "overflow encountered in exp" in {str(w.message) for w in warned}
    assert got.cost == math.inf  # a = 1 / inf = 0, log(0) = -inf; the true cost is 709.8


def profile_sizes_up_to(elements: int) -> list[tuple[int, int]]:
    return sorted({size for grid in PROFILES.values() for size in grid.sizes() if size[0] * size[1] <= elements})


@pytest.mark.parametrize(("m", "n_x"), profile_sizes_up_to(10**7))
def test_the_sweeps_data_keeps_z_well_inside_the_safe_range(m: int, n_x: int) -> None:
    # 5 inside: the naive cost's error bound, 2e-16 e^|z|, stays 150x under the 1e-9 agreement.
    assert max_abs_z(make_problem(m, n_x)) <= SAFE_ABS_Z - 5
