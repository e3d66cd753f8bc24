"""A run's JSON as one tidy table: a row per implementation x m x n_x (and per training case)."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench import journal

CSV_NAME = "results.csv"

COLUMNS = [
    "kind",  # "step" or "train"
    "impl",
    "label",
    "m",
    "n_x",
    "status",  # measured, extrapolated (over budget), refused (memory), disagrees
    "seconds",  # median_s where measured, predicted_s where extrapolated: see status
    "median_s",
    "iqr_s",
    "q1_s",
    "q3_s",
    "min_s",
    "mean_s",
    "stddev_s",
    "rounds",
    "predicted_s",
    "bytes_x",
    "gbytes_per_s",
    "read_s",
    "agreement_error",
    "reason",
]
TEXT_COLUMNS = {"kind", "impl", "label", "status", "reason"}


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
    return {"machine_info": {}, "commit_info": {}, **journal.split_records(records), "run": {"interrupted": True}}


def tidy(run: dict[str, Any]) -> pd.DataFrame:
    """One row per case with statistics in seconds; unmeasured cases keep their reason."""
    rows = [_row(case) for case in run.get("benchmarks", []) + run.get("skipped", [])]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    numeric = [c for c in COLUMNS if c not in TEXT_COLUMNS]
    frame[numeric] = frame[numeric].apply(pd.to_numeric)
    frame["seconds"] = frame.median_s.where(frame.status == "measured", frame.predicted_s)
    return frame.sort_values(["kind", "m", "n_x", "impl"], kind="stable", ignore_index=True)


def _row(case: dict[str, Any]) -> dict[str, Any]:
    info = case.get("extra_info", {})
    stats = case.get("stats") or {}
    train = "train_m" in info
    row: dict[str, Any] = {
        "kind": "train" if train else "step",
        "impl": info.get("impl"),
        "label": info.get("label", info.get("impl")),
        "m": info.get("train_m" if train else "m"),
        "n_x": info.get("train_n_x" if train else "n_x"),
        "status": info.get("status", "measured"),
        "predicted_s": info.get("predicted_s"),
        "bytes_x": info.get("bytes_x"),
        "gbytes_per_s": info.get("gbytes_per_s"),
        "read_s": info.get("read_s"),
        "agreement_error": info.get("agreement_error"),
        "reason": info.get("reason", ""),
    }
    if stats:
        row |= {
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


def round_times(run: dict[str, Any]) -> dict[tuple[str, str, int, int], np.ndarray]:
    """Per-round seconds of every measured case, keyed by (kind, impl, m, n_x)."""
    times = {}
    for case in run.get("benchmarks", []):
        row = _row(case)
        times[(row["kind"], row["impl"], row["m"], row["n_x"])] = np.asarray(case["stats"]["data"])
    return times


def training_costs(run: dict[str, Any]) -> pd.DataFrame:
    """Cost per iteration of each measured training run: columns impl, iteration, cost."""
    rows = [
        {"impl": case["extra_info"]["impl"], "iteration": i, "cost": cost}
        for case in run.get("benchmarks", [])
        for i, cost in enumerate(case["extra_info"].get("costs", []))
    ]
    return pd.DataFrame(rows, columns=["impl", "iteration", "cost"])
