"""Paired trials (bench/measure/trials.py) and their two-level intervals (bench/analysis/paired.py)."""

import random

import numpy as np
import pandas as pd
import pytest

from bench.analysis.paired import paired_ratios, self_pairs
from bench.analysis.ratios import thread_scaling
from bench.analysis.speedups import speedups_by_baseline
from bench.measure.trials import (
    BALANCE,
    CALL_TARGET_S,
    LONG_TRIAL_S,
    MAX_CALLS,
    MAX_FILL_S,
    Member,
    balanced,
    run_trials,
    trial_count,
)
from bench.records.intervals import log_interval, log_t_interval
from bench.records.results import TRIAL_COLUMNS, paired_trials, pass_times, tidy
from bench.reporting.method import _how_paired, _timed_by_size
from tests.synthetic import claim_grid, measured_case, run_of, with_trials


def test_calls_fill_the_target_and_warm_only_fast_members() -> None:
    fast, slow = Member(lambda: None, 1e-6), Member(lambda: None, 0.5)
    assert fast.calls == min(MAX_CALLS, round(CALL_TARGET_S / 1e-6)) and fast.warms
    assert slow.calls == 1 and not slow.warms
    assert slow.trial_s == 0.5 and fast.trial_s == pytest.approx((fast.calls + 1) * 1e-6)


def test_beside_a_long_member_the_short_ones_average_more_calls_up_to_a_bound() -> None:
    members = {"loop": Member(lambda: None, 0.13), "step": Member(lambda: None, 0.004)}
    balanced_calls = {name: member.calls for name, member in balanced(members).items()}
    assert balanced_calls == {"loop": 1, "step": round(BALANCE * 0.13 / 0.004 + 0.5)}  # a quarter of the loop's call
    huge = balanced({"loop": Member(lambda: None, 10.0), "step": Member(lambda: None, 0.004)})
    assert huge["step"].calls * 0.004 == pytest.approx(MAX_FILL_S, rel=0.1)
    alone = balanced({"step": Member(lambda: None, 1e-6)})
    assert alone["step"].calls == Member(lambda: None, 1e-6).calls  # no long member: the usual target


def test_trial_count_fills_the_target_within_bounds() -> None:
    cheap = {"step": Member(lambda: None, 1e-3)}  # 2 ms a trial with its warm call
    assert trial_count(cheap, 0.02, 3, 50) == 10
    assert trial_count(cheap, 10.0, 3, 50) == 50  # never more than `most`
    assert trial_count(cheap, 0.001, 3, 50) == 3  # never fewer than `fewest`...
    long = {"step": Member(lambda: None, LONG_TRIAL_S)}
    assert trial_count(long, 0.001, 3, 50) == 1  # ...unless one trial is long enough for a process


def test_run_trials_times_every_member_once_per_trial_in_random_orders() -> None:
    order: list[str] = []
    members = {name: Member(lambda name=name: order.append(name), 0.5) for name in "abc"}
    times = run_trials(members, 20, random.Random(0))
    assert {name: len(seconds) for name, seconds in times.items()} == dict.fromkeys("abc", 20)
    trials = [tuple(order[i : i + 3]) for i in range(0, 60, 3)]
    assert all(sorted(trial) == ["a", "b", "c"] for trial in trials)
    assert len(set(trials)) > 3  # shuffled, not one fixed order
    assert all(seconds > 0 for per_member in times.values() for seconds in per_member)


def test_a_fast_member_makes_an_untimed_warm_call_first() -> None:
    calls: list[int] = []
    member = Member(lambda: calls.append(1), 1e-4)
    run_trials({"step": member}, 2, random.Random(0))
    assert len(calls) == 2 * (member.calls + 1)


