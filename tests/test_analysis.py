"""The analysis, on synthetic runs with known times and known passes."""

import numpy as np
import pandas as pd
import pytest

from bench.analysis.analyse import analyse
from bench.analysis.claims import SETTINGS
from bench.analysis.ratios import (
    comparisons,
    dtype_ratios,
    fastest_at_largest,
    fastest_by_shape,
    read_limit,
    relative_times,
    summarize_by_range,
    thread_scaling,
)
from bench.analysis.speedups import loop_form, speedups_by_baseline
from bench.analysis.speedups import speedups as speedups_of
from bench.analysis.verdicts import cell_verdict, claims_verdict, claims_verdicts, describe_sizes
from bench.records.intervals import log_t_interval
from bench.records.results import pass_rounds, pass_times, round_times, tidy
from tests.synthetic import claim_grid, measured_case, old_format, run_of, skipped_case, two_baseline_grid


def table(cases: list, **run_options) -> pd.DataFrame:
    return tidy(run_of(cases, **run_options))


def speedups(cases: list, **run_options) -> pd.DataFrame:
    run = run_of(cases, **run_options)
    return speedups_of(tidy(run), pass_times(run))


def one(frame: pd.DataFrame, **where) -> pd.Series:
    """The single row matching every column == value in `where`."""
    rows = frame[np.logical_and.reduce([frame[k] == v for k, v in where.items()])]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --- the interval ---


def test_log_t_interval_has_the_textbook_answer() -> None:
    low, high = log_t_interval([0.0, 0.1, 0.2])
    half_width = 4.3027 * 0.1 / np.sqrt(3)  # t_{0.975, 2} = 4.3027; sd = 0.1
    assert (low, high) == pytest.approx((np.exp(0.1 - half_width), np.exp(0.1 + half_width)), rel=1e-4)


def test_log_t_interval_needs_two_values() -> None:
    assert np.isnan(log_t_interval([0.3])).all()
    assert np.isnan(log_t_interval([])).all()
    assert log_t_interval([0.5, 0.5]) == pytest.approx((np.exp(0.5), np.exp(0.5)))


def test_speedup_interval_comes_from_the_paired_passes() -> None:
    cases = [
        measured_case("double_loop", 100, 10, 1.0, spread=0.0, pass_factors=[1.0, 1.1, 1.2]),
        measured_case("fully_vectorized", 100, 10, 0.01, spread=0.0, pass_factors=[1.0, 1.0, 1.0]),
    ]
    row = one(speedups(cases), impl="fully_vectorized", setting="1 thread")
    low, high = log_t_interval(np.log([100.0, 110.0, 120.0]))
    assert row.speedup == pytest.approx(110.0)  # median over passes, divided
    assert (row.speedup_low, row.speedup_high) == pytest.approx((low, high))


def test_drift_shared_by_a_pass_cancels_in_the_speedup() -> None:
    # Both implementations slow down together in pass 3: a paired ratio does not move.
    drift = [1.0, 1.0, 1.5]
    cases = [
        measured_case("double_loop", 100, 10, 1.0, spread=0.0, pass_factors=drift),
        measured_case("fully_vectorized", 100, 10, 0.01, spread=0.0, pass_factors=drift),
    ]
    row = one(speedups(cases), impl="fully_vectorized", setting="1 thread")
    assert (row.speedup_low, row.speedup, row.speedup_high) == pytest.approx((100.0, 100.0, 100.0))


def test_the_interval_is_widened_to_hold_the_median() -> None:
    # Pass medians 1, 1, 4: their geometric mean's interval sits above the median, 1, unless widened.
    cases = [
        measured_case("double_loop", 100, 10, 1.0, spread=0.0, pass_factors=[1.0, 1.0, 4.0]),
        measured_case("features_vectorized", 100, 10, 1.0, spread=0.0, pass_factors=[1.0, 1.0, 1.0]),
    ]
    row = one(speedups(cases), impl="features_vectorized", setting="1 thread")
    assert row.speedup == pytest.approx(1.0)
    assert row.speedup_low <= row.speedup <= row.speedup_high


