"""Pure analysis of a run's tidy tables: speedups with intervals, claims verdicts, thread scaling, dtypes,
peers against ours, cost models, bandwidth.

Every function takes DataFrames (from `bench.results.tidy` and
`bench.results.pass_times`) and returns a new one; nothing here measures,
plots or writes files. `analyse` computes all of it once, for the report.
"""

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from bench.claims import (  # noqa: F401  (re-exported: the analysis' vocabulary)
    ALL_CORES,
    BASELINE,
    BASELINES,
    CLAIMS,
    DECIDED,
    DOES_NOT_HOLD,
    EXCEEDED,
    EXTRAPOLATED,
    HOLDS,
    NOTES_BASELINE,
    NOTES_CLAIMS,
    ONE_THREAD,
    SETTING_TITLES,
    SETTINGS,
    UNDECIDED,
    Baseline,
    Claim,
)
from bench.explain import Explanation, Models, explain
from bench.model import Caches, fit_models, measured_steps

SIZE = ["m", "n_x"]
PAIRING = ["kind", "m", "n_x", "dtype"]  # what a speedup pairs on: the same problem
# What identifies a case: the same implementation at another thread count is another case.
CASE = ["kind", "impl", "threads", "dtype", "m", "n_x"]
CONFIDENCE = 0.95
WIDE, NARROW = "float64", "float32"  # the dtypes a run may measure (impls.core.DTYPES), the reference first


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


def claims_against(baseline: str) -> tuple[Claim, ...]:
    """The claims judged against `baseline` (BASELINES); none for any other implementation."""
    return next((b.claims for b in BASELINES if b.impl == baseline), ())


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
    rows = pairs[(pairs.baseline == NOTES_BASELINE) & (pairs.impl == BASELINE) & (pairs.kind == "step")]
    problem = ["dtype", *SIZE]
    columns = {"speedup": "ratio", "speedup_low": "ratio_low", "speedup_high": "ratio_high"}
    table = rows.drop_duplicates(problem).sort_values(["dtype", "n_x", "m"])[[*problem, *columns, "extrapolated"]]
    return table.rename(columns=columns).reset_index(drop=True)


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


def describe_sizes(frame: pd.DataFrame, grid: pd.DataFrame) -> str:
    """Where in the size grid the rows lie, e.g. 'n_x=10: m=1e3..1e5, 1e6 (4 sizes); n_x=100: m=1e2 (1 size)'.

    `grid` holds every cell the rows were drawn from: "a..b" names a run of
    consecutive grid sizes all in `frame`, never a range with a size of
    another verdict inside it.
    """
    if frame.empty:
        return "nowhere"
    parts = []
    for n_x, group in frame.groupby("n_x"):
        chosen = set(group.m)
        runs: list[list[int]] = [[]]
        for m in sorted(set(grid.m[grid.n_x == n_x]) | chosen):
            if m in chosen:
                runs[-1].append(m)
            elif runs[-1]:
                runs.append([])
        spans = [_m(run[0]) if len(run) == 1 else f"{_m(run[0])}..{_m(run[-1])}" for run in runs if run]
        parts.append(f"n_x={n_x}: m={', '.join(spans)} ({len(chosen)} size{'s' if len(chosen) > 1 else ''})")
    return "; ".join(parts)


def _m(value: float) -> str:
    return f"{value:.0e}".replace("e+0", "e").replace("e+", "e")


def dtypes_in(frame: pd.DataFrame) -> list[str]:
    """The dtypes of `frame`'s rows, float64 first (float64 alone when it has no rows)."""
    present = set(frame.dtype)
    return [dtype for dtype in (WIDE, NARROW) if dtype in present] or [WIDE]


