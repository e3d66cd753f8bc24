"""Ratios besides the speedups: all cores over one thread, float32 over float64, peers against ours, the read."""

import numpy as np
import pandas as pd

from bench.analysis.claims import ALL_CORES, BASELINE, SETTINGS
from bench.analysis.paired import ESTIMATE, paired_ratios, through_loop
from bench.analysis.speedups import _widened, by_setting, paired_ratio_intervals
from bench.records.intervals import log_interval
from bench.records.schema import CASE, NARROW, PAIRING, READ_MEMBER, SIZE, STEP, WIDE


def through_loop_ratios(
    out: pd.DataFrame, numerator: pd.DataFrame, denominator: pd.DataFrame, trials: pd.DataFrame | None
) -> pd.DataFrame:
    """`out` with ratio, ratio_low and ratio_high from the paired trials where both rows' cases were timed beside
    the careful loop: numerator time / denominator time through the loop, the yardstick of both workers
    (bench/analysis/paired.py: through_loop). The loop runs alike in a worker of one thread and of all cores
    (measured: 85-95 ms for m = 1e4, n_x = 100 in both); rows left unpaired keep what `out` had."""
    if trials is None or trials.empty or out.empty:
        return out
    ratios = paired_ratios(trials[(trials.kind == STEP) & (trials.member == BASELINE)])
    estimate = through_loop(ratios, numerator, denominator, BASELINE)
    use = estimate.log_ratio.notna() & np.isfinite(estimate.log_se)
    low, high = log_interval(estimate.log_ratio, estimate.log_se, estimate["df"])
    out = out.copy()
    out.loc[use, "ratio"] = np.exp(estimate.log_ratio[use])
    out.loc[use, "ratio_low"], out.loc[use, "ratio_high"] = low[use], high[use]
    return out