def test_passes_pair_by_their_number_not_their_position() -> None:
    # The implementation's pass 1 failed: its passes are 2 and 3, paired with the baseline's 2 and 3.
    base = measured_case("double_loop", 100, 10, 1.0, spread=0.0, pass_factors=[5.0, 1.0, 1.2])
    impl = measured_case("fully_vectorized", 100, 10, 0.01, spread=0.0, passes=2, pass_factors=[1.0, 1.0])
    for number, summary in zip((2, 3), impl["extra_info"]["passes"], strict=True):
        summary["pass"] = number
    row = one(speedups([base, impl]), impl="fully_vectorized", setting="1 thread")
    assert (row.speedup_low, row.speedup_high) == pytest.approx(log_t_interval(np.log([100.0, 120.0])))


def test_fewer_than_two_common_passes_give_no_interval() -> None:
    cases = [
        measured_case("double_loop", 100, 10, 1.0, pass_spread=0.05),
        measured_case("fully_vectorized", 100, 10, 0.01, passes=1),
    ]
    row = one(speedups(cases), impl="fully_vectorized", setting="1 thread")
    assert np.isnan(row.speedup_low) and np.isnan(row.speedup_high) and row.verdict == "undecided"


def test_one_pass_gives_no_interval_and_no_decided_verdict() -> None:
    cases = [
        measured_case("double_loop", 100, 10, 1.0, passes=1),
        measured_case("fully_vectorized", 100, 10, 1 / 300, passes=1),
    ]
    row = one(speedups(cases), impl="fully_vectorized", setting="1 thread")
    assert np.isnan(row.speedup_low) and np.isnan(row.speedup_high)
    assert row.verdict == "undecided"


def test_time_interval_uses_the_pass_medians() -> None:
    results = table([measured_case("numba_loop", 100, 10, 1.0, spread=0.0, rounds=5, passes=2, pass_factors=[1, 3])])
    row = results.iloc[0]
    # Rounds 1, 1, 1 (pass 1) and 3, 3 (pass 2): pooled median 1, median of the pass medians 2.
    assert row.median_s == pytest.approx(1.0)
    assert row.seconds == pytest.approx(2.0)
    assert (row.seconds_low, row.seconds_high) == pytest.approx(log_t_interval(np.log([1.0, 3.0])))
    assert row.passes == 2 and row.min_s == pytest.approx(1.0)


# --- verdicts ---


@pytest.mark.parametrize(
    ("low", "high", "band", "expected"),
    [
        (6.0, 18.0, (5, 20), "holds"),
        (5.0, 20.0, (5, 20), "holds"),
        (4.0, 8.0, (5, 20), "undecided"),  # straddles 5x
        (15.0, 25.0, (5, 20), "undecided"),  # straddles 20x
        (21.0, 30.0, (5, 20), "exceeded"),
        (1.0, 4.9, (5, 20), "does not hold"),
        (140.0, 200.0, (150, 600), "undecided"),
        (500.0, 700.0, (150, 600), "undecided"),
        (160.0, 590.0, (150, 600), "holds"),
        (700.0, 900.0, (150, 600), "exceeded"),
        (np.nan, np.nan, (150, 600), "undecided"),
    ],
)
def test_cell_verdict_at_the_band_edges(low: float, high: float, band: tuple, expected: str) -> None:
    assert cell_verdict(low, high, band) == expected


def test_a_speedup_straddling_an_edge_is_undecided_and_counted() -> None:
    # features_vectorized: ratios 4, 5, 6.5 per pass (straddles 5x) at n_x=10; a tight 10x at n_x=100.
    cases = [
        measured_case("double_loop", 100, 10, 1.0, spread=0.0, pass_factors=[4.0, 5.0, 6.5]),
        measured_case("features_vectorized", 100, 10, 1.0, spread=0.0, pass_factors=[1.0, 1.0, 1.0]),
        measured_case("double_loop", 100, 100, 1.0, spread=0.0),
        measured_case("features_vectorized", 100, 100, 0.1, spread=0.0),
    ]
    pairs = speedups(cases)
    assert one(pairs, impl="features_vectorized", n_x=10, setting="1 thread").verdict == "undecided"
    assert one(pairs, impl="features_vectorized", n_x=100, setting="1 thread").verdict == "holds"
    verdict = claims_verdict(pairs).set_index(["impl", "setting"]).loc[("features_vectorized", "1 thread")]
    assert (verdict.holds, verdict.undecided, verdict.measured_sizes) == (1, 1, 2)
    assert verdict.verdict == "holds at 1 and is undecided at 1 of 2 measured sizes"
    assert verdict.undecided_at == "n_x=10: m=1e2 (1 size)"


