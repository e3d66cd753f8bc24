"""The run's files: a crash-safe journal of finished cases, and the pytest-benchmark JSON.

Each finished case is appended to DIR/cases.jsonl and flushed to disk at
once, so an interrupted sweep keeps everything it measured and `--resume`
knows where to go on. DIR/benchmark.json is rebuilt from the journal at the
end of every session, in pytest-benchmark's format (machine_info,
commit_info, benchmarks with per-round data), plus three keys of ours:
`skipped` (cases not measured, with the reason and any prediction),
`bandwidth` (streaming-read times of each X) and `run` (the sweep's settings).
"""

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def case_key(benchmark: Record) -> tuple[str, str]:
    """What identifies a case across sessions: its test and its id."""
    return benchmark["name"].split("[")[0], benchmark["param"]


def latest_cases(records: Iterable[Record]) -> dict[tuple[str, str], Record]:
    """The last record of each case (a resumed case replaces an older one)."""
    return {case_key(r["benchmark"]): r["benchmark"] for r in records if r["kind"] == "case"}


def split_records(records: list[Record]) -> Record:
    """The journal as the JSON's `benchmarks` (measured), `skipped` and `bandwidth` lists."""
    cases = list(latest_cases(records).values())
    return {
        "benchmarks": [case for case in cases if case.get("stats") is not None],
        "skipped": [case for case in cases if case.get("stats") is None],
        "bandwidth": [r["reading"] for r in records if r["kind"] == "bandwidth"],
    }


def write_benchmark_json(
    directory: Path, machine_info: Record, commit_info: Record, run: Record, pytest_benchmark_version: str
) -> Path:
    """Rebuild DIR/benchmark.json from the journal; returns its path."""
    output = {
        "machine_info": machine_info,
        "commit_info": commit_info,
        "datetime": datetime.now(UTC).isoformat(),
        "version": pytest_benchmark_version,
        **split_records(read(directory)),
        "run": run,
    }
    path = directory / BENCHMARK_JSON_NAME
    temporary = path.with_suffix(".json.partial")
    temporary.write_text(json.dumps(output, indent=1, default=str), encoding="utf-8")
    temporary.replace(path)  # atomic: a reader never sees half a file
    return path
