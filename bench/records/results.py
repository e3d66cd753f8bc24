"""A run's JSON as tidy tables: a row per case (implementation x threads x dtype x m x n_x, and training), per pass.

The format is bench/records/journal.py's (its docstring): each case is measured in R
passes, pass p of every implementation measured close in time to pass p of
every other, and a case's time is the median over passes of the per-pass
medians. Runs written before that format (one pass, no `threads`) still load:
their cases count as one pass at the run's numba thread count.
"""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.records import journal
from bench.records.intervals import log_t_interval
from bench.records.schema import CASE, STEP, STEP_MEMBER, TRAIN, WIDE

CSV_NAME = "results.csv"

COLUMNS = [
    "kind",  # "step" or "train"
    "impl",
    "label",
    "m",
    "n_x",
    "threads",  # threads the worker's pools were fixed to
    "dtype",
    "parallel",  # the implementation can use more than one thread
    "as_installed",  # this row is what a user gets as installed: the "all cores" setting (bench/records/journal.py)
    "status",  # measured, extrapolated (over budget), refused (memory), disagrees, failed, timed out
    "passes",  # passes measured (0 when not measured)
    "seconds",  # median over passes of pass medians where measured; where extrapolated, predicted_s, which the
    # report replaces with the run's cost model prediction (bench.analysis.analyse.with_model_times)
    "seconds_low",  # 95% interval of `seconds` from the pass medians (t-interval; NaN with one pass)
    "seconds_high",
    "median_s",  # the rest: pooled over the rounds of every pass
    "iqr_s",
    "q1_s",
    "q3_s",
    "min_s",  # best round over all passes
    "mean_s",
    "stddev_s",
    "rounds",
    "predicted_s",
    "bytes_x",
    "gbytes_per_s",
    "read_s",
    "agreement_error",  # against the float64 reference
    "result_dtype",  # of the dw the step returned (a float32 problem may come back float64)
    "reason",
]
TEXT_COLUMNS = {"kind", "impl", "label", "dtype", "result_dtype", "status", "reason"}
BOOL_COLUMNS = {"parallel", "as_installed"}
PASS_COLUMNS = [*CASE, "pass", "median_s", "min_s", "read_s"]
TRIAL_COLUMNS = [*CASE, "pass", "trial", "member", "member_s", "step_s"]