def test_known_times_give_known_speedups() -> None:
    pairs = speedups(claim_grid(10.0, 300.0, [(100, 10), (1000, 10)]))
    fully = pairs[(pairs.impl == "fully_vectorized") & (pairs.setting == "1 thread")]
    assert fully.speedup.to_numpy() == pytest.approx([300.0, 300.0])
    assert (pairs[pairs.impl == "double_loop"].speedup == 1.0).all()
    assert not pairs.extrapolated.any()
    assert set(pairs.verdict[pairs.impl == "double_loop"]) == {""}  # no claim on the baseline


def test_claims_hold_where_the_speedups_are_near_the_claims() -> None:
    verdict = claims_verdict(speedups(claim_grid(12.0, 280.0, [(100, 10), (1000, 100)])))
    assert list(verdict.setting) == ["1 thread", "all cores"] * 2
    assert set(verdict.verdict) == {"holds everywhere measured"}
    assert verdict.speedup_min.to_numpy() == pytest.approx([12.0, 12.0, 280.0, 280.0])
    assert verdict.holds_at.iloc[0] == "n_x=10: m=1e2 (1 size); n_x=100: m=1e3 (1 size)"


def test_claims_that_do_not_hold_are_reported_as_such() -> None:
    verdict = claims_verdict(speedups(claim_grid(2.0, 2000.0, [(100, 10)])))
    features, fully = verdict[verdict.setting == "1 thread"].itertuples()
    assert features.verdict == "does not hold anywhere measured"
    assert features.does_not_hold_at == "n_x=10: m=1e2 (1 size)"
    assert fully.verdict == "holds or is exceeded everywhere measured"
    assert fully.exceeded_at == "n_x=10: m=1e2 (1 size)"


def test_extrapolated_pairs_are_flagged_and_left_out_of_the_verdict() -> None:
    cases = claim_grid(10.0, 300.0, [(100, 10)]) + [
        skipped_case("double_loop", 10_000, 10, predicted_s=1.0),
        measured_case("features_vectorized", 10_000, 10, 1.0),  # 1x: would break the claim if counted
        measured_case("fully_vectorized", 10_000, 10, 1e-3),
    ]
    pairs = speedups(cases)
    extrapolated = pairs[pairs.m == 10_000]
    assert extrapolated.extrapolated.all() and extrapolated.speedup_low.isna().all()
    assert set(extrapolated.verdict[extrapolated.impl != "double_loop"]) == {"extrapolated"}
    verdict = claims_verdict(pairs)
    assert verdict.verdict.iloc[0] == "holds everywhere measured"
    assert verdict.extrapolated_at.iloc[0] == "n_x=10: m=1e4 (1 size)"


def test_missing_implementations_mean_not_measured() -> None:
    cases = [measured_case("double_loop", 100, 10, 1.0), measured_case("numba_fused", 100, 10, 0.01)]
    verdict = claims_verdict(speedups(cases))
    assert set(verdict.verdict) == {"not measured"}
    assert verdict.holds_at.iloc[0] == "nowhere"


def test_refused_cases_have_no_time_and_no_speedup() -> None:
    cases = claim_grid(10.0, 300.0, [(100, 10)]) + [skipped_case("fully_vectorized", 10**9, 10, status="refused")]
    results = table(cases)
    assert results.loc[results.status == "refused", "seconds"].isna().all()
    assert 10**9 not in set(speedups(cases).m)


# --- two baselines: the careful loop and the notes' loop as written ---


def two_baselines(cases: list) -> pd.DataFrame:
    run = run_of(cases)
    return speedups_by_baseline(tidy(run), pass_times(run))


