"""The manager of a sweep: plans passes and workers, runs them one at a time, journals what they send.

    bench run (manager)
       ├─ pass 1: worker(impl A, 1 thread), worker(impl A, all cores), worker(impl B, ...), ...
       ├─ pass 2: the same workers, starting further along the list, on the cases pass 1 measured
       └─ pass 3 ...

One worker process runs at a time, so no two libraries' thread pools share
the cores. A worker that crashes or hangs costs its current case only: the
case is recorded as failed (with the tail of the worker's stderr) or timed
out, and a fresh worker goes on with the rest. Every record reaches the
journal before the next case starts, so an interrupted run (Ctrl-C, kill -9)
keeps what it measured and `--resume` goes on from there.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from rich.console import Console

from bench.measure.budget import calls_per_case
from bench.measure.facts import ImplFacts, case_info, registry_facts
from bench.measure.plan import CaseSpec, WorkerKey, pass_order, worker_cases, worker_keys
from bench.measure.profiles import Grid
from bench.measure.progress import SweepProgress
from bench.measure.threads import relevant_environment, thread_environment
from bench.measure.worker import WorkerSpec
from bench.records import journal
from bench.records.schema import DEFAULT_DTYPE, STEP

WORKER_COMMAND = (sys.executable, "-m", "bench.measure.worker")
SIZE_CACHE = ".sizes"  # inside the run directory; removed when the sweep completes
STDERR_TAIL = 2000  # characters of a failed worker's stderr kept in its case's record


@dataclass(frozen=True)
class SweepSettings:
    """Everything a run was asked to do; stored in the JSON as `run`."""

    profile: str
    grid: Grid
    impls: tuple[str, ...]
    threads: tuple[int, ...]
    all_cores: int
    output: Path
    resume: bool
    environment: dict[str, str] = field(default_factory=dict)  # for every worker, e.g. the dask cluster's settings
    command: str = ""  # the command that measures the same again, into DIR (the report shows it)

    def case_limit_s(self) -> float:
        """How long one case may take before its worker is deemed hung: twice the budget, plus start-up."""
        return 2 * self.grid.budget_s + 60


@dataclass
class SweepState:
    """What the journal holds: each case's record per pass."""

    records: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def from_journal(cls, records: list[dict[str, Any]]) -> SweepState:
        return cls({param: by_pass for (_, param), by_pass in journal.pass_records(records).items()})

    def add(self, pass_number: int, benchmark: dict[str, Any]) -> None:
        self.records.setdefault(benchmark["param"], {})[pass_number] = benchmark

    def status(self, case: CaseSpec, pass_number: int) -> str | None:
        record = self.records.get(case.id, {}).get(pass_number)
        return None if record is None else record["extra_info"].get("status", "measured")

    def todo(self, key: WorkerKey, pass_number: int, grid: Grid) -> list[CaseSpec]:
        """The worker's cases still to measure in this pass: later passes take those pass 1 measured."""
        cases = [case for case in worker_cases(key, grid) if self.status(case, pass_number) is None]
        if pass_number > 1:
            cases = [case for case in cases if self.status(case, 1) == "measured"]
        return cases

    def known(self, key: WorkerKey) -> list[tuple[int, int, str, float]]:
        """(m, n_x, dtype, median seconds) of the worker's measured steps, for its budget predictions."""
        known = []
        for by_pass in self.records.values():
            first = by_pass.get(1)
            info = first["extra_info"] if first else {}
            if first and first.get("stats") and info.get("kind") == STEP and (info["impl"], info["threads"]) == key:
                known.append((info["m"], info["n_x"], info.get("dtype", DEFAULT_DTYPE), first["stats"]["median"]))
        return known


@dataclass(frozen=True)
class WorkerExit:
    """How a worker ended: its exit code (None when killed for hanging), the case it was in, its stderr."""

    returncode: int | None
    current: str | None
    stderr: str


