"""The run's files: a crash-safe journal of finished cases, and the pytest-benchmark JSON.

Each finished case is appended to DIR/cases.jsonl and flushed to disk at
once, so an interrupted sweep keeps everything it measured and `--resume`
knows where to go on. DIR/benchmark.json is rebuilt from the journal at the
end of every sweep, in pytest-benchmark's format (machine_info,
commit_info, benchmarks with per-round data), plus two keys of ours:
`skipped` (cases not measured, with the reason and any prediction) and
`run` (the sweep's settings).

Records: `case` (one pass of one case, from a worker: {"kind": "case",
"pass": p, "benchmark": pytest-benchmark's record}), `worker` (what a worker
read back of its thread pools) and `machine` (the machine info, once).

The format the analysis reads (bench/records/results.py). Every case is measured in
R passes; pass p of every implementation ran in the same sweep pass, so
passes pair by number (a failed later pass is left out, so numbers can skip).
A measured case's record has pooled pytest-benchmark `stats` ("data": the
rounds of pass 1, then pass 2, ...) and in `extra_info`: kind ("step" or
"train"), impl, label, threads, dtype (of X, Y and w: float64 or float32),
parallel (the implementation can use several threads), m, n_x and bytes_x
(of X in its dtype; train_m, train_n_x, iterations and costs for a training
run), status, agreement_error (against the float64 reference) and
result_dtype (of dw), read_s (the best over passes of each pass's best
streaming read of X in the same worker), pools (the thread pools read back)
and `passes`: [{pass, median, min, q1, q3, rounds, read_s, trials, calls}].
A step's `trials` (bench/measure/trials.py) are the seconds per call of each
member timed in its paired trials, one list per member, the i-th entries
from the same trial: "step" (its rounds), "self" (a second copy of it),
"read" (a streaming read of X) and the loops it was paired with, by name;
`calls` the calls per trial of each. Records before paired trials (issue 21)
have neither, and are analysed from their pass medians, unpaired. A case's id
(`param`) names implementation, threads, size and, when not float64, dtype:
"fully_vectorized-threads=1-m=1000-n_x=10-dtype=float32".
An unmeasured case has "stats": null and a status (extrapolated, refused,
disagrees, failed, timed out) with its reason. `run` holds the settings,
among them passes, threads and all_cores. The two settings a report speaks
of: "1 thread" (rows at threads == 1) and "all cores" (a parallel
implementation's rows at all_cores threads, a single-threaded one's at 1).
"""

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pytest_benchmark.stats import Stats

JOURNAL_NAME = "cases.jsonl"
BENCHMARK_JSON_NAME = "benchmark.json"

Record = dict[str, Any]


def append(directory: Path, record: Record) -> None:
    """Append one record and force it to disk before returning."""
    with open(directory / JOURNAL_NAME, "a", encoding="utf-8") as journal:
        journal.write(json.dumps(record, default=str) + "\n")
        journal.flush()
        os.fsync(journal.fileno())


def read(directory: Path) -> list[Record]:
    """All complete records; a line cut short by a crash is ignored."""
    path = directory / JOURNAL_NAME
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def unmeasured_record(name: str, fullname: str, params: dict[str, Any], param: str, extra_info: Record) -> Record:
    """A case that was not timed, shaped like pytest-benchmark's records: no stats, the reason in extra_info."""
    return {
        "group": None,
        "name": name,
        "fullname": fullname,
        "params": params,
        "param": param,
        "extra_info": extra_info,
        "stats": None,
    }


def measured_record(
    name: str, fullname: str, params: dict[str, Any], param: str, extra_info: Record, rounds: list[float], calls: int
) -> Record:
    """A case timed outside pytest-benchmark's loop, shaped as its records: the stats of `rounds` (seconds per
    call, each the mean of `calls` calls)."""
    stats = Stats()
    for seconds in rounds:
        stats.update(seconds)
    return unmeasured_record(name, fullname, params, param, extra_info) | {
        "options": {"timer": "perf_counter", "disable_gc": True},
        "stats": stats.as_dict() | {"data": list(rounds), "iterations": calls},
    }


def measured_unpaired(records: Iterable[Record]) -> bool:
    """Whether any step in `records` was measured before paired trials: timed, but without `trials`."""
    return any(
        record["kind"] == "case"
        and record["benchmark"].get("stats")
        and record["benchmark"]["extra_info"].get("kind", "step") == "step"
        and "trials" not in record["benchmark"]["extra_info"]
        for record in records
    )


