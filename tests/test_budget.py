"""Predicting a case's time from smaller measured sizes."""

import pytest

from bench.budget import Predictor, calls_per_case
from bench.profiles import PROFILES


def test_prediction_scales_linearly_in_m_at_the_same_n_x() -> None:
    predictor = Predictor()
    predictor.record("double_loop", 100, 10, 0.01)
    predictor.record("double_loop", 1000, 10, 0.05)
    predictor.record("double_loop", 1000, 100, 0.2)
    assert predictor.predict("double_loop", 10_000, 10) == pytest.approx(0.5)  # from m=1000, not m=100


def test_without_the_same_n_x_prediction_scales_by_the_work() -> None:
    predictor = Predictor()
    predictor.record("double_loop", 1000, 10, 0.05)
    assert predictor.predict("double_loop", 1000, 100) == pytest.approx(0.5)


def test_nothing_measured_means_no_prediction() -> None:
    predictor = Predictor()
    predictor.record("double_loop", 1000, 10, 0.05)
    assert predictor.predict("numba_loop", 1000, 10) is None
    assert predictor.predict("double_loop", 10, 10) is None  # only larger sizes measured


@pytest.mark.parametrize("name", PROFILES)
def test_profiles_sweep_small_to_large_within_their_bound(name: str) -> None:
    grid = PROFILES[name]
    sizes = grid.sizes()
    work = [m * n_x for m, n_x in sizes]
    assert work == sorted(work)
    assert max(work) <= grid.max_elements
    assert len(sizes) >= 6


def test_quick_profile_is_what_the_issue_promises() -> None:
    grid = PROFILES["quick"]
    assert max(grid.m) <= 10_000
    assert set(grid.n_x) == {10, 100}


def test_a_case_costs_its_rounds_and_a_calibration_per_pass_plus_one_agreement_check() -> None:
    assert calls_per_case(passes=3, min_rounds=3) == 13
    assert calls_per_case(passes=1, min_rounds=5) == 7
