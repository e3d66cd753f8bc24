"""A worker as a process: started with its spec, its events read line by line, killed when it hangs.

Started by a command (`run_worker`: the spec on its stdin; the counting
workers under Valgrind, the tests' fake worker) or forked from a warm fork
server (`ForkServers`, bench/measure/forkserver.py: the timing workers). The
manager (bench/measure/manager.py) runs one at a time; this module knows
nothing of passes or cases beyond the one a worker says it is in.
"""

from __future__ import annotations

import json
import os
import queue
import signal
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
        assert process.stdin is not None and process.stdout is not None
        try:
            try:
                process.stdin.write(spec.to_json())
                process.stdin.close()
            except BrokenPipeError:
                pass  # it died at once; its exit code and stderr say why
            hung, current, _ = _follow(_lines_of(process.stdout), case_limit_s, on_event)
            if hung:
                process.kill()
                process.wait()
                return WorkerExit(None, current, _tail(stderr))
            return WorkerExit(process.wait(), current, _tail(stderr))
        finally:
            if process.poll() is None:  # interrupted, or hung: never leave a worker behind
                process.kill()
                process.wait()


class ForkServers:
    """Workers forked from warm servers (bench/measure/forkserver.py): one server per environment, started at its
    first worker and kept until `close`; `run_worker` as the function of that name, without the command."""

    def __init__(self, module: str = "bench.measure.worker") -> None:
        self.module = module  # what the servers preload and run in each worker
        self._servers: dict[tuple[tuple[tuple[str, str], ...], tuple[str, ...]], _Server] = {}

    def run_worker(
        self,
        spec: Spec,
        environment: dict[str, str],
        case_limit_s: float,
        on_event: Callable[[dict[str, Any]], None],
        imports: tuple[str, ...] = (),
    ) -> WorkerExit:
        """As the function `run_worker`, forked by the server of `environment` that has imported `imports` too."""
        key = (tuple(sorted(environment.items())), imports)
        if key not in self._servers:
            self._servers[key] = _Server.start(self.module, environment, imports)
        server = self._servers[key]
        ended = server.run(spec, case_limit_s, on_event)
        if server.process.poll() is not None:  # it died: the next worker of this environment starts a new one
            server.close()
            del self._servers[key]
        return ended

    def close(self) -> None:
        for server in self._servers.values():
            server.close()
        self._servers.clear()


@dataclass
class _Server:
    process: subprocess.Popen[str]
    lines: queue.Queue[str | None]
    stderr: IO[str]  # the server's own, read when it dies

    @classmethod
    def start(cls, module: str, environment: dict[str, str], imports: tuple[str, ...]) -> _Server:
        stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115  # closed in close
        command = (sys.executable, "-m", "bench.measure.forkserver", module, *imports)
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=environment, text=True
        )
        assert process.stdout is not None
        return cls(process, _lines_of(process.stdout), stderr)

    def run(self, spec: Spec, case_limit_s: float, on_event: Callable[[dict[str, Any]], None]) -> WorkerExit:
        """One worker, forked by this server: as `run_worker`."""
        pids: list[int] = []

        def forward(event: dict[str, Any]) -> None:
            if event.get("event") == "pid":
                pids.append(event["pid"])
            else:
                on_event(event)

        with tempfile.NamedTemporaryFile("w+", encoding="utf-8", errors="replace", suffix=".stderr") as log:
            assert self.process.stdin is not None
            try:
                self.process.stdin.write(json.dumps({"spec": spec.to_json(), "stderr": log.name}) + "\n")
                self.process.stdin.flush()
            except BrokenPipeError:
                pass  # the server died; the end of its output says so below
            hung, current, end = _follow(self.lines, case_limit_s, forward)
            if hung:
                if pids:
                    os.kill(pids[-1], signal.SIGKILL)
                if not pids or not self._exit_seen():
                    self.process.kill()
                return WorkerExit(None, current, _tail(log))
            if end is None:  # the server itself ended: what it said is the reason
                return WorkerExit(self._ended(), current, (_tail(log) + "\n" + _tail(self.stderr)).strip())
            return WorkerExit(int(end["returncode"]), current, _tail(log))

    def _ended(self, timeout_s: float = 10.0) -> int:
        """The exit code of a server whose output has ended (killed if it does not exit within `timeout_s`)."""
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def _exit_seen(self, timeout_s: float = 10.0) -> bool:
        """Whether the server reports its worker's end within `timeout_s` of its last line (after a kill), the
        worker's last events dropped."""
        _, _, end = _follow(self.lines, timeout_s, lambda event: None)
        return end is not None

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            try:
                self.process.stdin.close()  # the server ends when its stdin does
                self.process.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.stderr.close()


def _follow(
    lines: queue.Queue[str | None], case_limit_s: float, on_event: Callable[[dict[str, Any]], None]
) -> tuple[bool, str | None, dict[str, Any] | None]:
    """Pass a worker's events on until it ends: (whether a case outlasted `case_limit_s`, the case it was in, the
    fork server's `exit` event where it sent one)."""
    current = None
    deadline = time.monotonic() + case_limit_s
    while True:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0))
        except queue.Empty:
            return True, current, None
        if line is None:
            return False, current, None
        event = _event_of(line)
        if not event:
            continue
        if event.get("event") == "exit":
            return False, current, event
        if event.get("event") == "start":
            current = event["case"]
        elif event.get("event") == "case":
            current = None
        # A worker may announce a case that needs longer (a dask case past memory: minutes per call).
        deadline = time.monotonic() + max(case_limit_s, float(event.get("needs_s", 0.0)))
        on_event(event)


def _event_of(line: str) -> dict[str, Any]:
    """The event on a line of a worker's output; empty when the line is not one."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return {}
    return event if isinstance(event, dict) else {}


def _lines_of(stream: IO[str]) -> queue.Queue[str | None]:
    """The lines of `stream` as they come, read by a thread of their own; None at its end."""
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(stream, lines), daemon=True).start()
    return lines


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _tail(stderr: IO[str]) -> str:
    stderr.seek(0)
    return stderr.read()[-STDERR_TAIL:].strip()