def test_every_implementation_is_paired_with_either_loop() -> None:
    # The notes' loop is 5x slower than the careful one; the notes' vectorized step is 1250x faster than
    # its own loop, which makes it 250x faster than the careful loop.
    pairs = two_baselines(two_baseline_grid(5.0, (3.0, 250.0), (3.5, 1250.0), [(100, 10)]))
    steps = pairs[pairs.setting == "1 thread"]
    speedup = {(r.baseline, r.impl): r.speedup for r in steps.itertuples()}
    assert speedup[("double_loop", "notes_double_loop")] == pytest.approx(0.2)
    assert speedup[("notes_double_loop", "double_loop")] == pytest.approx(5.0)
    assert speedup[("double_loop", "notes_fully_vectorized")] == pytest.approx(250.0)
    assert speedup[("notes_double_loop", "notes_fully_vectorized")] == pytest.approx(1250.0)
    assert speedup[("notes_double_loop", "fully_vectorized")] == pytest.approx(1250.0)
    assert len(speedup) == 12  # each of the six against each loop


def test_each_loop_judges_the_claims_on_its_own_family() -> None:
    pairs = two_baselines(two_baseline_grid(5.0, (3.0, 250.0), (3.5, 1250.0), [(100, 10)]))
    verdict = {(r.baseline, r.impl): r.verdict for r in pairs[pairs.setting == "1 thread"].itertuples()}
    assert verdict[("double_loop", "fully_vectorized")] == "holds"  # 250x: within 150x..600x
    assert verdict[("notes_double_loop", "notes_fully_vectorized")] == "exceeded"  # 1250x
    assert verdict[("double_loop", "notes_fully_vectorized")] == ""  # no claim across families
    assert verdict[("notes_double_loop", "fully_vectorized")] == ""
    assert verdict[("notes_double_loop", "notes_features_vectorized")] == "does not hold"  # 3.5x


def test_claims_verdicts_side_by_side() -> None:
    pairs = two_baselines(two_baseline_grid(5.0, (12.0, 250.0), (3.5, 1250.0), [(100, 10), (1000, 100)]))
    verdict = claims_verdicts(pairs)
    assert list(verdict.columns[:2]) == ["baseline", "claim"]
    assert list(zip(verdict.baseline, verdict.impl, verdict.setting)) == [
        (baseline, f"{prefix}{impl}", setting)
        for baseline, prefix in (("double_loop", ""), ("notes_double_loop", "notes_"))
        for impl in ("features_vectorized", "fully_vectorized")
        for setting in ("1 thread", "all cores")
    ]
    assert list(verdict.verdict[verdict.setting == "1 thread"]) == [
        "holds everywhere measured",
        "holds everywhere measured",
        "does not hold anywhere measured",
        "holds or is exceeded everywhere measured",
    ]
    assert verdict.speedup_median[verdict.setting == "1 thread"].to_numpy() == pytest.approx([12, 250, 3.5, 1250])


def test_loop_form_is_the_notes_loop_over_the_careful_loop_per_size() -> None:
    cases = two_baseline_grid(4.0, (10.0, 300.0), (3.0, 1200.0), [(100, 10), (1000, 10)])
    cases.append(measured_case("double_loop", 100, 100, 1e-3, spread=0.0))
    cases.append(skipped_case("notes_double_loop", 100, 100, predicted_s=6e-3))
    form = loop_form(two_baselines(cases))
    assert list(form.columns) == ["dtype", "m", "n_x", "ratio", "ratio_low", "ratio_high", "extrapolated"]
    assert list(zip(form.m, form.n_x, form.extrapolated)) == [(100, 10, False), (1000, 10, False), (100, 100, True)]
    assert form.ratio.to_numpy() == pytest.approx([4.0, 4.0, 6.0])
    assert form.ratio_low.iloc[0] == pytest.approx(4.0) and np.isnan(form.ratio_low.iloc[2])