def case_key(benchmark: Record) -> tuple[str, str]:
    """What identifies a case across passes and sessions: its test and its id."""
    return benchmark["name"].split("[")[0], benchmark["param"]


def pass_records(records: Iterable[Record]) -> dict[tuple[str, str], dict[int, Record]]:
    """Each case's latest record per pass, by case key then pass number (a resumed pass replaces an older one)."""
    cases: dict[tuple[str, str], dict[int, Record]] = {}
    for record in records:
        if record["kind"] == "case":
            cases.setdefault(case_key(record["benchmark"]), {})[record.get("pass", 1)] = record["benchmark"]
    return cases


def merge_passes(by_pass: dict[int, Record]) -> Record:
    """One case's pass records as one pytest-benchmark record: stats over all rounds, passes in extra_info.

    The first pass decides whether a case is measured at all (budget, memory,
    agreement); a case it did not measure is returned as that record. A later
    pass that failed is left out of the times and named in `failed_passes`.
    """
    first = by_pass.get(1) or by_pass[min(by_pass)]
    measured = {p: b for p, b in sorted(by_pass.items()) if b.get("stats") is not None}
    if first.get("stats") is None or not measured:
        return first
    data = [value for b in measured.values() for value in b["stats"]["data"]]
    stats = Stats()
    for value in data:
        stats.update(value)
    passes = [
        {key: b["stats"][key] for key in ("median", "min", "q1", "q3", "rounds")}
        | {"pass": p, "read_s": b["extra_info"].get("read_s")}
        | {key: b["extra_info"][key] for key in ("trials", "calls") if key in b["extra_info"]}
        for p, b in measured.items()
    ]
    extra = {key: value for key, value in first["extra_info"].items() if key not in ("trials", "calls")}
    extra["passes"] = passes
    extra["failed_passes"] = [
        {"pass": p, "status": b["extra_info"].get("status"), "reason": b["extra_info"].get("reason")}
        for p, b in sorted(by_pass.items())
        if p not in measured
    ]
    reads = [entry["read_s"] for entry in passes if entry["read_s"] is not None]
    if reads:  # the best read of all passes, as stats.min is the best step round of all passes
        extra["read_s"] = float(min(reads))
    if "bytes_x" in extra:
        extra["gbytes_per_s"] = extra["bytes_x"] / float(np.median([entry["median"] for entry in passes])) / 1e9
    # Rounds are per-iteration times whatever a pass's calibration chose; pytest-benchmark wants one count.
    iterations = max(b["stats"].get("iterations", 1) for b in measured.values())
    merged_stats = stats.as_dict() | {"data": data, "iterations": iterations}
    return first | {"stats": merged_stats, "extra_info": extra}


def split_records(records: list[Record]) -> Record:
    """The journal as the JSON's `benchmarks` (measured, passes merged) and `skipped` lists."""
    cases = [merge_passes(by_pass) for by_pass in pass_records(records).values()]
    return {
        "benchmarks": [case for case in cases if case.get("stats") is not None],
        "skipped": [case for case in cases if case.get("stats") is None],
    }


def thread_settings(records: Iterable[Record]) -> dict[str, Record]:
    """What the workers read back, per thread count: pools, numba and XLA threads (each the latest reported)."""
    settings: dict[str, Record] = {}
    for record in records:
        if record["kind"] == "worker":
            found = {key: value for key, value in record["readback"].items() if value is not None}
            settings.setdefault(str(record["threads"]), {}).update(found)
    return settings


def write_benchmark_json(
    directory: Path, machine_info: Record, commit_info: Record, run: Record, pytest_benchmark_version: str
) -> Path:
    """Rebuild DIR/benchmark.json from the journal; returns its path."""
    records = read(directory)
    output = {
        "machine_info": machine_info | {"thread_settings": thread_settings(records)},
        "commit_info": commit_info,
        "datetime": datetime.now(UTC).isoformat(),
        "version": pytest_benchmark_version,
        **split_records(records),
        "run": run,
    }
    path = directory / BENCHMARK_JSON_NAME
    temporary = path.with_suffix(".json.partial")
    temporary.write_text(json.dumps(output, indent=1, default=str), encoding="utf-8")
    temporary.replace(path)  # atomic: a reader never sees half a file
    return path