def load_run(path: Path) -> dict[str, Any]:
    """The pytest-benchmark JSON of a run: a run directory or the JSON file itself.

    A directory whose sweep was interrupted before it wrote benchmark.json is
    read from its journal instead, so nothing it measured is lost.
    """
    path = Path(path)
    if path.is_dir():
        json_path = path / journal.BENCHMARK_JSON_NAME
        if not json_path.exists():
            return _run_from_journal(path)
        path = json_path
    if not path.exists():
        raise FileNotFoundError(f"no benchmark run at {path}: expected a run directory or its benchmark.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _run_from_journal(directory: Path) -> dict[str, Any]:
    records = journal.read(directory)
    if not records:
        raise FileNotFoundError(f"{directory} holds neither {journal.BENCHMARK_JSON_NAME} nor a journal")
    machine: dict[str, Any] = next((r["machine_info"] for r in records if r["kind"] == "machine"), {})
    machine = machine | {"thread_settings": journal.thread_settings(records)}
    return {"machine_info": machine, "commit_info": {}, **journal.split_records(records), "run": {"interrupted": True}}


def _cases(run: dict[str, Any]) -> list[dict[str, Any]]:
    return run.get("benchmarks", []) + run.get("skipped", [])


def is_legacy(run: dict[str, Any]) -> bool:
    """Whether the run was written before issue 9: one process, one pass, no case records its threads."""
    return not any("threads" in case.get("extra_info", {}) for case in _cases(run))


def _default_threads(run: dict[str, Any]) -> int:
    """Threads of a case that does not say: runs before issue 9 ran every case at the process's numba threads."""
    return int(run.get("machine_info", {}).get("numba_threads", 1))


def _identity(case: dict[str, Any], default_threads: int) -> dict[str, Any]:
    """The CASE columns of one record."""
    info = case.get("extra_info", {})
    kind = info.get("kind", TRAIN if "train_m" in info else STEP)
    train = kind == TRAIN
    return {
        "kind": kind,
        "impl": info.get("impl"),
        "threads": int(info.get("threads", default_threads)),
        "dtype": info.get("dtype", WIDE),
        "m": info.get("train_m" if train else "m"),
        "n_x": info.get("train_n_x" if train else "n_x"),
    }


def _passes(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-pass summaries of a measured case, in pass order; an old run's case is one pass."""
    stats = case.get("stats")
    if not stats:
        return []
    info = case.get("extra_info", {})
    if info.get("passes"):
        return list(info["passes"])
    return [{"pass": 1, "median": stats["median"], "min": stats["min"], "rounds": stats["rounds"], "read_s": None}]


def tidy(run: dict[str, Any]) -> pd.DataFrame:
    """One row per case with statistics in seconds (COLUMNS); unmeasured cases keep their reason.

    Rows are sorted by kind, m, n_x, impl, threads, dtype.
    """
    default_threads = _default_threads(run)
    rows = [_row(case, default_threads) for case in _cases(run)]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    numeric = [c for c in COLUMNS if c not in TEXT_COLUMNS | BOOL_COLUMNS]
    frame[numeric] = frame[numeric].apply(pd.to_numeric)
    frame["threads"] = frame.threads.astype(int)
    frame["parallel"] = frame.parallel.astype(bool)
    frame["as_installed"] = _as_installed(frame, run.get("run", {}).get("all_cores"))
    return frame.sort_values(["kind", "m", "n_x", "impl", "threads", "dtype"], kind="stable", ignore_index=True)


def _as_installed(frame: pd.DataFrame, all_cores: int | None) -> pd.Series:
    """Which rows make the "all cores" setting (bench/records/journal.py).

    Parallel implementations: their rows at the run's all_cores threads (or
    the largest thread count in the run when none has that many). The others
    run single-threaded however many cores there are: their rows at their
    fewest threads, which is 1 in runs since issue 9. Runs before it measured
    every implementation once, as installed, and every row of theirs lands here.
    """
    if frame.empty:
        return pd.Series(dtype=bool)
    target = all_cores if all_cores in set(frame.threads) else frame.threads.max()
    fewest = frame.groupby(["kind", "impl", "dtype"]).threads.transform("min")
    return (frame.parallel & (frame.threads == target)) | (~frame.parallel & (frame.threads == fewest))


def _row(case: dict[str, Any], default_threads: int) -> dict[str, Any]:
    info = case.get("extra_info", {})
    stats = case.get("stats") or {}
    passes = _passes(case)
    row: dict[str, Any] = {
        **_identity(case, default_threads),
        "label": info.get("label", info.get("impl")),
        "parallel": bool(info.get("parallel", False)),
        "status": info.get("status", "measured"),
        "passes": len(passes),
        "predicted_s": info.get("predicted_s"),
        "bytes_x": info.get("bytes_x"),
        "gbytes_per_s": info.get("gbytes_per_s"),
        "read_s": info.get("read_s"),
        "agreement_error": info.get("agreement_error"),
        "result_dtype": info.get("result_dtype"),
        "reason": info.get("reason", ""),
        "seconds": info.get("predicted_s"),
    }
    if stats:
        pass_medians = np.array([p["median"] for p in passes], float)
        seconds = float(np.median(pass_medians))
        low, high = log_t_interval(np.log(pass_medians))
        row |= {
            "seconds": seconds,
            # The t-interval is centred on the geometric mean; keep the reported median inside it.
            "seconds_low": min(low, seconds),
            "seconds_high": max(high, seconds),
            "median_s": stats["median"],
            "iqr_s": stats["iqr"],
            "q1_s": stats["q1"],
            "q3_s": stats["q3"],
            "min_s": stats["min"],
            "mean_s": stats["mean"],
            "stddev_s": stats["stddev"],
            "rounds": stats["rounds"],
        }
    return row


def pass_times(run: dict[str, Any]) -> pd.DataFrame:
    """One row per pass of every measured case: CASE columns, pass, median_s, min_s, read_s.

    Intervals are computed from this table: pass p of one case was measured
    close in time to pass p of every other case, so ratios pair by pass.
    """
    default_threads = _default_threads(run)
    rows = [
        {
            **_identity(case, default_threads),
            "pass": int(summary["pass"]),
            "median_s": summary["median"],
            "min_s": summary["min"],
            "read_s": summary.get("read_s"),
        }
        for case in run.get("benchmarks", [])
        for summary in _passes(case)
    ]
    frame = pd.DataFrame(rows, columns=PASS_COLUMNS)
    frame[["median_s", "min_s", "read_s"]] = frame[["median_s", "min_s", "read_s"]].apply(pd.to_numeric)
    return frame


def paired_trials(run: dict[str, Any]) -> pd.DataFrame:
    """One row per member of every paired trial of every measured step (TRIAL_COLUMNS): its seconds per call
    (`member_s`) beside the step's in the same trial (`step_s`). Empty for a run before paired trials."""
    default_threads = _default_threads(run)
    rows = []
    for case in run.get("benchmarks", []):
        identity = _identity(case, default_threads)
        for summary in _passes(case):
            trials = summary.get("trials") or {}
            steps = trials.get(STEP_MEMBER, [])
            for member, seconds in trials.items():
                if member != STEP_MEMBER:
                    rows += [
                        identity
                        | {"pass": int(summary["pass"]), "trial": i, "member": member, "member_s": s}
                        | {"step_s": step}
                        for i, (s, step) in enumerate(zip(seconds, steps, strict=True))
                    ]
    return pd.DataFrame(rows, columns=TRIAL_COLUMNS)


RoundsKey = tuple[str, str, int, int, int, str]  # (kind, impl, threads, m, n_x, dtype)


def pass_rounds(run: dict[str, Any]) -> dict[RoundsKey, list[np.ndarray]]:
    """Per-round seconds of every measured case, one array per pass, keyed by (kind, impl, threads, m, n_x, dtype).

    stats.data holds the rounds of pass 1, then pass 2, ...; each pass's
    `rounds` says where it ends.
    """
    default_threads = _default_threads(run)
    split = {}
    for case in run.get("benchmarks", []):
        case_id = _identity(case, default_threads)
        data = np.asarray(case["stats"]["data"], float)
        counts = [int(p["rounds"]) for p in _passes(case)]
        if sum(counts) != data.size:
            raise ValueError(
                f"{case.get('name')}: its passes count {sum(counts)} rounds but stats.data holds {data.size}"
            )
        key = (case_id["kind"], case_id["impl"], case_id["threads"], case_id["m"], case_id["n_x"], case_id["dtype"])
        split[key] = np.split(data, np.cumsum(counts)[:-1])
    return split


def round_times(run: dict[str, Any]) -> dict[RoundsKey, np.ndarray]:
    """Per-round seconds of every measured case, all passes pooled, keyed as `pass_rounds` keys them."""
    return {key: np.concatenate(passes) for key, passes in pass_rounds(run).items()}


def training_costs(run: dict[str, Any]) -> pd.DataFrame:
    """Cost per iteration of each measured training run: columns impl, threads, dtype, iteration, cost."""
    default_threads = _default_threads(run)
    rows = [
        {
            "impl": case["extra_info"]["impl"],
            "threads": _identity(case, default_threads)["threads"],
            "dtype": _identity(case, default_threads)["dtype"],
            "iteration": i,
            "cost": cost,
        }
        for case in run.get("benchmarks", [])
        for i, cost in enumerate(case["extra_info"].get("costs", []))
    ]
    return pd.DataFrame(rows, columns=["impl", "threads", "dtype", "iteration", "cost"])