def test_without_the_notes_loop_its_verdicts_are_not_measured() -> None:
    verdict = claims_verdicts(two_baselines(claim_grid(12.0, 280.0, [(100, 10)])))
    assert set(verdict.verdict[verdict.baseline == "notes_double_loop"]) == {"not measured"}
    assert set(verdict.verdict[verdict.baseline == "double_loop"]) == {"holds everywhere measured"}


# --- settings ---


def test_settings_put_single_threaded_rows_in_both_and_parallel_rows_by_threads() -> None:
    cases = [
        measured_case("double_loop", 100, 10, 1.0, spread=0.0),
        measured_case("features_vectorized", 100, 10, 0.1, spread=0.0),
        measured_case("fully_vectorized", 100, 10, 0.004, spread=0.0, threads=1),
        measured_case("fully_vectorized", 100, 10, 0.002, spread=0.0, threads=2),
    ]
    pairs = speedups(cases)
    settings = pairs.groupby(["impl", "threads"]).setting.agg(sorted).to_dict()
    assert settings == {
        ("double_loop", 1): ["1 thread", "all cores"],
        ("features_vectorized", 1): ["1 thread", "all cores"],
        ("fully_vectorized", 1): ["1 thread"],
        ("fully_vectorized", 2): ["all cores"],
    }
    assert one(pairs, impl="fully_vectorized", setting="all cores").speedup == pytest.approx(500.0)
    assert one(pairs, impl="fully_vectorized", setting="1 thread").speedup == pytest.approx(250.0)
    verdict = claims_verdict(pairs).set_index(["impl", "setting"])
    assert verdict.loc[("fully_vectorized", "all cores"), "threads"] == "2"


def test_all_cores_falls_back_to_the_largest_thread_count_measured() -> None:
    cases = [
        measured_case("double_loop", 100, 10, 1.0),
        measured_case("numba_fused", 100, 10, 0.004, threads=1),
        measured_case("numba_fused", 100, 10, 0.002, threads=2),
    ]
    results = table(cases, all_cores=4)  # a 4-core machine on which only 1 and 2 threads were measured
    assert results.loc[results.as_installed & (results.impl == "numba_fused"), "threads"].tolist() == [2]
    assert results.loc[results.as_installed & (results.impl == "double_loop"), "threads"].tolist() == [1]


# --- thread scaling ---


def test_thread_scaling_names_the_implementation_slower_with_all_cores() -> None:
    cases = [
        measured_case("fully_vectorized", 1000, 10, 1e-3, threads=1, pass_spread=0.02, seed=1),
        measured_case("fully_vectorized", 1000, 10, 3e-3, threads=2, pass_spread=0.02, seed=2),  # 3x slower
        measured_case("numba_fused", 1000, 10, 1e-3, threads=1, pass_spread=0.02, seed=3),
        measured_case("numba_fused", 1000, 10, 0.6e-3, threads=2, pass_spread=0.02, seed=4),  # faster
        measured_case("sklearn_peer", 1000, 10, 1e-3, threads=1, spread=0.0, pass_factors=[1.0, 1.3, 0.9]),
        measured_case("sklearn_peer", 1000, 10, 1.1e-3, threads=2, spread=0.0, pass_factors=[1.0, 0.9, 1.2]),
        measured_case("double_loop", 1000, 10, 1.0),  # single-threaded: not in the table
    ]
    run = run_of(cases)
    scaling = thread_scaling(tidy(run), pass_times(run)).set_index("impl")
    assert list(scaling.index) == ["fully_vectorized", "numba_fused", "sklearn_peer"]
    assert scaling.slower_with_all_cores.to_dict() == {
        "fully_vectorized": True,
        "numba_fused": False,
        "sklearn_peer": False,  # 1.1x, but its passes drift more than that: within its interval
    }
    assert scaling.loc["fully_vectorized", "ratio"] == pytest.approx(3.0, rel=0.1)
    assert scaling.loc["sklearn_peer", "ratio_low"] < 1 < scaling.loc["sklearn_peer", "ratio_high"]
    assert (scaling.threads == 2).all()


def test_thread_scaling_is_empty_without_both_settings() -> None:
    run = run_of(claim_grid(10.0, 300.0, [(100, 10)]))
    assert thread_scaling(tidy(run), pass_times(run)).empty


