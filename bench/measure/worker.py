"""A worker process: one thread count, one pass of the cases of its implementations (one, or several of this
project's: bench/measure/plan.py's process_groups).

The manager (bench/measure/manager.py) forks it from a fork server
(bench/measure/forkserver.py) started with the thread variables already in
its environment, so every library sizes its pool before it loads, and hands
it a `WorkerSpec` as JSON (`run`; `python -m bench.measure.worker`, the same
worker started on its own, reads it from stdin). The worker reads the pools
back (threadpoolctl, numba), runs pytest-benchmark on its cases, and sends
events as JSON lines: `worker` (what it read back), then per case `start`
and `case` (the record), and `machine` (machine info) when asked. Its fd 1
is not where the events go, so nothing a library prints can corrupt them.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.measure.plan import CaseSpec

SUITE = Path(__file__).parent / "suite"


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs to know; `known` is (impl, m, n_x, dtype, seconds) already measured, for the budget
    (its implementations' and their loops'); `loops[impl]` are timed beside impl's steps when a call takes at most
    `loop_pair_s` (bench/measure/plan.py: loops_paired_with)."""

    impls: tuple[str, ...]
    threads: int
    pass_number: int
    cases: list[CaseSpec]
    first_pass: bool
    budget_s: float
    calls: int
    min_rounds: int
    max_time_s: float
    iterations: int
    cache: str
    known: list[tuple[str, int, int, str, float]]
    machine_info: bool
    loops: dict[str, tuple[str, ...]] = field(default_factory=dict)
    loop_pair_s: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> WorkerSpec:
        fields = json.loads(text)
        fields["cases"] = [CaseSpec(*case) for case in fields["cases"]]
        fields["known"] = [tuple(known) for known in fields["known"]]
        fields["impls"] = tuple(fields["impls"])
        fields["loops"] = {impl: tuple(loops) for impl, loops in fields["loops"].items()}
        return cls(**fields)


def pytest_arguments(spec: WorkerSpec) -> list[str]:
    """The pytest command line of a worker: hermetic, quiet, timing as the spec says."""
    return [
        str(SUITE),
        "-c",
        os.devnull,  # ignore any project's pytest configuration
        "--rootdir",
        str(SUITE),
        "-p",
        "no:terminal",  # the manager reports progress, skips and failures
        "-p",
        "no:cacheprovider",
        "-W",
        "error::RuntimeWarning",  # an overflow warning in a step is a bug
        "--benchmark-disable-gc",
        "--benchmark-warmup=off",  # implementations warm up (compile) outside the timing
        f"--benchmark-min-rounds={spec.min_rounds}",
        f"--benchmark-max-time={spec.max_time_s}",
        "--benchmark-quiet",
        "--assert=plain",  # the suite asserts nothing: no rewriting of plugins' modules in every worker
        "-p",
        "pytest_benchmark.plugin",  # the one plugin a worker needs (PLUGIN_AUTOLOAD off, see main)
    ]


def _pool_sizes(readback: dict[str, Any]) -> dict[str, int]:
    """The thread pools' sizes as read back, by name, as every case's record keeps them."""
    pools = {f"{pool['internal_api']} ({pool['prefix']})": pool["num_threads"] for pool in readback["threadpools"]}
    pools["numba"] = readback["numba_threads"]
    if readback["xla_threads"] is not None:
        pools["xla"] = readback["xla_threads"]
    return pools


def preload() -> None:
    """Import what every worker imports, as a fork server does once for all its workers (bench/measure/forkserver.py).

    Here, not at the top: these load the thread pools, which the environment must have sized first.
    """
    import pytest  # noqa: F401
    import pytest_benchmark.plugin  # noqa: F401

    from bench.measure import sweep  # noqa: F401  # with it, numpy, numba and the registry


def main() -> int:
    events = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    return run(sys.stdin.read(), events)


def run(spec_text: str, events: IO[str]) -> int:
    """Measure the cases of the spec (`WorkerSpec` as JSON), sending events on `events`; the worker's exit code."""

    def emit(event: dict[str, Any]) -> None:
        events.write(json.dumps(event, default=str) + "\n")
        events.flush()

    spec = WorkerSpec.from_json(spec_text)

    # Imported here, after the environment is in place: these load the thread pools.
    import pytest

    from bench.measure import threads
    from bench.measure.prepare import CasePreparer
    from bench.measure.sweep import WorkerPlugin
    from impls import IMPLEMENTATIONS

    with threads.cores_for(spec.threads):
        for impl in spec.impls:
            IMPLEMENTATIONS[impl].warmup()  # loads whatever pools the implementation uses
    readback = threads.read_back()
    problems = threads.mismatches(readback, spec.threads)
    emit({"event": "worker", "readback": readback, "mismatches": problems})
    if problems and spec.threads <= threads.all_cores():
        print(f"asked for {spec.threads} threads, but {'; '.join(problems)}", file=sys.stderr)
        return 3
    slow_call_s = spec.max_time_s / spec.min_rounds  # the minimum rounds of such a call fill the timing target
    preparer = CasePreparer(
        Path(spec.cache),
        spec.budget_s,
        spec.calls,
        spec.first_pass,
        slow_call_s,
        announce=lambda seconds: emit({"event": "progress", "needs_s": seconds}),
    )
    for impl, m, n_x, dtype, seconds in spec.known:
        preparer.predictor.record(impl, m, n_x, seconds, dtype)
    plugin = WorkerPlugin(
        spec.cases,
        preparer,
        spec.iterations,
        emit,
        _pool_sizes(readback),
        spec.machine_info,
        spec.min_rounds,
        trial_s=spec.max_time_s,
        loops=spec.loops,
        loop_pair_s=spec.loop_pair_s,
        pass_number=spec.pass_number,
    )
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # other installed plugins (hypothesis...) cost every worker
    exit_code = pytest.main(pytest_arguments(spec), plugins=[plugin])
    if plugin.machine_info:
        emit({"event": "machine", "machine_info": plugin.machine_info})
    # Failed cases were sent as records; only a worker that could not run its suite fails.
    return 0 if exit_code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) else int(exit_code)


if __name__ == "__main__":
    code = main()
    # Every event is flushed and the plugin has closed what must be closed (a dask session): skip the
    # interpreter's teardown, which took 0.5 s per worker with numba's thread pool loaded.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