def _trials(
    log_ratio: float, process_sd: float, trial_sd: float, processes: int, trials: int, seed: int
) -> pd.DataFrame:
    """Synthetic paired trials of one case: each process shifts the step and the loop alike by a common factor
    (the machine's mood, which pairing cancels) and the ratio by a process effect of `process_sd`."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(1, processes + 1):
        mood = np.exp(rng.normal(0, 0.5))  # a slow process: both sides 0.6x to 1.6x
        effect = rng.normal(0, process_sd)
        for t in range(trials):
            step_s = 1e-3 * mood * np.exp(rng.normal(0, 0.02))
            member_s = step_s * np.exp(log_ratio + effect + rng.normal(0, trial_sd))
            rows.append(("step", "fully_vectorized", 1, "float64", 1000, 100, p, t, "double_loop", member_s, step_s))
    return pd.DataFrame(rows, columns=TRIAL_COLUMNS)


def test_paired_ratio_recovers_a_known_speedup_that_machine_moods_hide_from_unpaired_times() -> None:
    trials = _trials(np.log(300.0), 0.0, 0.02, processes=5, trials=10, seed=1)
    row = paired_ratios(trials).iloc[0]
    low, high = log_interval(row.log_ratio, row.log_se, row["df"])
    assert low <= 300.0 <= high and high / low < 1.05
    # The same times unpaired (the loop's processes against the step's, as separate workers would measure them):
    # each side's process means carry the mood, and the interval is ten times wider (in log).
    step_means = np.log(trials.groupby("pass").step_s.mean().to_numpy())
    loop_means = np.log(trials.groupby("pass").member_s.mean().to_numpy())
    unpaired_low, unpaired_high = log_t_interval(loop_means - np.roll(step_means, 1))
    assert np.log(unpaired_high / unpaired_low) > 10 * np.log(high / low)


def test_a_process_level_shift_widens_the_interval_where_pooling_trials_would_not() -> None:
    """Trials of one process share its effect: an interval over all trials as if independent misses the truth
    far more often than 5%; the two-level interval covers it about 95% of the time."""
    covered, naive_covered = 0, 0
    for seed in range(200):
        trials = _trials(np.log(50.0), 0.05, 0.02, processes=4, trials=20, seed=seed)
        row = paired_ratios(trials).iloc[0]
        low, high = log_interval(row.log_ratio, row.log_se, row["df"])
        covered += bool(low <= 50.0 <= high)
        naive_low, naive_high = log_t_interval(np.log(trials.member_s / trials.step_s))
        naive_covered += bool(naive_low <= 50.0 <= naive_high)
    assert covered >= 180  # 95% of 200, less sampling noise
    assert naive_covered < 120


def test_one_process_gives_no_interval() -> None:
    row = paired_ratios(_trials(0.0, 0.0, 0.02, processes=1, trials=10, seed=0)).iloc[0]
    assert row.processes == 1 and np.isnan(log_interval(row.log_ratio, row.log_se, row["df"])[0])


def _speedups(cases: list) -> pd.DataFrame:
    run = run_of(cases)
    table = speedups_by_baseline(tidy(run), pass_times(run), paired_trials(run))
    return table[(table.kind == "step") & (table.setting == "1 thread")].set_index(["impl", "baseline"])


def test_a_speedup_comes_from_the_trials_that_paired_it_not_from_times_minutes_apart() -> None:
    # The loop's own worker ran in a slow minute (its passes 1.5x slower): its times say 450x, the pairs 300x.
    loop = measured_case("double_loop", 1000, 100, 1.5e-2, spread=0.0)
    step = with_trials(measured_case("fully_vectorized", 1000, 100, 3.3e-5, spread=0.01), {"double_loop": 300.0})
    row = _speedups([loop, step]).loc[("fully_vectorized", "double_loop")]
    assert row.pairing == "paired" and row.speedup == pytest.approx(300.0, rel=0.02)
    assert row.speedup_low <= 300.0 <= row.speedup_high and row.speedup_high / row.speedup_low < 1.1
    assert row.verdict == "holds"


def test_a_speedup_over_the_loop_not_timed_beside_it_is_chained_through_the_loop_form() -> None:
    careful = with_trials(measured_case("double_loop", 1000, 100, 1e-2), {"notes_double_loop": 5.0})
    notes_loop = measured_case("notes_double_loop", 1000, 100, 5e-2)
    notes_step = with_trials(
        measured_case("notes_fully_vectorized", 1000, 100, 5e-2 / 1200), {"notes_double_loop": 1200.0}
    )
    table = _speedups([careful, notes_loop, notes_step])
    chained = table.loc[("notes_fully_vectorized", "double_loop")]
    assert chained.pairing == "chained" and chained.speedup == pytest.approx(240.0, rel=0.03)
    assert chained.speedup_low <= 240.0 <= chained.speedup_high
    assert table.loc[("notes_double_loop", "double_loop")].speedup == pytest.approx(1 / 5.0, rel=0.03)
    assert table.loc[("double_loop", "notes_double_loop")].pairing == "paired"


def test_a_run_without_trials_keeps_its_speedups_from_the_passes() -> None:
    row = _speedups(claim_grid(10.0, 300.0, [(1000, 100)])).loc[("fully_vectorized", "double_loop")]
    assert row.pairing == "passes" and row.speedup == pytest.approx(300.0)


def test_self_pairs_check_that_pairing_adds_no_bias() -> None:
    step = with_trials(measured_case("fully_vectorized", 1000, 100, 1e-4), {"self": 1.0}, spread=0.02)
    run = run_of([step])
    check = self_pairs(paired_trials(run)).iloc[0]
    assert check.ratio == pytest.approx(1.0, abs=0.02) and check.low <= 1.0 <= check.high
    assert self_pairs(paired_trials(run_of(claim_grid(10.0, 300.0, [(100, 10)])))).empty


def test_all_cores_over_one_thread_comes_through_the_loop_both_were_timed_beside() -> None:
    # Unpaired, the two workers' times say 1 (the all-cores worker ran in a slow spell); beside the loop, 0.5.
    one = with_trials(measured_case("fully_vectorized", 1000, 100, 1e-4), {"double_loop": 100.0})
    every = with_trials(measured_case("fully_vectorized", 1000, 100, 1e-4, threads=2), {"double_loop": 200.0})
    loop = measured_case("double_loop", 1000, 100, 1e-2)
    run = run_of([one, every, loop])
    row = thread_scaling(tidy(run), pass_times(run), paired_trials(run)).iloc[0]
    assert row.ratio == pytest.approx(0.5, rel=0.03) and row.ratio_low <= 0.5 <= row.ratio_high
    assert thread_scaling(tidy(run), pass_times(run)).iloc[0].ratio == pytest.approx(1.0, rel=0.05)


def test_the_method_line_says_whether_the_steps_of_a_size_shared_their_trials() -> None:
    numpy, fused = (
        with_trials(measured_case(impl, 100, 10, 1e-4), {"double_loop": 200.0, "read": 0.5})
        for impl in ("fully_vectorized", "numba_fused")
    )
    apart = run_of([numpy, fused])
    assert not _timed_by_size(apart)  # each step's own trials: its own loop and read times
    assert "a step is timed in randomized interleaved trials" in _how_paired(apart, 3)
    for own, shared in zip(fused["extra_info"]["passes"], numpy["extra_info"]["passes"], strict=True):
        for member in ("double_loop", "read"):  # one loop call and one read per trial for both
            own["trials"][member] = shared["trials"][member]
    together = run_of([numpy, fused])
    assert _timed_by_size(together)
    assert "the steps of a size are timed together" in _how_paired(together, 3)
