"""A worker as a process: started with its spec on stdin, its events read line by line, killed when it hangs.

The manager (bench/measure/manager.py) runs one at a time; this module knows
nothing of passes or cases beyond the one a worker says it is in.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Protocol

WORKER_COMMAND = (sys.executable, "-m", "bench.measure.worker")
STDERR_TAIL = 2000  # characters of a failed worker's stderr kept in its case's record


class Spec(Protocol):
    """What a worker is handed on stdin: a timing worker's WorkerSpec, a counting worker's CountSpec."""

    def to_json(self) -> str: ...


@dataclass(frozen=True)
class WorkerExit:
    """How a worker ended: its exit code (None when killed for hanging), the case it was in, its stderr."""

    returncode: int | None
    current: str | None
    stderr: str


def run_worker(
    command: tuple[str, ...],
    spec: Spec,
    environment: dict[str, str],
    case_limit_s: float,
    on_event: Callable[[dict[str, Any]], None],
) -> WorkerExit:
    """Start one worker, hand it its spec, pass each event on; kill it if a case outlasts `case_limit_s`."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=environment, text=True
        )
        try:
            return _drive(process, spec, case_limit_s, on_event, stderr)
        finally:
            if process.poll() is None:  # interrupted, or hung: never leave a worker behind
                process.kill()
                process.wait()


def _drive(
    process: subprocess.Popen[str],
    spec: Spec,
    case_limit_s: float,
    on_event: Callable[[dict[str, Any]], None],
    stderr: IO[str],
) -> WorkerExit:
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(spec.to_json())
        process.stdin.close()
    except BrokenPipeError:
        pass  # it died at once; its exit code and stderr say why
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    current = None
    deadline = time.monotonic() + case_limit_s
    while True:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0))
        except queue.Empty:
            process.kill()
            process.wait()
            return WorkerExit(None, current, _tail(stderr))
        if line is None:
            break
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event.get("event") == "start":
            current = event["case"]
        elif event.get("event") == "case":
            current = None
        # A worker may announce a case that needs longer (a dask case past memory: minutes per call).
        deadline = time.monotonic() + max(case_limit_s, float(event.get("needs_s", 0.0)))
        on_event(event)
    return WorkerExit(process.wait(), current, _tail(stderr))


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _tail(stderr: IO[str]) -> str:
    stderr.seek(0)
    return stderr.read()[-STDERR_TAIL:].strip()