def claims_verdict(speedup_table: pd.DataFrame, claims: tuple[Claim, ...] = CLAIMS) -> pd.DataFrame:
    """For each claim, setting and dtype: how many measured sizes it holds at, is exceeded, does not hold, is undecided.

    Rows: claim x setting ("1 thread", then "all cores") x dtype (float64,
    then any other the run measured; speedups pair the double loop and the
    step in the same dtype). Only measured step cells count; extrapolated ones
    are listed apart. A cell's verdict comes from its 95% interval
    (`cell_verdict`), so a speedup near an edge of the band is "undecided"
    rather than a coin toss.
    """
    rows = []
    for claim, setting, dtype in itertools.product(claims, SETTINGS, dtypes_in(speedup_table)):
        cells = speedup_table[
            (speedup_table.impl == claim.impl)
            & (speedup_table.kind == "step")
            & (speedup_table.setting == setting)
            & (speedup_table.dtype == dtype)
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
                "dtype": dtype,
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
                "holds_at": describe_sizes(where[HOLDS], cells),
                "exceeded_at": describe_sizes(where[EXCEEDED], cells),
                "does_not_hold_at": describe_sizes(where[DOES_NOT_HOLD], cells),
                "undecided_at": describe_sizes(where[UNDECIDED], cells),
                "extrapolated_at": describe_sizes(cells[cells.extrapolated], cells),
            }
        )
    return pd.DataFrame(rows)


def claims_verdicts(pairs: pd.DataFrame) -> pd.DataFrame:
    """`claims_verdict` against each of BASELINES on its own claims, stacked, with a first column `baseline`."""
    tables = [claims_verdict(pairs[pairs.baseline == b.impl], b.claims).assign(baseline=b.impl) for b in BASELINES]
    verdict = pd.concat(tables, ignore_index=True)
    return verdict[["baseline", *verdict.columns.drop("baseline")]]


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


def dtype_ratios(results: pd.DataFrame, passes: pd.DataFrame) -> pd.DataFrame:
    """Per implementation, thread count and size measured in both dtypes: ratio = seconds in float32 / in float64.

    float32 halves the bytes of X: where a step streams X from memory, the
    ratio can reach 0.5; near 1 the step is bound by something else (per-call
    costs, Python floats, float64 arithmetic inside). [ratio_low, ratio_high]
    is the 95% interval from the paired passes (as for speedups). Steps only.
    Columns: kind, impl, label, threads, as_installed, m, n_x, bytes_x
    (float64's), seconds_float64, seconds_float32, ratio, ratio_low, ratio_high.
    """
    key = ["kind", "impl", "threads", "m", "n_x"]
    measured = results[(results.kind == "step") & (results.status == "measured")]
    wide, narrow = (measured[measured.dtype == dtype] for dtype in (WIDE, NARROW))
    out = wide[[*key, "label", "as_installed", "bytes_x", "seconds"]].merge(
        narrow[[*key, "seconds"]], on=key, suffixes=(f"_{WIDE}", f"_{NARROW}")
    )
    numerator = passes[passes.dtype == NARROW].merge(out[key], on=key)
    denominator = passes[passes.dtype == WIDE][[*key, "pass", "median_s"]]
    out = out.merge(paired_ratio_intervals(numerator, denominator, on=key, by=key), on=key, how="left")
    out["ratio"] = out[f"seconds_{NARROW}"] / out[f"seconds_{WIDE}"]
    out["ratio_low"], out["ratio_high"] = _widened(out.ratio, out.ratio_low, out.ratio_high)
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


def relative_times(results: pd.DataFrame, passes: pd.DataFrame, impl: str, against: str) -> pd.DataFrame:
    """Per setting, dtype and size where both are measured: ratio = seconds of `impl` / seconds of `against`.

    Below 1, `impl` is faster. Each side is its own row of the setting (its
    fewest threads for "1 thread", as installed for "all cores").
    [ratio_low, ratio_high] is the 95% interval from the paired passes.
    `size_range` names the row's SIZE_RANGES entry (by the bytes of X in its dtype).
    """
    measured = by_setting(results[(results.kind == "step") & (results.status == "measured")])
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
    out["size_range"] = [next(name for low, high, name in SIZE_RANGES if low <= b < high) for b in out.bytes_x]
    return out.assign(impl=impl, against=against)[RELATIVE_COLUMNS]


def comparisons(results: pd.DataFrame, passes: pd.DataFrame) -> pd.DataFrame:
    """`relative_times` of every COMPARISONS pair the run measured, stacked."""
    frames = [relative_times(results, passes, *pair) for pair in COMPARISONS]
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