def thread_scaling(results: pd.DataFrame, passes: pd.DataFrame, trials: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per parallel implementation and problem: ratio = seconds with all cores / seconds with 1 thread.

    Measured pairs only, steps and training runs. From the paired trials
    where both were timed beside the careful loop (`through_loop_ratios`),
    else, with [ratio_low, ratio_high], from the paired passes (as for speedups).
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
    one_cases = out.assign(threads=1)
    out = through_loop_ratios(out, out, one_cases, trials)
    out["slower_with_all_cores"] = out.ratio_low > 1
    columns = [*key[:2], "label", *key[2:], "threads", "seconds_one_thread", "seconds_all_cores"]
    return out[[*columns, "ratio", "ratio_low", "ratio_high", "slower_with_all_cores"]].reset_index(drop=True)


def dtype_ratios(results: pd.DataFrame, passes: pd.DataFrame, trials: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per implementation, thread count and size measured in both dtypes: ratio = seconds in float32 / in float64.

    float32 halves the bytes of X: where a step streams X from memory, the
    ratio can reach 0.5; near 1 the step is bound by something else (per-call
    costs, Python floats, float64 arithmetic inside). [ratio_low, ratio_high]
    is the 95% interval, through the careful loop where both dtypes' steps were
    timed beside it (`through_loop_ratios`; the loop computes in Python floats
    whatever X's dtype), else from the paired passes. Steps only.
    Columns: kind, impl, label, threads, as_installed, m, n_x, bytes_x
    (float64's), seconds_float64, seconds_float32, ratio, ratio_low, ratio_high.
    """
    key = ["kind", "impl", "threads", "m", "n_x"]
    measured = results[(results.kind == STEP) & (results.status == "measured")]
    wide, narrow = (measured[measured.dtype == dtype] for dtype in (WIDE, NARROW))
    out = wide[[*key, "label", "as_installed", "bytes_x", "seconds"]].merge(
        narrow[[*key, "seconds"]], on=key, suffixes=(f"_{WIDE}", f"_{NARROW}")
    )
    numerator = passes[passes.dtype == NARROW].merge(out[key], on=key)
    denominator = passes[passes.dtype == WIDE][[*key, "pass", "median_s"]]
    out = out.merge(paired_ratio_intervals(numerator, denominator, on=key, by=key), on=key, how="left")
    out["ratio"] = out[f"seconds_{NARROW}"] / out[f"seconds_{WIDE}"]
    out["ratio_low"], out["ratio_high"] = _widened(out.ratio, out.ratio_low, out.ratio_high)
    out = through_loop_ratios(out, out.assign(dtype=NARROW), out.assign(dtype=WIDE), trials)
    columns = ["kind", "impl", "label", "threads", "as_installed", "m", "n_x", "bytes_x"]
    return out[[*columns, f"seconds_{WIDE}", f"seconds_{NARROW}", "ratio", "ratio_low", "ratio_high"]]


# Peers held against ours in the report: what a user moving to the peer gains or loses.
COMPARISONS = (("jax_peer", "fully_vectorized"), ("jax_peer", "numba_fused"))
# Size ranges by the bytes of X, for summaries: per-call costs dominate below the first, memory traffic above the last.
SIZE_RANGES = ((0.0, 1e6, "X under 1 MB"), (1e6, 1e8, "X of 1 to 100 MB"), (1e8, np.inf, "X of 100 MB or more"))
RELATIVE_COLUMNS = [
    "impl",
    "against",
    "setting",
    "dtype",
    "m",
    "n_x",
    "bytes_x",
    "size_range",  # its name in SIZE_RANGES
    "ratio",  # seconds of impl / seconds of against
    "ratio_low",
    "ratio_high",
]


def relative_times(
    results: pd.DataFrame, passes: pd.DataFrame, impl: str, against: str, trials: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per setting, dtype and size where both are measured: ratio = seconds of `impl` / seconds of `against`.

    Below 1, `impl` is faster. Each side is its own row of the setting (its
    fewest threads for "1 thread", as installed for "all cores").
    [ratio_low, ratio_high] is the 95% interval, through the careful loop
    where both were timed beside it (`through_loop_ratios`), else from the
    paired passes. `size_range` names the row's SIZE_RANGES entry (by the bytes of X in its dtype).
    """
    measured = by_setting(results[(results.kind == STEP) & (results.status == "measured")])
    sides = [
        measured[measured.impl == name][[*PAIRING, "setting", "threads", "bytes_x", "seconds"]]
        for name in (impl, against)
    ]
    out = sides[0].merge(sides[1].drop(columns="bytes_x"), on=[*PAIRING, "setting"], suffixes=("", "_against"))
    if out.empty:
        return pd.DataFrame(columns=RELATIVE_COLUMNS)
    intervals = []
    for setting, rows in out.groupby("setting", sort=False):
        numerator = passes.merge(rows[[*PAIRING, "threads"]].assign(impl=impl), on=[*PAIRING, "impl", "threads"])
        against_rows = rows[[*PAIRING, "threads_against"]].rename(columns={"threads_against": "threads"})
        denominator = passes.merge(against_rows.assign(impl=against), on=[*PAIRING, "impl", "threads"])
        interval = paired_ratio_intervals(numerator, denominator[[*PAIRING, "pass", "median_s"]], PAIRING, PAIRING)
        intervals.append(interval.assign(setting=setting))
    out = out.merge(pd.concat(intervals), on=[*PAIRING, "setting"], how="left")
    out["ratio"] = out.seconds / out.seconds_against
    out["ratio_low"], out["ratio_high"] = _widened(out.ratio, out.ratio_low, out.ratio_high)
    mine = out.assign(kind=STEP, impl=impl)
    theirs = out.assign(kind=STEP, impl=against, threads=out.threads_against)
    out = through_loop_ratios(out, mine, theirs, trials)
    out["size_range"] = [next(name for low, high, name in SIZE_RANGES if low <= b < high) for b in out.bytes_x]
    return out.assign(impl=impl, against=against)[RELATIVE_COLUMNS]


def comparisons(results: pd.DataFrame, passes: pd.DataFrame, trials: pd.DataFrame | None = None) -> pd.DataFrame:
    """`relative_times` of every COMPARISONS pair the run measured, stacked."""
    frames = [relative_times(results, passes, *pair, trials=trials) for pair in COMPARISONS]
    frames = [frame for frame in frames if not frame.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RELATIVE_COLUMNS)


def summarize_by_range(relative: pd.DataFrame) -> pd.DataFrame:
    """`relative_times` rows per setting, dtype and size range: sizes, ratios, and how many are faster or slower
    beyond their interval."""
    keys = ["impl", "against", "setting", "dtype", "size_range"]
    ranges = [name for _, _, name in SIZE_RANGES]
    ordered = relative.assign(
        setting_order=relative.setting.map(SETTINGS.index),
        dtype_order=relative.dtype.map([WIDE, NARROW].index),
        range_order=relative.size_range.map(ranges.index),
    ).sort_values(["setting_order", "dtype_order", "range_order"], kind="stable")
    return (
        ordered.groupby(keys, sort=False)
        .agg(
            sizes=("ratio", "size"),
            ratio_min=("ratio", "min"),
            ratio_median=("ratio", "median"),
            ratio_max=("ratio", "max"),
            faster=("ratio_high", lambda high: int((high < 1).sum())),
            slower=("ratio_low", lambda low: int((low > 1).sum())),
        )
        .reset_index()
    )


CONTENDED = 1.25  # a read this much slower than the fastest worker's read of the same X was slowed by the step's pool


def read_limit(results: pd.DataFrame, trials: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each measured step, per setting, against one streaming read of its X (read_multiple 1.0 = the limit).

    From the paired trials where the step was timed beside the read (runs
    since issue 21): read_multiple is the two-level estimate of step / read
    (bench/analysis/paired.py) and [read_multiple_low, read_multiple_high] its
    95% interval. Before: best against best, the step's fastest round of all
    passes over its worker's fastest read, without an interval.
    `floor_gbytes_per_s` is the fastest read of that X (in its dtype: float32
    holds half the bytes) in the setting: the limit a chart of the setting draws.
    """
    measured = results[(results.kind == STEP) & (results.status == "measured") & results.read_s.notna()]
    rows = by_setting(measured)
    rows = rows.assign(
        read_multiple=rows.min_s / rows.read_s,
        read_multiple_low=np.nan,
        read_multiple_high=np.nan,
        best_gbytes_per_s=rows.bytes_x / rows.min_s / 1e9,
        read_gbytes_per_s=rows.bytes_x / rows.read_s / 1e9,
    )
    if trials is not None and not trials.empty:
        rows = _paired_reads(rows, trials)
    floor = rows.groupby(["setting", "dtype", *SIZE]).read_gbytes_per_s.transform("max")
    return rows.assign(floor_gbytes_per_s=floor)


def _paired_reads(rows: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """`rows` with read_multiple and its interval from the trials that paired each step with a read of X.

    Where the read in a step's worker ran over CONTENDED times the fastest
    worker's read of the same X with the same threads, the step's own pool
    slowed it (measured here: OpenBLAS's threads, spinning after numpy's or
    scikit-learn's step, took the cores from the read's, 49 ms against 22 ms
    for 800 MB): that pairing would flatter the step, so the row keeps best
    against best, with the fastest worker's read as the floor.
    """
    reads = trials[(trials.kind == STEP) & (trials.member == READ_MEMBER)]
    typical = reads.groupby(CASE).member_s.median()
    fastest = typical.groupby([name for name in CASE if name != "impl"]).transform("min")
    clean = typical[typical <= CONTENDED * fastest].index
    ratios = paired_ratios(reads.set_index(CASE).loc[clean].reset_index())
    found = rows[CASE].merge(ratios[[*CASE, *ESTIMATE]], on=CASE, how="left").set_index(rows.index)
    use = found.log_ratio.notna()
    low, high = log_interval(-found.log_ratio, found.log_se, found["df"])  # step / read: the ratio inverted
    out = rows.copy()
    floor = out.groupby(["setting", "dtype", "threads", *SIZE]).read_s.transform("min")
    out.loc[~use, "read_multiple"] = out.min_s[~use] / floor[~use]
    out.loc[use, "read_multiple"] = np.exp(-found.log_ratio[use])
    out.loc[use, "read_multiple_low"], out.loc[use, "read_multiple_high"] = low[use], high[use]
    return out


def fastest_by_shape(limits: pd.DataFrame) -> pd.DataFrame:
    """Per setting and measured (m, n_x), the row of the fastest float64 step (best round): what is left between
    the fastest this machine runs the step and one read of X, shape by shape. `limits`: `read_limit`'s table."""
    table = limits[(limits.dtype == WIDE) & (limits.status == "measured")]
    if table.empty:
        return table
    return table.loc[table.groupby(["setting", *SIZE]).min_s.idxmin()].sort_values(["setting", "n_x", "m"])


def fastest_at_largest(limits: pd.DataFrame) -> pd.Series | None:
    """The fastest float64 step as installed at the largest measured X (ties: the larger m); None if none.

    `limits` is the table of `read_limit`.
    """
    table = limits[(limits.setting == ALL_CORES) & (limits.dtype == WIDE)]
    if table.empty:
        return None
    largest = table.sort_values(["bytes_x", "m"]).iloc[-1]
    same_size = table[(table.m == largest.m) & (table.n_x == largest.n_x)]
    return same_size.loc[same_size.min_s.idxmin()]