# --- results: the format ---


def test_pass_rounds_split_the_pooled_rounds_by_pass() -> None:
    run = run_of([measured_case("numba_fused", 100, 10, 1.0, spread=0.0, rounds=7, threads=2, pass_factors=[1, 2, 3])])
    split = pass_rounds(run)[("step", "numba_fused", 2, 100, 10, "float64")]
    assert [list(p) for p in split] == [[1.0, 1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]
    assert list(round_times(run)[("step", "numba_fused", 2, 100, 10, "float64")]) == [1.0] * 3 + [2.0] * 2 + [3.0] * 2
    passes = pass_times(run)
    assert passes.median_s.tolist() == [1.0, 2.0, 3.0] and passes["pass"].tolist() == [1, 2, 3]


def test_passes_that_do_not_add_up_to_the_rounds_are_an_error() -> None:
    run = run_of([measured_case("numba_fused", 100, 10, 1.0, rounds=6)])
    run["benchmarks"][0]["extra_info"]["passes"][0]["rounds"] = 5
    with pytest.raises(ValueError, match=r"count 9 rounds but stats\.data holds 6"):
        pass_rounds(run)


def test_an_old_run_loads_as_one_pass_at_its_numba_threads() -> None:
    run = old_format(run_of(claim_grid(12.0, 280.0, [(100, 10)])), numba_threads=2)
    results = tidy(run)
    assert set(results.threads) == {2} and set(results.passes) == {1} and set(results.dtype) == {"float64"}
    assert results.as_installed.all() and not results.parallel.any()
    assert results.seconds.to_numpy() == pytest.approx(results.median_s.to_numpy())
    pairs = speedups_of(results, pass_times(run))
    assert set(pairs.setting) == {"all cores"}  # nothing was measured with one thread
    assert one(pairs, impl="fully_vectorized").speedup == pytest.approx(280.0)
    assert set(pairs.verdict[pairs.impl != "double_loop"]) == {"undecided"}
    assert list(round_times(run)) == [
        ("step", impl, 2, 100, 10, "float64") for impl in ("double_loop", "features_vectorized", "fully_vectorized")
    ]


def test_results_sort_by_kind_size_impl_threads() -> None:
    cases = [
        measured_case("numba_fused", 1000, 10, 1.0, threads=2),
        measured_case("numba_fused", 1000, 10, 1.0, threads=1),
        measured_case("double_loop", 1000, 10, 1.0),
        measured_case("numba_fused", 100, 10, 1.0),
    ]
    results = table(cases)
    assert list(zip(results.m, results.impl, results.threads)) == [
        (100, "numba_fused", 1),
        (1000, "double_loop", 1),
        (1000, "numba_fused", 1),
        (1000, "numba_fused", 2),
    ]


# --- fits and limits ---


def test_read_limit_and_fastest_at_the_largest_size() -> None:
    cases = [
        measured_case("fully_vectorized", 1000, 100, 0.02, spread=0.0, read_s=0.01),
        measured_case("numba_fused", 1000, 100, 0.012, spread=0.0, read_s=0.01),
        measured_case("numba_fused", 100, 100, 0.0001, spread=0.0, read_s=0.0001),
        measured_case("numba_fused", 10_000, 10, 0.0005, spread=0.0, read_s=0.0001),  # same bytes, larger m
    ]
    limits = read_limit(table(cases))
    fastest = fastest_at_largest(limits)
    assert (fastest.impl, fastest.m) == ("numba_fused", 10_000)
    assert fastest.read_multiple == pytest.approx(5.0)
    assert one(limits, impl="fully_vectorized", setting="all cores").read_multiple == pytest.approx(2.0)
    assert fastest_at_largest(read_limit(table([skipped_case("numba_fused", 10, 10)]))) is None


def test_the_fastest_step_at_every_shape_in_reads_of_x() -> None:
    cases = [
        measured_case("fully_vectorized", 1000, 100, 0.02, spread=0.0, read_s=0.01),
        measured_case("numba_fused", 1000, 100, 0.012, spread=0.0, read_s=0.01),  # the faster at this shape
        measured_case("fully_vectorized", 100, 10, 0.0003, spread=0.0, read_s=0.0001),  # the faster here
        measured_case("numba_fused", 100, 10, 0.0005, spread=0.0, read_s=0.0001),
        skipped_case("numba_fused", 10, 10),
    ]
    fastest = fastest_by_shape(read_limit(table(cases)))
    shown = fastest[fastest.setting == "all cores"]
    assert list(zip(shown.n_x, shown.m, shown.impl, strict=True)) == [
        (10, 100, "fully_vectorized"),
        (100, 1000, "numba_fused"),
    ]
    assert list(shown.read_multiple) == pytest.approx([3.0, 1.2])


def test_the_bandwidth_floor_is_the_fastest_read_in_each_setting() -> None:
    cases = [
        measured_case("numba_loop", 1000, 100, 0.1, spread=0.0, read_s=0.02),  # one thread reads slower
        measured_case("numba_fused", 1000, 100, 0.02, spread=0.0, read_s=0.02, threads=1),
        measured_case("numba_fused", 1000, 100, 0.012, spread=0.0, read_s=0.01, threads=2),
    ]
    limits = read_limit(table(cases))
    floors = limits.groupby("setting").floor_gbytes_per_s.unique()
    assert floors["1 thread"] == pytest.approx([0.8e6 / 0.02 / 1e9])
    assert floors["all cores"] == pytest.approx([0.8e6 / 0.01 / 1e9])


def test_analyse_computes_everything_once() -> None:
    run = run_of(claim_grid(12.0, 280.0, [(100, 10)]))
    found = analyse(tidy(run), pass_times(run))
    assert len(found.verdict) == 8 and not found.speedups.empty and found.thread_scaling.empty
    assert found.loop_form.empty  # the run has no notes' loop
    assert set(found.steps.setting) == {"1 thread", "all cores"}
    assert found.fastest is not None and found.fastest.impl == "fully_vectorized"


def test_a_range_of_sizes_never_spans_a_size_of_another_verdict() -> None:
    grid = pd.DataFrame({"m": [100, 1_000, 10_000, 100_000, 100], "n_x": [10, 10, 10, 10, 100]})
    holds = grid.iloc[[0, 2, 3, 4]]  # m = 1e3 at n_x = 10 is in another category
    assert describe_sizes(holds, grid) == "n_x=10: m=1e2, 1e4..1e5 (3 sizes); n_x=100: m=1e2 (1 size)"
    assert describe_sizes(grid.iloc[[]], grid) == "nowhere"


# --- dtypes ---


def float32_grid(sizes: list[tuple[int, int]], full_speedup: float) -> list:
    """The notes' three in float32 at `sizes`, the double loop as slow as in float64 (Python floats either way)."""
    cases = []
    for m, n_x in sizes:
        base = 1e-7 * m * n_x
        cases += [
            measured_case("double_loop", m, n_x, base, spread=0.0, dtype="float32"),
            measured_case("features_vectorized", m, n_x, base / 10.0, spread=0.0, dtype="float32"),
            measured_case("fully_vectorized", m, n_x, base / full_speedup, spread=0.0, dtype="float32"),
        ]
    return cases


def test_speedups_pair_each_dtype_with_its_own_double_loop_and_verdicts_are_per_dtype() -> None:
    sizes = [(100, 10), (1000, 100)]
    pairs = speedups(claim_grid(10.0, 300.0, sizes) + float32_grid(sizes, 3000.0))
    assert one(pairs, impl="fully_vectorized", dtype="float32", m=100, setting="1 thread").speedup == pytest.approx(
        3000
    )
    verdict = claims_verdict(pairs)
    assert list(zip(verdict.setting, verdict.dtype)) == [(s, d) for s in SETTINGS for d in ("float64", "float32")] * 2
    fully = verdict[verdict.impl == "fully_vectorized"].set_index(["setting", "dtype"]).verdict
    assert fully["1 thread", "float64"] == "holds everywhere measured"
    assert fully["1 thread", "float32"] == "holds or is exceeded everywhere measured"  # 3000x is beyond 600x


def test_a_float64_only_run_has_float64_verdicts_only() -> None:
    verdict = claims_verdict(speedups(claim_grid(10.0, 300.0, [(100, 10)])))
    assert set(verdict.dtype) == {"float64"} and len(verdict) == 4


def test_dtype_ratio_is_float32_over_float64_with_the_paired_interval() -> None:
    cases = [
        measured_case("fully_vectorized", 1000, 100, 1e-3, spread=0.0, pass_factors=[1.0, 1.0, 1.0]),
        measured_case("fully_vectorized", 1000, 100, 5e-4, spread=0.0, pass_factors=[1.0, 1.1, 1.2], dtype="float32"),
        measured_case("numba_fused", 1000, 100, 1e-3, spread=0.0),  # float64 only: no ratio
        skipped_case("double_loop", 1000, 100, predicted_s=1.0, dtype="float32"),
        measured_case("double_loop", 1000, 100, 1.0),
    ]
    run = run_of(cases)
    ratios = dtype_ratios(tidy(run), pass_times(run))
    row = one(ratios, impl="fully_vectorized")
    assert len(ratios) == 1  # extrapolated and one-dtype cases have no ratio
    assert row.ratio == pytest.approx(0.55)  # median of 0.5, 0.55, 0.6
    assert (row.ratio_low, row.ratio_high) == pytest.approx(log_t_interval(np.log([0.5, 0.55, 0.6])))
    assert row.bytes_x == 8 * 1000 * 100 and row.seconds_float32 == pytest.approx(5.5e-4)


def test_a_float32_step_reads_half_the_bytes() -> None:
    results = table([measured_case("fully_vectorized", 1000, 100, 1e-3, dtype="float32")])
    assert results.bytes_x.iloc[0] == 4 * 1000 * 100
    assert results.gbytes_per_s.iloc[0] == pytest.approx(4 * 1000 * 100 / 1e-3 / 1e9, rel=0.05)


def test_relative_times_compare_the_peer_per_setting_dtype_and_size_range() -> None:
    cases = (
        [measured_case("jax_peer", 100, 10, 2e-4, spread=0.0, threads=threads) for threads in (1, 2)]
        + [measured_case("fully_vectorized", 100, 10, 1e-4, spread=0.0, threads=threads) for threads in (1, 2)]
        + [
            measured_case("jax_peer", 1_000_000, 100, 0.04, spread=0.0, threads=2, pass_factors=[1.0, 1.0, 1.05]),
            measured_case("fully_vectorized", 1_000_000, 100, 0.05, spread=0.0, threads=2),
            measured_case("jax_peer", 1_000_000, 100, 0.02, spread=0.0, threads=2, dtype="float32"),
            measured_case("fully_vectorized", 1_000_000, 100, 0.025, spread=0.0, threads=2, dtype="float32"),
        ]
    )
    run = run_of(cases)
    relative = relative_times(tidy(run), pass_times(run), "jax_peer", "fully_vectorized")
    small = one(relative, setting="all cores", m=100)
    assert small.ratio == pytest.approx(2.0) and small.size_range == "X under 1 MB"
    large = one(relative, setting="all cores", m=1_000_000, dtype="float64")
    assert large.ratio == pytest.approx(0.8) and large.size_range == "X of 100 MB or more"
    assert len(relative[relative.setting == "1 thread"]) == 1  # the large sizes ran with 2 threads only
    summary = summarize_by_range(relative)
    assert list(zip(summary.setting, summary.dtype, summary.size_range)) == [
        ("1 thread", "float64", "X under 1 MB"),
        ("all cores", "float64", "X under 1 MB"),
        ("all cores", "float64", "X of 100 MB or more"),
        ("all cores", "float32", "X of 100 MB or more"),  # 400 MB of float32
    ]
    installed = summary[(summary.setting == "all cores") & (summary.dtype == "float64")]
    assert list(installed.slower) == [1, 0] and list(installed.faster) == [0, 1]


def test_relative_times_are_empty_without_the_peer() -> None:
    run = run_of(claim_grid(10.0, 300.0, [(100, 10)]))
    assert comparisons(tidy(run), pass_times(run)).empty