def run_worker(
    command: tuple[str, ...],
    spec: WorkerSpec,
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
    spec: WorkerSpec,
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


class Sweep:
    """One run: every pass, every worker, every case, into settings.output."""

    def __init__(
        self,
        settings: SweepSettings,
        console: Console,
        worker_command: tuple[str, ...] = WORKER_COMMAND,
        case_limit_s: float | None = None,
        facts: Mapping[str, ImplFacts] | None = None,
    ) -> None:
        self.settings = settings
        # What the plan and the records need of each implementation; read from the registry only when not given,
        # so that this module loads no implementation (and no numba) of its own.
        self.facts = registry_facts(settings.impls) if facts is None else dict(facts)
        self.console = console
        self.worker_command = worker_command
        self.case_limit_s = settings.case_limit_s() if case_limit_s is None else case_limit_s
        self.output = settings.output
        self.cache = self.output / SIZE_CACHE
        self.state = SweepState()
        self.progress: SweepProgress | None = None
        self.have_machine_info = False  # asked of one worker only: it takes a second

    def run(self) -> int:
        """Measure everything; 0 when every case was measured or honestly not measured, 1 otherwise."""
        self.output.mkdir(parents=True, exist_ok=True)
        if not self.settings.resume:
            (self.output / journal.JOURNAL_NAME).unlink(missing_ok=True)
        records = journal.read(self.output)
        self.state = SweepState.from_journal(records)
        self.have_machine_info = any(r["kind"] == "machine" for r in records)
        grid = self.settings.grid
        parallel = {name: self.facts[name].parallel for name in self.settings.impls}
        keys = worker_keys(self.settings.impls, self.settings.threads, parallel)
        interrupted = False
        with SweepProgress(self.console, self._planned(keys)) as self.progress:
            try:
                for pass_number in range(1, grid.passes + 1):
                    for key in pass_order(keys, pass_number, grid.passes):
                        self._run_worker(key, pass_number)
            except KeyboardInterrupt:
                interrupted = True
        self.write_json()
        if interrupted:
            self.console.print(
                f"[yellow]interrupted[/]: finished cases kept; go on with --resume --output {self.output}"
            )
            return 130
        shutil.rmtree(self.cache, ignore_errors=True)
        return self._exit_code()

    def _planned(self, keys: list[WorkerKey]) -> tuple[int, int]:
        """(units of work, units already done): a unit is one case in one pass."""
        passes = self.settings.grid.passes
        total = done = 0
        for key in keys:
            for case in worker_cases(key, self.settings.grid):
                first = self.state.status(case, 1)
                later = passes - 1 if first in (None, "measured") else 0
                total += 1 + later
                done += sum(self.state.status(case, p) is not None for p in range(1, passes + 1))
        return total, done

    def _run_worker(self, key: WorkerKey, pass_number: int) -> None:
        """Run the worker's remaining cases of this pass; restart it after a crash or hang, minus that case."""
        grid = self.settings.grid
        while cases := self.state.todo(key, pass_number, grid):
            spec = WorkerSpec(
                impl=key.impl,
                threads=key.threads,
                pass_number=pass_number,
                cases=cases,
                first_pass=pass_number == 1,
                budget_s=grid.budget_s,
                calls=calls_per_case(grid.passes, grid.min_rounds),
                min_rounds=grid.min_rounds,
                max_time_s=grid.max_time_s,
                iterations=grid.train_iterations,
                cache=str(self.cache),
                known=self.state.known(key),
                machine_info=not self.have_machine_info,
            )
            assert self.progress is not None
            self.progress.worker(key, pass_number, grid.passes)
            ended = run_worker(
                self.worker_command,
                spec,
                self.worker_environment(key.threads),
                self.case_limit_s,
                lambda event: self._on_event(event, key, pass_number),
            )
            remaining = self.state.todo(key, pass_number, grid)
            if not remaining:
                continue
            if ended.returncode == 0 and ended.current is None:
                for case in remaining:  # a worker that skipped a case silently
                    self._record_lost(case, pass_number, "failed", "the worker ended without measuring it", "")
                continue
            # The case it was in, or (when it died between cases) the next one: lost, then go on without it.
            lost = next((c for c in remaining if c.id == ended.current), remaining[0])
            if ended.returncode is None:
                reason = f"timed out: no result after {self.case_limit_s:.0f} s, worker killed"
                self._record_lost(lost, pass_number, "timed out", reason, ended.stderr)
            else:
                reason = f"worker exited with code {ended.returncode}"
                self._record_lost(lost, pass_number, "failed", reason, ended.stderr)

    def worker_environment(self, threads: int) -> dict[str, str]:
        """A worker's environment: its pools sized to `threads`, and JAX's compilation cache in the size cache.

        XLA compiles the JAX step per shape and dtype in every worker (0.5 s
        each here, outside the timing but not outside the sweep's time); with
        the cache, later passes load what pass 1 compiled. One cache per thread
        count, as XLA may plan a computation for the pool it has.
        """
        return (
            thread_environment(threads)
            | {
                "JAX_COMPILATION_CACHE_DIR": str(self.cache / f"jax-threads={threads}"),
                "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",  # every compile is worth keeping
            }
            | self.settings.environment  # e.g. the dask scheduler's address
        )

    def _on_event(self, event: dict[str, Any], key: WorkerKey, pass_number: int) -> None:
        kind = event.get("event")
        if kind == "case":
            self._record(pass_number, event["benchmark"])
        elif kind == "worker":
            record = {"kind": "worker", "impl": key.impl, "threads": key.threads, "pass": pass_number}
            journal.append(self.output, record | {"readback": event["readback"], "mismatches": event["mismatches"]})
            for problem in event["mismatches"]:
                self.console.print(f"[yellow]threads[/] {key.impl} asked for {key.threads}: {problem}")
        elif kind == "machine":
            journal.append(self.output, {"kind": "machine", "machine_info": event["machine_info"]})
            self.have_machine_info = True
        elif kind == "start" and self.progress is not None:
            self.progress.case(event["case"])

    def _record(self, pass_number: int, benchmark: dict[str, Any]) -> None:
        journal.append(self.output, {"kind": "case", "pass": pass_number, "benchmark": benchmark})
        self.state.add(pass_number, benchmark)
        info = benchmark["extra_info"]
        assert self.progress is not None
        self.progress.finished(benchmark["param"], pass_number, info.get("status", "measured"), info.get("reason"))
        if pass_number == 1 and info.get("status", "measured") != "measured":
            self.progress.drop(self.settings.grid.passes - 1)  # later passes skip it

    def _record_lost(self, case: CaseSpec, pass_number: int, status: str, reason: str, stderr: str) -> None:
        """Record a case whose worker crashed or hung while measuring it."""
        extra = case_info(case, self.facts[case.impl], self.settings.grid.train_iterations)
        extra |= {"status": status, "reason": reason, "stderr": stderr}
        self._record(pass_number, journal.unmeasured_record(case.test_name, case.test_name, {}, case.id, extra))
        if stderr:
            self.console.print(f"    stderr of the worker: {stderr[-600:]}", markup=False, highlight=False)

    def _exit_code(self) -> int:
        """1 when no gradient step was measured (a run exists for them: a training run alone answers nothing), or
        when a case failed, timed out or disagreed; 0 otherwise. Says why nothing could be measured."""
        records = [b for by_pass in self.state.records.values() for b in by_pass.values()]
        steps = [b for b in records if b["extra_info"].get("kind") == STEP]
        if not any(b.get("stats") for b in steps):
            reasons = sorted({b["extra_info"].get("reason", "?") for b in steps or records})
            self.console.print("[red]no gradient step could be measured[/]:" + "".join(f"\n  - {r}" for r in reasons))
            return 1
        return 1 if any(b["extra_info"].get("status") in ("failed", "timed out", "disagrees") for b in records) else 0

    def write_json(self) -> Path:
        """Rebuild benchmark.json from the journal: passes merged, machine and commit recorded."""
        from pytest_benchmark.utils import get_commit_info

        records = journal.read(self.output)
        machine: dict[str, Any] = next((r["machine_info"] for r in reversed(records) if r["kind"] == "machine"), {})
        # The worker's environment has the thread variables the manager set; the user's is what to report.
        machine["environment"] = relevant_environment()
        run = asdict(self.settings) | {"output": str(self.output), "passes": self.settings.grid.passes}
        return journal.write_benchmark_json(
            self.output, machine, get_commit_info(), run, metadata.version("pytest-benchmark")
        )


def run_sweep(settings: SweepSettings, console: Console) -> int:
    """Measure everything `settings` asks for into settings.output; the sweep's exit code."""
    return Sweep(settings, console).run()
