"""The analysis, on synthetic runs with known times."""

import numpy as np
import pandas as pd
import pytest

from bench import analysis
from bench.results import tidy
from tests.synthetic import claim_grid, measured_case, run_of, skipped_case


def table(cases: list) -> pd.DataFrame:
    return tidy(run_of(cases))


def test_known_times_give_known_speedups() -> None:
    pairs = analysis.speedups(table(claim_grid(10.0, 300.0, [(100, 10), (1000, 10)])))
    fully = pairs[pairs.impl == "fully_vectorized"]
    assert fully.speedup.to_numpy() == pytest.approx([300.0, 300.0])
    assert (pairs[pairs.impl == "double_loop"].speedup == 1.0).all()
    assert not pairs.extrapolated.any()


def test_speedup_interval_pairs_the_quartiles() -> None:
    cases = [
        measured_case("double_loop", 100, 10, 1.0, spread=0.1),
        measured_case("fully_vectorized", 100, 10, 0.01, spread=0.1),
    ]
    row = analysis.speedups(table(cases)).query("impl == 'fully_vectorized'").iloc[0]
    assert row.speedup_low < row.speedup < row.speedup_high
    assert row.speedup == pytest.approx(100.0, rel=0.15)


def test_claims_hold_where_the_speedups_are_near_the_claims() -> None:
    verdict = analysis.claims_verdict(analysis.speedups(table(claim_grid(12.0, 280.0, [(100, 10), (1000, 100)]))))
    assert list(verdict.verdict) == ["holds everywhere measured", "holds everywhere measured"]
    assert verdict.speedup_min.to_numpy() == pytest.approx([12.0, 280.0])
    assert verdict.holds_at.iloc[0] == "n_x=10: m=1e2 (1 size); n_x=100: m=1e3 (1 size)"


def test_claims_that_do_not_hold_are_reported_as_such() -> None:
    verdict = analysis.claims_verdict(analysis.speedups(table(claim_grid(2.0, 2000.0, [(100, 10)]))))
    assert verdict.verdict.iloc[0] == "does not hold anywhere measured"
    assert verdict.does_not_hold_at.iloc[0] == "n_x=10: m=1e2 (1 size)"
    assert verdict.verdict.iloc[1] == "holds or is exceeded everywhere measured"
    assert verdict.exceeded_at.iloc[1] == "n_x=10: m=1e2 (1 size)"


def test_a_claim_holding_in_part_says_where() -> None:
    cases = claim_grid(10.0, 300.0, [(100, 100)]) + claim_grid(1.0, 30.0, [(100, 10)])
    verdict = analysis.claims_verdict(analysis.speedups(table(cases)))
    assert verdict.verdict.iloc[0] == "holds at 1, is exceeded at 0 and does not hold at 1 of 2 measured sizes"
    assert verdict.holds_at.iloc[0] == "n_x=100: m=1e2 (1 size)"
    assert verdict.does_not_hold_at.iloc[0] == "n_x=10: m=1e2 (1 size)"


def test_extrapolated_pairs_are_flagged_and_left_out_of_the_verdict() -> None:
    cases = claim_grid(10.0, 300.0, [(100, 10)]) + [
        skipped_case("double_loop", 10_000, 10, predicted_s=1.0),
        measured_case("features_vectorized", 10_000, 10, 1.0),  # 1x: would break the claim if counted
        measured_case("fully_vectorized", 10_000, 10, 1e-3),
    ]
    pairs = analysis.speedups(table(cases))
    assert pairs.loc[pairs.m == 10_000, "extrapolated"].all()
    verdict = analysis.claims_verdict(pairs)
    assert verdict.verdict.iloc[0] == "holds everywhere measured"
    assert verdict.extrapolated_at.iloc[0] == "n_x=10: m=1e4 (1 size)"


def test_missing_implementations_mean_not_measured() -> None:
    cases = [measured_case("double_loop", 100, 10, 1.0), measured_case("numba_fused", 100, 10, 0.01)]
    verdict = analysis.claims_verdict(analysis.speedups(table(cases)))
    assert list(verdict.verdict) == ["not measured", "not measured"]
    assert verdict.holds_at.iloc[0] == "nowhere"


def test_refused_cases_have_no_time_and_no_speedup() -> None:
    cases = claim_grid(10.0, 300.0, [(100, 10)]) + [skipped_case("fully_vectorized", 10**9, 10, status="refused")]
    results = table(cases)
    refused_times = results.loc[results.status == "refused", "seconds"]
    assert np.isnan(refused_times).all()
    assert 10**9 not in set(analysis.speedups(results).m)


def test_complexity_fit_recovers_the_exponent() -> None:
    cases = [measured_case("numba_loop", m, 10, 1e-9 * (m * 10) ** 0.8, spread=0.0) for m in (100, 1000, 10_000)]
    fit = analysis.complexity_fit(table(cases))
    assert fit.exponent.iloc[0] == pytest.approx(0.8)
    assert fit.r2.iloc[0] == pytest.approx(1.0)
    assert fit.cases.iloc[0] == 3


def test_complexity_fit_of_a_single_size_is_undefined() -> None:
    fit = analysis.complexity_fit(table([measured_case("numba_loop", 100, 10, 1e-3)]))
    assert np.isnan(fit.exponent.iloc[0])


def test_read_limit_and_fastest_at_the_largest_size() -> None:
    cases = [
        measured_case("fully_vectorized", 1000, 100, 0.02, spread=0.0, read_s=0.01),
        measured_case("numba_fused", 1000, 100, 0.012, spread=0.0, read_s=0.01),
        measured_case("numba_fused", 100, 100, 0.0001, spread=0.0, read_s=0.0001),
        measured_case("numba_fused", 10_000, 10, 0.0005, spread=0.0, read_s=0.0001),  # same bytes, larger m
    ]
    fastest = analysis.fastest_at_largest(table(cases))
    assert (fastest.impl, fastest.m) == ("numba_fused", 10_000)
    assert fastest.read_multiple == pytest.approx(5.0)
    limits = analysis.read_limit(table(cases))
    assert limits.query("impl == 'fully_vectorized'").read_multiple.iloc[0] == pytest.approx(2.0)
    assert analysis.fastest_at_largest(table([skipped_case("numba_fused", 10, 10)])) is None
