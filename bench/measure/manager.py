"""The manager of a sweep: plans passes and workers, runs them one at a time, journals what they send.

    bench run (manager)
       ├─ pass 1: process(ours, 1 thread), process(numpy's, all cores), process(peer A, 1 thread), ...
       ├─ pass 2: the same processes, starting further along the list, on the cases pass 1 measured
       └─ pass 3 ...

One worker process runs at a time, so no two libraries' thread pools share
the cores; this project's implementations share processes where their pools
allow (plan.process_groups). Workers are forked from warm fork servers, one
per thread count and library (bench/measure/forkserver.py). A process that
crashes or hangs costs its current case only: the case is recorded as failed
(with the tail of the process's stderr) or timed out, and a fresh process
goes on with the rest.
Every record reaches the journal before the next case starts, so an
interrupted run (Ctrl-C, kill -9) keeps what it measured and `--resume` goes
on from there.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.measure.budget import calls_per_case
from bench.measure.facts import ImplFacts, case_info, registry_facts
from bench.measure.plan import (
    CaseSpec,
    WorkerKey,
    loops_paired_with,
    pass_order,
    process_groups,
    size_major,
    worker_cases,
    worker_keys,
)
from bench.measure.process import ForkServers, WorkerExit, run_worker
from bench.measure.profiles import Grid
from bench.measure.progress import SweepProgress
from bench.measure.threads import relevant_environment, thread_environment
from bench.measure.worker import WorkerSpec
from bench.records import journal
from bench.records.schema import DEFAULT_DTYPE, STEP

SIZE_CACHE = ".sizes"  # inside the run directory; removed when the sweep completes


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

    def todo(self, key: WorkerKey, pass_number: int, grid: Grid, only: frozenset[str] | None = None) -> list[CaseSpec]:
        """The worker's cases still to measure in this pass (of `only`, by id, when given): later passes take those
        pass 1 measured."""
        cases = [case for case in worker_cases(key, grid) if self.status(case, pass_number) is None]
        if only is not None:
            cases = [case for case in cases if case.id in only]
        if pass_number > 1:
            cases = [case for case in cases if self.status(case, 1) == "measured"]
        return cases

    def known(self, key: WorkerKey, loops: tuple[str, ...]) -> list[tuple[str, int, int, str, float]]:
        """(impl, m, n_x, dtype, median seconds) of the worker's measured steps and of its loops' (single-threaded),
        for its budget predictions."""
        known = []
        for by_pass in self.records.values():
            first = by_pass.get(1)
            info = first["extra_info"] if first else {}
            if not (first and first.get("stats") and info.get("kind") == STEP):
                continue
            if (info["impl"], info["threads"]) == key or info["impl"] in loops:
                seconds = first["stats"]["median"]
                known.append((info["impl"], info["m"], info["n_x"], info.get("dtype", DEFAULT_DTYPE), seconds))
        return known


# Which measured cases to measure again, given the run so far (its JSON's layout): the sampling rule
# (bench.analysis.stopping, wired in by bench.sweep; this package knows no claims).
Refine = Callable[[dict[str, Any]], list[CaseSpec]]


class Sweep:
    """One run: every pass, every worker, every case, into settings.output; then, as `refine` asks and the grid's
    time budget (sweep_s) allows, more passes of the cases not yet settled."""

    def __init__(
        self,
        settings: SweepSettings,
        console: Console,
        worker_command: tuple[str, ...] | None = None,
        case_limit_s: float | None = None,
        facts: Mapping[str, ImplFacts] | None = None,
        refine: Refine | None = None,
    ) -> None:
        self.settings = settings
        self.refine = refine
        # What the plan and the records need of each implementation; read from the registry only when not given,
        # so that this module loads no implementation (and no numba) of its own.
        self.facts = registry_facts(settings.impls) if facts is None else dict(facts)
        self.console = console
        self.worker_command = worker_command  # None: bench.measure.worker, forked from fork servers
        self.fork_servers = ForkServers()
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
        if self.settings.resume and journal.measured_unpaired(records):
            self.console.print(
                f"[red]cannot resume[/] {self.output}: its steps were measured before paired trials (issue 21), "
                "and passes of both kinds would mix in one interval. Its report still builds (python -m bench "
                "report DIR); measure again into a new directory, or without --resume."
            )
            return 2
        self.state = SweepState.from_journal(records)
        self.have_machine_info = any(r["kind"] == "machine" for r in records)
        grid = self.settings.grid
        parallel = {name: self.facts[name].parallel for name in self.settings.impls}
        keys = worker_keys(self.settings.impls, self.settings.threads, parallel)
        processes = self.groups(keys)
        interrupted = False
        deadline = time.monotonic() + grid.sweep_s  # the time budget, counted from this invocation's start
        with SweepProgress(self.console, self._planned(keys)) as self.progress:
            try:
                for pass_number in range(1, grid.passes + 1):
                    for group in pass_order(processes, pass_number, grid.passes):
                        self._run_worker(group, pass_number)
                self._refine(deadline)
            except KeyboardInterrupt:
                interrupted = True
            finally:
                self.fork_servers.close()
        self.write_json()
        if interrupted:
            self.console.print(
                f"[yellow]interrupted[/]: finished cases kept; go on with --resume --output {self.output}"
            )
            return 130
        shutil.rmtree(self.cache, ignore_errors=True)
        return self._exit_code()

    def _refine(self, deadline: float) -> None:
        """Extra passes, up to the grid's most_passes, of the cases `refine` names, until it names none or the
        `deadline` (time.monotonic) passes. In each, the processes with the most such cases go first: a process
        costs its start-up whatever it measures. The cases of one pass are chosen before it begins."""
        grid = self.settings.grid
        if self.refine is None:
            return
        for pass_number in range(grid.passes + 1, grid.most_passes + 1):
            wanted = [case for case in self.refine(self.run_so_far()) if self.state.status(case, pass_number) is None]
            if not wanted or time.monotonic() >= deadline:
                return
            assert self.progress is not None
            self.progress.refining(pass_number, [case.id for case in wanted])
            by_worker: dict[WorkerKey, list[str]] = {}
            for case in wanted:
                by_worker.setdefault(WorkerKey(case.impl, case.threads), []).append(case.id)
            groups = [(group, [i for key in group for i in by_worker[key]]) for group in self.groups(list(by_worker))]
            for group, ids in sorted(groups, key=lambda item: -len(item[1])):
                if time.monotonic() >= deadline:
                    return
                self._run_worker(group, pass_number, frozenset(ids))

    def run_so_far(self) -> dict[str, Any]:
        """The journal as a run's JSON (its cases and the settings the analysis needs), for `refine`."""
        return journal.split_records(journal.read(self.output)) | {"run": {"all_cores": self.settings.all_cores}}

    def groups(self, keys: list[WorkerKey]) -> list[tuple[WorkerKey, ...]]:
        """The processes that measure these workers (plan.process_groups)."""
        return process_groups(keys, {name: facts.shares for name, facts in self.facts.items()})

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

    def _todo(self, group: tuple[WorkerKey, ...], pass_number: int, only: frozenset[str] | None) -> list[CaseSpec]:
        """The process's cases still to measure in this pass, in the order it measures them."""
        cases = [case for key in group for case in self.state.todo(key, pass_number, self.settings.grid, only)]
        return size_major(cases, [key.impl for key in group], pass_number)

    def _run_worker(self, group: tuple[WorkerKey, ...], pass_number: int, only: frozenset[str] | None = None) -> None:
        """Run the process's remaining cases of this pass (of `only`, when given); restart it after a crash or hang,
        minus that case."""
        grid = self.settings.grid
        threads = group[0].threads
        loops = {key.impl: loops_paired_with(key.impl, self.settings.impls) for key in group}
        while cases := self._todo(group, pass_number, only):
            known = sorted({known for key in group for known in self.state.known(key, loops[key.impl])})
            spec = WorkerSpec(
                impls=tuple(key.impl for key in group),
                threads=threads,
                pass_number=pass_number,
                cases=cases,
                first_pass=pass_number == 1,
                budget_s=grid.budget_s,
                calls=calls_per_case(grid.passes, grid.min_rounds),
                min_rounds=grid.min_rounds,
                max_time_s=grid.max_time_s,
                iterations=grid.train_iterations,
                cache=str(self.cache),
                known=known,
                machine_info=not self.have_machine_info,
                loops=loops,
                loop_pair_s=grid.loop_pair_s,
            )
            assert self.progress is not None
            self.progress.worker(spec.impls, threads, pass_number, grid.passes)
            ended = self._launch(spec, threads, lambda event: self._on_event(event, group, pass_number))
            remaining = self._todo(group, pass_number, only)
            if not remaining:
                continue
            if ended.returncode == 0 and ended.current is None:
                for case in remaining:  # a worker that skipped a case silently
                    self._record_lost(case, pass_number, "failed", "the worker ended without measuring it", "")
                continue
            # The case it was in, or (when it died between cases) the next one: lost, then go on without it.
            lost = next((c for c in remaining if c.id == ended.current), remaining[0])
            # A case's trials reach the manager with its record, at its end: those of the lost pass are dropped.
            if ended.returncode is None:
                reason = (
                    f"timed out: no result after {self.case_limit_s:.0f} s, worker killed; trials of the pass dropped"
                )
                self._record_lost(lost, pass_number, "timed out", reason, ended.stderr)
            else:
                reason = f"worker exited with code {ended.returncode}; its trials of this pass dropped"
                self._record_lost(lost, pass_number, "failed", reason, ended.stderr)

    def _launch(self, spec: WorkerSpec, threads: int, on_event: Callable[[dict[str, Any]], None]) -> WorkerExit:
        """Run one worker: forked from the fork server of its thread count and its implementations' libraries, or
        started by the command given."""
        environment = self.worker_environment(threads)
        if self.worker_command is None:
            imports = tuple(sorted({name for impl in spec.impls for name in self.facts[impl].imports}))
            return self.fork_servers.run_worker(spec, environment, self.case_limit_s, on_event, imports)
        return run_worker(self.worker_command, spec, environment, self.case_limit_s, on_event)

    def worker_environment(self, threads: int) -> dict[str, str]:
        """A worker's environment: its pools sized to `threads`, and JAX's and Python's compilation caches in the
        size cache.

        XLA compiles the JAX step per shape and dtype in every worker (0.5 s
        each here, outside the timing but not outside the sweep's time); with
        the cache, later passes load what pass 1 compiled. One cache per thread
        count, as XLA may plan a computation for the pool it has.

        Python's bytecode, likewise: where none was written beside the sources
        (uv installs without it, as nox does here, and PYTHONDONTWRITEBYTECODE
        is set on this machine), every worker compiled every module it
        imported: 1.3 s of a numpy worker's 4.5 s start, 2 of scikit-learn's 3
        (measured here). The first worker writes it into the run's cache, the
        others read it; nothing is written beside the sources.
        """
        environment = thread_environment(threads) | {
            "JAX_COMPILATION_CACHE_DIR": str(self.cache / f"jax-threads={threads}"),
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",  # every compile is worth keeping
            "PYTHONPYCACHEPREFIX": str(self.cache / "pycache"),
        }
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        return environment | self.settings.environment  # e.g. the dask scheduler's address

    def _on_event(self, event: dict[str, Any], group: tuple[WorkerKey, ...], pass_number: int) -> None:
        kind = event.get("event")
        if kind == "case":
            self._record(pass_number, event["benchmark"])
        elif kind == "worker":
            for key in group:  # what the process read back holds for each of its workers
                record = {"kind": "worker", "impl": key.impl, "threads": key.threads, "pass": pass_number}
                journal.append(self.output, record | {"readback": event["readback"], "mismatches": event["mismatches"]})
            names = ", ".join(key.impl for key in group)
            for problem in event["mismatches"]:
                self.console.print(f"[yellow]threads[/] {names} asked for {group[0].threads}: {problem}")
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


def run_sweep(settings: SweepSettings, console: Console, refine: Refine | None = None) -> int:
    """Measure everything `settings` asks for into settings.output, then what `refine` asks; the exit code."""
    return Sweep(settings, console, refine=refine).run()