def read_limit(results: pd.DataFrame) -> pd.DataFrame:
    """Each measured step, per setting, against one streaming read of its X (read_multiple 1.0 = the limit).

    Best against best: the step's fastest round of all passes over its
    worker's fastest read of all passes (timed in each pass just before the
    step, in the same process and threads), so that neither side's noise is
    compared with the other's floor.
    `floor_gbytes_per_s` is the fastest read of that X (in its dtype: float32
    holds half the bytes) in the setting: the limit a chart of the setting draws.
    """
    measured = results[(results.kind == "step") & (results.status == "measured") & results.read_s.notna()]
    rows = by_setting(measured)
    rows = rows.assign(
        read_multiple=rows.min_s / rows.read_s,
        best_gbytes_per_s=rows.bytes_x / rows.min_s / 1e9,
        read_gbytes_per_s=rows.bytes_x / rows.read_s / 1e9,
    )
    floor = rows.groupby(["setting", "dtype", *SIZE]).read_gbytes_per_s.transform("max")
    return rows.assign(floor_gbytes_per_s=floor)


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


@dataclass(frozen=True)
class Analysis:
    """Everything the report shows about a run, computed once (see `analyse`)."""

    results: pd.DataFrame  # bench.results.tidy
    passes: pd.DataFrame  # bench.results.pass_times
    steps: pd.DataFrame  # timed steps per setting: by_setting(steps(results))
    speedups: pd.DataFrame  # speedups_by_baseline
    verdict: pd.DataFrame  # claims_verdicts
    loop_form: pd.DataFrame
    thread_scaling: pd.DataFrame
    dtype_ratios: pd.DataFrame
    relative: pd.DataFrame  # relative_times of every COMPARISONS pair measured, stacked
    read_limit: pd.DataFrame
    fastest: pd.Series | None  # fastest_at_largest
    caches: Caches  # the machine's, from the run's machine info
    models: Models  # bench.model.fit_models, per implementation x threads x dtype
    unfitted: list[str]  # why a model could not be fitted
    explanations: dict[tuple[str, str, str], Explanation]  # (baseline, claim's implementation, setting)


def explanations(models: Models, results: pd.DataFrame) -> dict[tuple[str, str, str], Explanation]:
    """Each baseline's claims according to the cost models, over the run's measured sizes (bench/explain.py)."""
    measured = measured_steps(results)
    if measured.empty:
        return {}
    return {
        (baseline.impl, impl, setting): explained
        for baseline in BASELINES
        for (impl, setting), explained in explain(models, baseline.impl, measured, baseline.claims).items()
    }


def with_model_times(results: pd.DataFrame, models: Models) -> pd.DataFrame:
    """The results with each extrapolated step's `seconds` predicted by its cost model from every measured size.

    The sweep's own prediction (`predicted_s`, from smaller sizes only) decided
    to skip the case; the run's model knows every size, larger n_x included.
    Without a model, the sweep's prediction stays.
    """
    out = results.copy()
    for index, row in results[(results.kind == "step") & (results.status == "extrapolated")].iterrows():
        model = models.get((row.impl, int(row.threads), row["dtype"]))
        if model is not None:
            out.at[index, "seconds"] = float(model.predict(row.m, row.n_x)[0])
    return out


def analyse(results: pd.DataFrame, passes: pd.DataFrame, caches: Caches | None = None) -> Analysis:
    """The whole analysis of one run's tables; `caches` sizes the cost models' levels (unknown: one level)."""
    caches = caches or Caches()
    models, unfitted = fit_models(results, caches)
    results = with_model_times(results, models)
    pairs = speedups_by_baseline(results, passes)
    limits = read_limit(results)
    return Analysis(
        results=results,
        passes=passes,
        steps=by_setting(steps(results)),
        speedups=pairs,
        verdict=claims_verdicts(pairs),
        loop_form=loop_form(pairs),
        thread_scaling=thread_scaling(results, passes),
        dtype_ratios=dtype_ratios(results, passes),
        relative=comparisons(results, passes),
        read_limit=limits,
        fastest=fastest_at_largest(limits),
        caches=caches,
        models=models,
        unfitted=unfitted,
        explanations=explanations(models, results),
    )
