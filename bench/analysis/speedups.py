"""Speedups over a baseline, paired by problem, with intervals from paired trials; the loop form's cost.

Every function takes DataFrames (from `bench.records.results.tidy`,
`bench.records.results.pass_times` and `bench.records.results.paired_trials`)
and returns a new one; nothing here measures, plots or writes files.

How each speedup is paired (its `pairing` column): "paired" when the step
was timed beside the baseline in the same trials (bench/measure/trials.py);
"chained" when it was timed beside the other loop, and the two loops beside
each other (the loop form): the product of two paired ratios, their errors
combined; "passes" (runs before paired trials, or a loop too slow to pair):
the pass medians of the two cases, paired by pass number only, minutes apart.
"""

import numpy as np
import pandas as pd

from bench.analysis.claims import ALL_CORES, BASELINE, BASELINES, NOTES_BASELINE, ONE_THREAD, claims_against
from bench.analysis.paired import ESTIMATE, combined, lookup, paired_ratios
from bench.analysis.verdicts import verdicts
from bench.records.intervals import log_interval, log_t_interval
from bench.records.schema import CASE, PAIRING, SIZE, STEP

PAIRED, CHAINED, PASSES = "paired", "chained", "passes"


def paired_ratio_intervals(
    numerator: pd.DataFrame, denominator: pd.DataFrame, on: list[str], by: list[str]
) -> pd.DataFrame:
    """The interval of numerator / denominator time per group `by`, pairing pass medians by `on` and pass number.

    Both frames are pass tables (bench.records.results.pass_times), already narrowed to
    the cases to divide. Returns columns *by, ratio_low, ratio_high.
    """
    paired = numerator[[*on, "pass", "median_s"]].merge(
        denominator, on=[*on, "pass"], suffixes=("_numerator", "_denominator")
    )
    log_ratios = paired[by].assign(log_ratio=np.log(paired.median_s_numerator / paired.median_s_denominator))
    grouped = log_ratios.groupby(by, sort=False).log_ratio
    return grouped.agg(
        ratio_low=lambda values: log_t_interval(values)[0], ratio_high=lambda values: log_t_interval(values)[1]
    ).reset_index()


