"""Pure analysis of a run's tidy tables: speedups with intervals, claims verdicts, thread scaling, fits, bandwidth.

Every function takes DataFrames (from `bench.results.tidy` and
`bench.results.pass_times`) and returns a new one; nothing here measures,
plots or writes files. `analyse` computes all of it once, for the report.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

BASELINE = "double_loop"
SIZE = ["m", "n_x"]
PAIRING = ["kind", "m", "n_x", "dtype"]  # what a speedup pairs on: the same problem
# What identifies a case: the same implementation at another thread count is another case.
CASE = ["kind", "impl", "threads", "dtype", "m", "n_x"]
CONFIDENCE = 0.95

# The two settings a report speaks of (bench/journal.py).
ONE_THREAD = "1 thread"
ALL_CORES = "all cores"
SETTINGS = (ONE_THREAD, ALL_CORES)
SETTING_TITLES = {ONE_THREAD: "vectorization alone (1 thread)", ALL_CORES: "as installed (all cores)"}

# A verdict on one measured cell; the first three are "decided".
HOLDS, EXCEEDED, DOES_NOT_HOLD, UNDECIDED, EXTRAPOLATED = (
    "holds",
    "exceeded",
    "does not hold",
    "undecided",
    "extrapolated",
)
DECIDED = (HOLDS, EXCEEDED, DOES_NOT_HOLD)


@dataclass(frozen=True)
class Claim:
    """A speedup the course notes promise for one implementation over the double loop."""

    impl: str
    factor: float
    statement: str
    short: str  # for legends: what was removed

    @property
    def band(self) -> tuple[float, float]:
        """ "About" the factor: within 2x either side (10x: 5x to 20x; 300x: 150x to 600x)."""
        return self.factor / 2, self.factor * 2


CLAIMS = (
    Claim("features_vectorized", 10.0, "one loop removed (features vectorized) is ~10x faster", "one loop removed"),
    Claim("fully_vectorized", 300.0, "both loops removed (fully vectorized) is ~300x faster", "both loops removed"),
)


def log_t_interval(log_values: ArrayLike, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The t-interval of the mean of `log_values`, exponentiated: (low, high); NaN with fewer than 2 values.

    Used on log pass medians (a time's interval) and on log ratios of paired
    pass medians (a speedup's). Why a t-interval: R, the number of passes, is
    small (3 by default), and a percentile bootstrap over 3 paired passes can
    only return [min, max] of them, whose coverage is about 75%, not 95%. If
    the drift between passes is log-normal, mean +- t_{0.975, R-1} * sd / sqrt(R)
    in log space is the exact 95% interval for the geometric mean: wide with
    R = 3 (t = 4.30), as honest small samples are. Log space because times and
    ratios drift multiplicatively and must stay positive.
    """
    values = np.asarray(log_values, float)
    if values.size < 2:
        return np.nan, np.nan
    half_width = stats.t.ppf(0.5 + confidence / 2, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return float(np.exp(values.mean() - half_width)), float(np.exp(values.mean() + half_width))


def paired_ratio_intervals(
    numerator: pd.DataFrame, denominator: pd.DataFrame, on: list[str], by: list[str]
) -> pd.DataFrame:
    """The interval of numerator / denominator time per group `by`, pairing pass medians by `on` and pass number.

    Both frames are pass tables (bench.results.pass_times), already narrowed to
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
    return results[(results.kind == "step") & results.seconds.notna()]


def by_setting(results: pd.DataFrame) -> pd.DataFrame:
    """The rows of each setting, with a `setting` column: "1 thread" and "all cores" (bench/journal.py).

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

    Steps and training runs alike. [speedup_low, speedup_high] is the 95%
    interval from the paired passes: per pass p, baseline median / this
    median, through `log_t_interval`, widened to hold the point estimate; NaN
    with fewer than two common passes or where either side is extrapolated.
    `verdict` judges the claim on this implementation, if any (`verdicts`).
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
    out["verdict"] = verdicts(out)
    return out.drop(columns=["ratio_low", "ratio_high"])


def cell_verdict(low: float, high: float, band: tuple[float, float]) -> str:
    """A claim's verdict on one cell from its 95% interval [low, high] and the claim's band.

    "holds" when the whole interval lies within the band, "exceeded" wholly
    above it, "does not hold" wholly below it; "undecided" when it straddles
    an edge of the band, or when there is no interval (a single pass).
    """
    band_low, band_high = band
    if not (np.isfinite(low) and np.isfinite(high)):
        return UNDECIDED
    if low > band_high:
        return EXCEEDED
    if high < band_low:
        return DOES_NOT_HOLD
    if band_low <= low and high <= band_high:
        return HOLDS
    return UNDECIDED


def verdicts(speedup_table: pd.DataFrame, claims: tuple[Claim, ...] = CLAIMS) -> pd.Series:
    """Per speedup row: the verdict of the claim on its implementation (steps only); "" where none applies."""
    bands = {claim.impl: claim.band for claim in claims}
    return pd.Series(
        [
            ""
            if row.impl not in bands or row.kind != "step"
            else EXTRAPOLATED
            if row.extrapolated
            else cell_verdict(row.speedup_low, row.speedup_high, bands[row.impl])
            for row in speedup_table.itertuples()
        ],
        index=speedup_table.index,
        dtype=object,
    )


def describe_sizes(frame: pd.DataFrame) -> str:
    """Where in the size grid the rows lie, e.g. 'n_x=10: m=1e+03..1e+06; n_x=100: m=100'."""
    if frame.empty:
        return "nowhere"
    parts = []
    for n_x, group in frame.groupby("n_x"):
        ms = sorted(group.m)
        span = f"{ms[0]:.0e}" if len(ms) == 1 else f"{ms[0]:.0e}..{ms[-1]:.0e}"
        parts.append(f"n_x={n_x}: m={span} ({len(ms)} size{'s' if len(ms) > 1 else ''})")
    return "; ".join(parts).replace("e+0", "e")


def claims_verdict(speedup_table: pd.DataFrame, claims: tuple[Claim, ...] = CLAIMS) -> pd.DataFrame:
    """For each claim and setting: how many measured sizes it holds at, is exceeded, does not hold, is undecided.

    Rows: claim x setting ("1 thread", then "all cores"). Only measured step
    cells count; extrapolated ones are listed apart. A cell's verdict comes
    from its 95% interval (`cell_verdict`), so a speedup near an edge of the
    band is "undecided" rather than a coin toss.
    """
    rows = []
    for claim in claims:
        for setting in SETTINGS:
            cells = speedup_table[
                (speedup_table.impl == claim.impl) & (speedup_table.kind == "step") & (speedup_table.setting == setting)
            ]
            measured = cells[~cells.extrapolated]
            where = {verdict: measured[measured.verdict == verdict] for verdict in (*DECIDED, UNDECIDED)}
            counts = {verdict: len(frame) for verdict, frame in where.items()}
            rows.append(
                {
                    "claim": claim.statement,
                    "impl": claim.impl,
                    "factor": claim.factor,
                    "setting": setting,
                    "threads": ", ".join(str(t) for t in sorted(measured.threads.unique())),
                    "measured_sizes": len(measured),
                    "holds": counts[HOLDS],
                    "exceeded": counts[EXCEEDED],
                    "does_not_hold": counts[DOES_NOT_HOLD],
                    "undecided": counts[UNDECIDED],
                    "speedup_min": measured.speedup.min() if len(measured) else np.nan,
                    "speedup_median": measured.speedup.median() if len(measured) else np.nan,
                    "speedup_max": measured.speedup.max() if len(measured) else np.nan,
                    "verdict": summary_verdict(counts),
                    "holds_at": describe_sizes(where[HOLDS]),
                    "exceeded_at": describe_sizes(where[EXCEEDED]),
                    "does_not_hold_at": describe_sizes(where[DOES_NOT_HOLD]),
                    "undecided_at": describe_sizes(where[UNDECIDED]),
                    "extrapolated_at": describe_sizes(cells[cells.extrapolated]),
                }
            )
    return pd.DataFrame(rows)


def summary_verdict(counts: dict[str, int]) -> str:
    """One sentence from the number of sizes per cell verdict."""
    n = sum(counts.values())
    if n == 0:
        return "not measured"
    if counts[HOLDS] == n:
        return "holds everywhere measured"
    if counts[HOLDS] + counts[EXCEEDED] == n:
        return "holds or is exceeded everywhere measured"
    if counts[DOES_NOT_HOLD] == n:
        return "does not hold anywhere measured"
    if counts[UNDECIDED] == n:
        return "undecided everywhere measured"
    return (
        f"holds at {counts[HOLDS]}, is exceeded at {counts[EXCEEDED]}, does not hold at {counts[DOES_NOT_HOLD]} "
        f"and is undecided at {counts[UNDECIDED]} of {n} measured sizes"
    )


def thread_scaling(results: pd.DataFrame, passes: pd.DataFrame) -> pd.DataFrame:
    """Per parallel implementation and problem: ratio = seconds with all cores / seconds with 1 thread.

    Measured pairs only, steps and training runs. [ratio_low, ratio_high] is
    the 95% interval from the paired passes (as for speedups).
    `slower_with_all_cores` is true where ratio_low > 1: more threads made the
    step slower beyond the interval, a finding about the library on this
    machine (e.g. thread pools competing for the cores), not noise.
    Columns: kind, impl, label, m, n_x, dtype, threads (all cores), seconds_one_thread,
    seconds_all_cores, ratio, ratio_low, ratio_high, slower_with_all_cores.
    """
    key = ["kind", "impl", "dtype", "m", "n_x"]
    measured = results[(results.status == "measured") & results.parallel]
    one = measured[measured.threads == 1]
    every = measured[measured.as_installed & (measured.threads > 1)]
    out = every[[*key, "label", "threads", "seconds"]].merge(
        one[[*key, "seconds"]], on=key, suffixes=("_all_cores", "_one_thread")
    )
    numerator = passes.merge(every[[*key, "threads"]], on=[*key, "threads"])
    denominator = passes.merge(one[[*key, "threads"]], on=[*key, "threads"])[[*key, "pass", "median_s"]]
    out = out.merge(paired_ratio_intervals(numerator, denominator, on=key, by=key), on=key, how="left")
    out["ratio"] = out.seconds_all_cores / out.seconds_one_thread
    out["ratio_low"], out["ratio_high"] = _widened(out.ratio, out.ratio_low, out.ratio_high)
    out["slower_with_all_cores"] = out.ratio_low > 1
    columns = [*key[:2], "label", *key[2:], "threads", "seconds_one_thread", "seconds_all_cores"]
    return out[[*columns, "ratio", "ratio_low", "ratio_high", "slower_with_all_cores"]].reset_index(drop=True)


def complexity_fit(results: pd.DataFrame) -> pd.DataFrame:
    """Least-squares fit of log(seconds) = log(c) + k log(m * n_x) per implementation and thread count.

    Measured cases only. k near 1 means time linear in the work; k below 1
    means fixed overheads still matter over the measured range. r2 is the
    fit's coefficient of determination in log space.
    """
    columns = ["impl", "threads", "exponent", "r2", "ns_per_element", "cases"]
    rows = []
    measured = results[(results.kind == "step") & (results.status == "measured")]
    for (impl, threads), group in measured.groupby(["impl", "threads"], sort=False):
        x = np.log10(group.m.to_numpy(float) * group.n_x.to_numpy(float))
        y = np.log10(group.seconds.to_numpy(float))
        if len(group) < 2 or np.ptp(x) == 0:
            rows.append(dict(zip(columns, [impl, threads, np.nan, np.nan, np.nan, len(group)], strict=True)))
            continue
        k, log_c = np.polyfit(x, y, 1)
        residual = y - (k * x + log_c)
        r2 = 1 - float(residual @ residual) / float(((y - y.mean()) ** 2).sum()) if np.ptp(y) > 0 else 1.0
        largest = group.loc[(group.m * group.n_x).idxmax()]
        ns_per_element = largest.seconds / (largest.m * largest.n_x) * 1e9
        rows.append(dict(zip(columns, [impl, threads, k, r2, ns_per_element, len(group)], strict=True)))
    return pd.DataFrame(rows, columns=columns)


def read_limit(results: pd.DataFrame) -> pd.DataFrame:
    """Each measured step, per setting, against one streaming read of its X (read_multiple 1.0 = the limit).

    Best against best: the step's fastest round of all passes over its
    worker's fastest read of all passes (timed in each pass just before the
    step, in the same process and threads), so that neither side's noise is
    compared with the other's floor.
    `floor_gbytes_per_s` is the fastest read of that X in the setting: the
    limit a chart of the setting draws.
    """
    measured = results[(results.kind == "step") & (results.status == "measured") & results.read_s.notna()]
    rows = by_setting(measured)
    rows = rows.assign(
        read_multiple=rows.min_s / rows.read_s,
        best_gbytes_per_s=rows.bytes_x / rows.min_s / 1e9,
        read_gbytes_per_s=rows.bytes_x / rows.read_s / 1e9,
    )
    return rows.assign(floor_gbytes_per_s=rows.groupby(["setting", *SIZE]).read_gbytes_per_s.transform("max"))


def fastest_at_largest(limits: pd.DataFrame) -> pd.Series | None:
    """The fastest step as installed at the largest measured X (ties: the larger m); None if none.

    `limits` is the table of `read_limit`.
    """
    table = limits[limits.setting == ALL_CORES]
    if table.empty:
        return None
    largest = table.sort_values(["bytes_x", "m"]).iloc[-1]
    same_size = table[(table.m == largest.m) & (table.n_x == largest.n_x)]
    return same_size.loc[same_size.min_s.idxmin()]


@dataclass(frozen=True)
class Analysis:
    """Everything the report shows about a run, computed once (see `analyse`)."""

    results: pd.DataFrame  # bench.results.tidy
    passes: pd.DataFrame  # bench.results.pass_times
    steps: pd.DataFrame  # timed steps per setting: by_setting(steps(results))
    speedups: pd.DataFrame
    verdict: pd.DataFrame  # claims_verdict
    thread_scaling: pd.DataFrame
    complexity: pd.DataFrame
    read_limit: pd.DataFrame
    fastest: pd.Series | None  # fastest_at_largest


def analyse(results: pd.DataFrame, passes: pd.DataFrame) -> Analysis:
    """The whole analysis of one run's tables."""
    pairs = speedups(results, passes)
    limits = read_limit(results)
    return Analysis(
        results=results,
        passes=passes,
        steps=by_setting(steps(results)),
        speedups=pairs,
        verdict=claims_verdict(pairs),
        thread_scaling=thread_scaling(results, passes),
        complexity=complexity_fit(results),
        read_limit=limits,
        fastest=fastest_at_largest(limits),
    )
