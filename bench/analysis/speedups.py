"""Speedups over a baseline, paired by problem, with intervals from paired passes; the loop form's cost.

Every function takes DataFrames (from `bench.records.results.tidy` and
`bench.records.results.pass_times`) and returns a new one; nothing here measures,
plots or writes files.
"""

import numpy as np
import pandas as pd

from bench.analysis.claims import ALL_CORES, BASELINE, BASELINES, NOTES_BASELINE, ONE_THREAD, claims_against
from bench.analysis.verdicts import verdicts
from bench.records.intervals import log_t_interval
from bench.records.schema import CASE, PAIRING, SIZE, STEP


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


def speedups(results: pd.DataFrame, passes: pd.DataFrame, baseline: str = BASELINE) -> pd.DataFrame:
    """Each timed row per setting with speedup = seconds[baseline] / seconds, paired at (kind, m, n_x, dtype).

    Steps and training runs alike; the `baseline` column names the baseline.
    [speedup_low, speedup_high] is the 95% interval from the paired passes:
    per pass p, baseline median / this median, through `log_t_interval`,
    widened to hold the point estimate; NaN with fewer than two common passes
    or where either side is extrapolated. `verdict` judges the claim on this
    implementation, if the baseline has one on it (`verdicts`, `BASELINES`).
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
    out["baseline"] = baseline
    out["verdict"] = verdicts(out, claims_against(baseline))
    return out.drop(columns=["ratio_low", "ratio_high"])


def speedups_by_baseline(results: pd.DataFrame, passes: pd.DataFrame) -> pd.DataFrame:
    """`speedups` against each of BASELINES, stacked: every implementation against either loop."""
    return pd.concat([speedups(results, passes, b.impl) for b in BASELINES], ignore_index=True)


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