def _widened(point: pd.Series, low: pd.Series, high: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The interval stretched to hold the point estimate (a median of passes, not their geometric mean)."""
    return low.where(low.isna() | (low <= point), point), high.where(high.isna() | (high >= point), point)


def steps(results: pd.DataFrame) -> pd.DataFrame:
    """The gradient-step cases that have a time (measured, or extrapolated from smaller sizes)."""
    return results[(results.kind == STEP) & results.seconds.notna()]


def by_setting(results: pd.DataFrame) -> pd.DataFrame:
    """The rows of each setting, with a `setting` column: "1 thread" and "all cores" (bench/records/journal.py).

    "1 thread" is every row at threads == 1; "all cores" is every row marked
    as_installed. A single-threaded implementation's row is in both.
    """
    one = results[results.threads == 1].assign(setting=ONE_THREAD)
    every = results[results.as_installed].assign(setting=ALL_CORES)
    return pd.concat([one, every], ignore_index=True)


def _baseline(results: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """The baseline's row per problem: its fewest threads (1; it is single-threaded), PAIRING columns and times."""
    rows = results[(results.impl == baseline) & results.seconds.notna()]
    rows = rows.sort_values("threads").drop_duplicates(PAIRING)
    return rows[[*PAIRING, "threads", "seconds", "status"]]


def speedups(
    results: pd.DataFrame, passes: pd.DataFrame, baseline: str = BASELINE, trials: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Each timed row per setting with its speedup over `baseline`, paired at (kind, m, n_x, dtype).

    Steps and training runs alike; the `baseline` column names the baseline.
    From `trials` (bench.records.results.paired_trials) where the step was
    paired with a loop (module docstring: `pairing`): speedup = exp(log_ratio),
    the two-level estimate of bench/analysis/paired.py, and [speedup_low,
    speedup_high] its 95% interval. Otherwise from the passes: speedup =
    seconds[baseline] / seconds, its interval from per-pass ratios through
    `log_t_interval`, widened to hold the point estimate. NaN intervals with
    fewer than two processes or where either side is extrapolated.
    `verdict` judges the claim on this implementation, if the baseline has
    one on it (`verdicts`, `BASELINES`).
    """
    base = _baseline(results, baseline)
    timed = by_setting(results[results.seconds.notna()])
    out = timed.merge(base, on=PAIRING, suffixes=("", "_baseline"))
    base_passes = passes.merge(base[[*PAIRING, "threads"]].assign(impl=baseline), on=[*PAIRING, "impl", "threads"])
    intervals = paired_ratio_intervals(base_passes, passes, on=PAIRING, by=CASE)
    out = out.merge(intervals, on=CASE, how="left")
    out["speedup"] = out.seconds_baseline / out.seconds
    out["extrapolated"] = (out.status != "measured") | (out.status_baseline != "measured")
    low = out.ratio_low.where(~out.extrapolated)
    high = out.ratio_high.where(~out.extrapolated)
    out["speedup_low"], out["speedup_high"] = _widened(out.speedup, low, high)
    out["pairing"] = np.where(out.extrapolated, "", PASSES)
    out = _from_trials(out, baseline, trials)
    out["baseline"] = baseline
    out["verdict"] = verdicts(out, claims_against(baseline))
    return out.drop(columns=["ratio_low", "ratio_high"])


def _from_trials(out: pd.DataFrame, baseline: str, trials: pd.DataFrame | None) -> pd.DataFrame:
    """`out` with speedup and interval from the paired trials wherever they pair the row with `baseline`."""
    if trials is None or trials.empty:
        return out
    ratios = paired_ratios(trials[trials.kind == STEP])
    estimate = _paired_speedup(out, ratios, baseline)
    use = estimate.log_ratio.notna() & ~out.extrapolated
    low, high = log_interval(estimate.log_ratio, estimate.log_se, estimate["df"])
    out = out.copy()
    out.loc[use, "speedup"] = np.exp(estimate.log_ratio[use])
    out.loc[use, "speedup_low"] = low[use]
    out.loc[use, "speedup_high"] = high[use]
    out.loc[use, "pairing"] = estimate.pairing[use]
    return out


def _paired_speedup(out: pd.DataFrame, ratios: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per row of `out`: the log speedup over `baseline` from paired trials (ESTIMATE columns and `pairing`).

    Directly where the row's case was paired with the baseline; else chained
    through the other loop: log(baseline / step) = log(other / step) +-
    log(notes' loop / careful loop), the loop form paired in the careful
    loop's case at the same problem. A loop against itself is exactly 1.
    """
    other = NOTES_BASELINE if baseline == BASELINE else BASELINE
    direct = lookup(out, ratios, baseline)
    via_other = lookup(out, ratios, other)
    via_other.loc[out.impl == other, ESTIMATE] = [0.0, 0.0, np.inf]  # the other loop over itself
    form = ratios[(ratios.impl == BASELINE) & (ratios.member == NOTES_BASELINE) & (ratios.threads == 1)]
    form_rows = out[PAIRING].merge(form[[*PAIRING, *ESTIMATE]], on=PAIRING, how="left").set_index(out.index)
    chained = combined(via_other, form_rows, 1.0 if baseline == NOTES_BASELINE else -1.0)
    estimate = direct[ESTIMATE].where(direct.log_ratio.notna(), chained)
    estimate["pairing"] = np.where(direct.log_ratio.notna(), PAIRED, CHAINED)
    estimate.loc[out.impl == baseline, [*ESTIMATE, "pairing"]] = [0.0, 0.0, np.inf, PAIRED]
    return estimate


def speedups_by_baseline(
    results: pd.DataFrame, passes: pd.DataFrame, trials: pd.DataFrame | None = None
) -> pd.DataFrame:
    """`speedups` against each of BASELINES, stacked: every implementation against either loop."""
    return pd.concat([speedups(results, passes, b.impl, trials) for b in BASELINES], ignore_index=True)


def loop_form(pairs: pd.DataFrame) -> pd.DataFrame:
    """time(notes' loop) / time(careful loop) per size: what the loop's form alone does to every speedup.

    `pairs` is `speedups_by_baseline`: the ratio is double_loop's speedup over
    notes_double_loop, with its interval. Every speedup over the notes' loop
    is the same speedup over the careful loop times this ratio. Both loops
    are single-threaded, so one row per problem. Columns: dtype, m, n_x,
    ratio, ratio_low, ratio_high, extrapolated.
    """
    rows = pairs[(pairs.baseline == NOTES_BASELINE) & (pairs.impl == BASELINE) & (pairs.kind == STEP)]
    problem = ["dtype", *SIZE]
    columns = {"speedup": "ratio", "speedup_low": "ratio_low", "speedup_high": "ratio_high"}
    table = rows.drop_duplicates(problem).sort_values(["dtype", "n_x", "m"])[[*problem, *columns, "extrapolated"]]
    return table.rename(columns=columns).reset_index(drop=True)
