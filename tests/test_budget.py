"""Predicting a case's time from smaller measured sizes."""

import pytest

from bench.measure.budget import Predictor, calls_per_case
from bench.measure.profiles import PROFILES
from impls.core import DTYPES


def test_prediction_scales_linearly_in_m_at_the_same_n_x() -> None:
    predictor = Predictor()
    predictor.record("double_loop", 100, 10, 0.01)
    predictor.record("double_loop", 1000, 10, 0.05)
    predictor.record("double_loop", 1000, 100, 0.2)
    assert predictor.predict("double_loop", 10_000, 10) == pytest.approx(0.5)  # from m=1000, not m=100


def test_the_prediction_is_the_smaller_of_scaling_along_m_and_along_n_x() -> None:
    # a per-example cost (features_vectorized: a numpy call per example) makes scaling along m costly, not along n_x
    predictor = Predictor()
    predictor.record("features_vectorized", 100, 100, 0.0004)
    predictor.record("features_vectorized", 1000, 10, 0.004)
    predictor.record("features_vectorized", 1000, 100, 0.004)
    assert predictor.predict("features_vectorized", 100, 1000) == pytest.approx(0.004)  # along n_x: 10x
    assert predictor.predict("features_vectorized", 10_000, 100) == pytest.approx(0.04)  # along m: 10x
    # both apply at (1000, 1000): along m from (100, 1000) gives 0.005 s, along n_x from (1000, 100) 0.04 s
    predictor.record("features_vectorized", 100, 1000, 0.0005)
    assert predictor.predict("features_vectorized", 1000, 1000) == pytest.approx(0.005)


def test_with_neither_the_same_m_nor_the_same_n_x_prediction_scales_by_the_work() -> None:
    predictor = Predictor()
    predictor.record("double_loop", 1000, 10, 0.05)
    assert predictor.predict("double_loop", 10_000, 100) == pytest.approx(5.0)


def test_nothing_measured_means_no_prediction() -> None:
    predictor = Predictor()
    predictor.record("double_loop", 1000, 10, 0.05)
    assert predictor.predict("numba_loop", 1000, 10) is None
    assert predictor.predict("double_loop", 10, 10) is None  # only larger sizes measured


def test_a_narrower_dtype_is_predicted_from_its_own_sizes_or_float64s_whichever_is_less() -> None:
    predictor = Predictor()
    predictor.record("numba_fused", 1000, 10, 0.002)
    assert predictor.predict("numba_fused", 10_000, 10, "float32") == pytest.approx(0.02)  # float64's: errs high
    predictor.record("numba_fused", 1000, 10, 0.001, "float32")
    assert predictor.predict("numba_fused", 10_000, 10, "float32") == pytest.approx(0.01)
    assert predictor.predict("numba_fused", 10_000, 10) == pytest.approx(0.02)  # float64 keeps its own
    # a float32 size scaled from a stalled small one is bounded by float64's measured time at the same size
    predictor.record("sklearn_peer", 10_000, 100, 0.0084, "float32")  # an 8 ms stall
    predictor.record("sklearn_peer", 1_000_000, 100, 0.13)
    assert predictor.predict("sklearn_peer", 1_000_000, 100, "float32") == pytest.approx(0.13)


@pytest.mark.parametrize("name", PROFILES)
def test_profiles_sweep_small_to_large_within_their_bound(name: str) -> None:
    grid = PROFILES[name]
    sizes = grid.sizes()
    work = [m * n_x for m, n_x in sizes]
    assert work == sorted(work)
    assert max(work) <= grid.max_elements
    assert len(sizes) >= 6


@pytest.mark.parametrize("name", PROFILES)
def test_every_dtype_a_profile_names_is_measured_where_it_says(name: str) -> None:
    grid = PROFILES[name]
    assert set(grid.dtypes) <= set(DTYPES)
    for at in grid.dtypes_at:
        assert at.dtype in DTYPES
        assert set(at.sizes) <= set(grid.sizes()), "a size the grid lacks would silently measure nothing"


def test_the_default_profile_measures_float32_where_x_streams_from_memory_and_where_loops_run() -> None:
    grid = PROFILES["default"]
    float32 = [(m, n_x) for m, n_x, dtype in grid.cases("fully_vectorized") if dtype == "float32"]
    l3_bytes = 32 * 2**20
    assert any(4 * m * n_x > 4 * l3_bytes for m, n_x in float32)  # X far beyond the last-level cache
    assert any(m * n_x <= 10**6 for m, n_x in float32)  # small enough for the double loop's budget: a verdict


def test_quick_profile_is_what_the_issue_promises() -> None:
    grid = PROFILES["quick"]
    assert max(grid.m) <= 10_000
    assert set(grid.n_x) == {10, 100}


def test_a_case_costs_its_rounds_and_a_calibration_per_pass_plus_one_agreement_check() -> None:
    assert calls_per_case(passes=3, min_rounds=3) == 13
    assert calls_per_case(passes=1, min_rounds=5) == 7
