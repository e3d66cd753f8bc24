"""Ratios from paired trials, with intervals for both levels of noise: trials within a process, processes in a run.

A worker times a step beside the loops it is divided by, trial after trial
(bench/measure/trials.py), and a case is measured in several worker
processes (passes). Trials of one process share that process's state (its
memory layout, a slow spell of the machine), so they are not independent
samples of the run: an interval over all trials as if they were would be
far too narrow. Following Kalibera & Jones ("Rigorous benchmarking in
reasonable time", ISMM 2013), the estimate is two-level: per process, the
median of its trials' log ratios (a median: a trial an interrupt landed in
does not move it); per case, the mean of those P process medians, with the
standard error of the process medians (P - 1 degrees of freedom). Their
spread holds both levels (between processes, plus within a process over its
trials), so the interval is honest with any number of trials per process;
more trials narrow it only as far as processes agree.
"""

import numpy as np
import pandas as pd

from bench.records.intervals import log_interval, satterthwaite_df
from bench.records.schema import CASE, SELF_MEMBER, STEP

ESTIMATE = ["log_ratio", "log_se", "df"]  # a ratio in log space, its standard error and degrees of freedom


def paired_ratios(trials: pd.DataFrame) -> pd.DataFrame:
    """Per case and member: log(member time / step time), two-level (module docstring).

    `trials` is bench.records.results.paired_trials. Columns: CASE, member,
    log_ratio, log_se, df (P - 1), processes (P), trials (in all), within_sd
    (of a trial's log ratio about its process mean, pooled) and between_sd
    (of process medians). exp(log_ratio) is member time / step time: of a
    loop, the step's speedup over it; of the read, the inverse of the step's
    time in reads of X; of the step's copy, 1 but for noise and any bias.
    """
    keys = [*CASE, "member"]
    logged = trials[[*keys, "pass"]].assign(log_ratio=np.log(trials.member_s / trials.step_s))
    by_process = logged.groupby([*keys, "pass"], sort=False).log_ratio
    processes = by_process.agg(["median", "count", "var"]).reset_index()
    processes["squares"] = processes["var"].fillna(0.0) * (processes["count"] - 1)
    grouped = processes.groupby(keys, sort=False)
    out = grouped.agg(
        log_ratio=("median", "mean"),
        between_sd=("median", "std"),
        processes=("median", "size"),
        trials=("count", "sum"),
        squares=("squares", "sum"),
    ).reset_index()
    out["log_se"] = out.between_sd / np.sqrt(out.processes)
    out["df"] = (out.processes - 1).astype(float)
    within_df = out.trials - out.processes
    out["within_sd"] = np.sqrt(out.squares / within_df.where(within_df > 0))
    return out.drop(columns="squares")


def lookup(cases: pd.DataFrame, ratios: pd.DataFrame, member: str) -> pd.DataFrame:
    """Each row's paired estimate against `member` (ESTIMATE columns; NaN where its case was not paired with it),
    indexed as `cases`, which needs the CASE columns."""
    found = ratios[ratios.member == member][[*CASE, *ESTIMATE]]
    return cases[CASE].merge(found, on=CASE, how="left").set_index(cases.index)[ESTIMATE]


def through_loop(ratios: pd.DataFrame, numerator: pd.DataFrame, denominator: pd.DataFrame, loop: str) -> pd.DataFrame:
    """log(time of each numerator case / time of the denominator case in the same row), two cases of two worker
    processes, each timed beside `loop`: the loop is the yardstick both were paired with. numerator / denominator
    = (loop / denominator) / (loop / numerator), so the log is the difference of two paired estimates, their
    errors combined. Valid where the loop runs alike in both workers (measured: bench/analysis/ratios.py)."""
    return combined(lookup(denominator, ratios, loop), lookup(numerator, ratios, loop), -1.0)


def combined(first: pd.DataFrame, second: pd.DataFrame, sign: float) -> pd.DataFrame:
    """first + sign * second, of two independent log estimates (ESTIMATE columns, aligned by index)."""
    se = np.hypot(first.log_se, second.log_se)
    df = satterthwaite_df(first.log_se, first["df"], second.log_se, second["df"])
    return pd.DataFrame(
        {"log_ratio": first.log_ratio + sign * second.log_ratio, "log_se": se, "df": df}, index=first.index
    )


def self_pairs(trials: pd.DataFrame | None) -> pd.DataFrame:
    """Each step against a second copy of itself in the same trials: CASE, ratio (self / step), low, high.

    The check that pairing adds no bias: ratios near 1, intervals covering 1
    in about 95% of cases. Empty for a run without paired trials.
    """
    columns = [*CASE, "ratio", "low", "high", "processes"]
    if trials is None or trials.empty:
        return pd.DataFrame(columns=columns)
    ratios = paired_ratios(trials[(trials.kind == STEP) & (trials.member == SELF_MEMBER)])
    low, high = log_interval(ratios.log_ratio, ratios.log_se, ratios["df"])
    return ratios.assign(ratio=np.exp(ratios.log_ratio), low=low, high=high)[columns]
