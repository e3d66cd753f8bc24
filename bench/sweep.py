"""The pytest plugin behind `python -m bench run`: what to measure, and the bookkeeping around it.

The suite (bench/suite/) only calls `benchmark(impl.step, *problem)`; this
plugin parametrizes it over sizes x implementations, prepares each case
outside the timed region (data, memory guard, budget, compilation, agreement
check), journals each finished case, shows progress, and writes the run's
pytest-benchmark JSON at the end.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numba
import pytest
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bench import journal
from bench.bandwidth import streaming_read
from bench.budget import UNTIMED_CALLS, Predictor
from bench.machine import machine_info as our_machine_info
from bench.problems import PreparedSize, memory_refusal, prepare_size
from bench.profiles import Grid
from impls import IMPLEMENTATIONS, Implementation, relative_error

AGREEMENT_RTOL = 1e-9
STEP_TEST = "test_step"
TRAIN_TEST = "test_train"


@dataclass(frozen=True)
class SweepSettings:
    """Everything a run was asked to do; stored in the JSON as `run`."""

    profile: str
    grid: Grid
    impls: tuple[str, ...]
    output: Path
    resume: bool


@dataclass(frozen=True)
class Case:
    """One prepared case: the inputs to time and what to record about them."""

    impl: Implementation
    size: PreparedSize
    extra_info: dict[str, Any]


def case_id(impl: str, m: int, n_x: int) -> str:
    return f"{impl}-m={m}-n_x={n_x}"


class SweepPlugin:
    """Registered with `pytest.main(plugins=[...])` by `bench.runner.run_sweep`."""

    def __init__(self, settings: SweepSettings, console: Console) -> None:
        self.settings = settings
        self.console = console
        self.predictor = Predictor()
        self._size: PreparedSize | None = None
        self._read_s = float("nan")  # streaming-read time of the current size's X
        self._progress: Progress | None = None
        self._task: Any = None
        self.resumed_all = False
        self._done = journal.latest_cases(journal.read(settings.output)) if settings.resume else {}
        for case in self._done.values():  # a resumed run predicts from what it measured before
            if case.get("stats") is not None and "m" in case["params"]:
                p = case["params"]
                self.predictor.record(p["impl"], p["m"], p["n_x"], case["stats"]["median"])

    # --- what to run ---

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        impls = self.settings.impls
        if metafunc.function.__name__ == STEP_TEST:
            cases = [(impl, m, n_x) for m, n_x in self.settings.grid.sizes() for impl in impls]
            metafunc.parametrize(("impl", "m", "n_x"), cases, ids=[case_id(*c) for c in cases])
        elif metafunc.function.__name__ == TRAIN_TEST:
            metafunc.parametrize("impl", impls)

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        keep = [item for item in items if (item.originalname, item.callspec.id) not in self._done]  # type: ignore[attr-defined]
        if len(keep) < len(items):
            config.hook.pytest_deselected(items=[item for item in items if item not in keep])
            self.console.print(f"resuming: {len(items) - len(keep)} cases already done, {len(keep)} to go")
        items[:] = keep
        self.resumed_all = bool(self._done) and not keep

    @pytest.fixture
    def sweep(self) -> SweepPlugin:
        return self

    # --- preparing a case, outside the timed region ---

    def size(self, m: int, n_x: int) -> PreparedSize:
        """The problem at (m, n_x); one size is kept at a time, so memory holds one X."""
        if self._size is None or (self._size.m, self._size.n_x) != (m, n_x):
            self._size = None  # free the previous X before allocating the next
            refusal = memory_refusal(m, n_x)
            if refusal:
                raise MemoryError(refusal)
            self._size = prepare_size(m, n_x)
            reading = streaming_read(self._size.problem.X)
            journal.append(
                self.settings.output,
                {"kind": "bandwidth", "reading": {"m": m, "n_x": n_x, **reading._asdict()}},
            )
            self._read_s = reading.seconds
        return self._size

    def start_case(self, node: pytest.Item, impl_name: str, m: int, n_x: int) -> Case:
        """Prepare a case, or record why it is not measured and skip (or fail) it."""
        impl = IMPLEMENTATIONS[impl_name]
        extra: dict[str, Any] = {
            "impl": impl_name,
            "label": impl.label,
            "m": m,
            "n_x": n_x,
            "bytes_x": 8 * m * n_x,
        }
        predicted = self.predictor.predict(impl_name, m, n_x)
        self._skip_if_over_budget(node, extra, predicted, self.settings.grid.min_rounds + UNTIMED_CALLS)
        try:
            size = self.size(m, n_x)
        except MemoryError as refusal:
            self._skip(node, extra | {"status": "refused", "reason": str(refusal)})
        impl.warmup()  # compile before anything is timed
        error = relative_error(impl.step(*size.problem), size.reference, size.problem)
        extra |= {"agreement_error": error, "compiled": impl.compiled, "peer": impl.peer}
        if not error <= AGREEMENT_RTOL:
            reason = f"disagrees with fully_vectorized: relative error {error:.3g} > {AGREEMENT_RTOL:g}"
            self._record_unmeasured(node, extra | {"status": "disagrees", "reason": reason})
            pytest.fail(reason)
        extra |= {"status": "measured", "read_s": self._read_s, "numba_threads": numba.get_num_threads()}
        return Case(impl, size, extra)

    def start_train(self, node: pytest.Item, impl_name: str) -> tuple[Any, Any, dict[str, Any]]:
        """X, Y and what to record for the training benchmark, or skip it when over budget."""
        grid = self.settings.grid
        m, n_x = grid.train_size
        label = IMPLEMENTATIONS[impl_name].label
        extra: dict[str, Any] = {"impl": impl_name, "label": label, "train_m": m, "train_n_x": n_x}
        extra["iterations"] = grid.train_iterations
        predicted = self.predictor.predict(impl_name, m, n_x)
        if predicted is not None:
            predicted *= grid.train_iterations
        self._skip_if_over_budget(node, extra, predicted, grid.min_rounds + UNTIMED_CALLS - 1)
        IMPLEMENTATIONS[impl_name].warmup()
        X, Y, _, _ = self.size(m, n_x).problem
        return X, Y, extra

    def _skip_if_over_budget(
        self, node: pytest.Item, extra: dict[str, Any], predicted: float | None, calls: int
    ) -> None:
        budget = self.settings.grid.budget_s
        if predicted is not None and predicted * calls > budget:
            reason = f"predicted {predicted:.3g} s per call x {calls} calls > budget {budget:g} s"
            self._skip(node, extra | {"status": "extrapolated", "predicted_s": predicted, "reason": reason})

    def _record_unmeasured(self, node: pytest.Item, extra: dict[str, Any]) -> None:
        callspec = node.callspec  # type: ignore[attr-defined]
        record = {
            "group": None,
            "name": node.name,
            "fullname": node.nodeid,
            "params": callspec.params,
            "param": callspec.id,
            "extra_info": extra,
            "stats": None,
        }
        journal.append(self.settings.output, {"kind": "case", "benchmark": record})

    def _skip(self, node: pytest.Item, extra: dict[str, Any]) -> None:
        self._record_unmeasured(node, extra)
        pytest.skip(f"{extra['status']}: {extra['reason']}")

    # --- after a case ---

    def finish_case(self, benchmark: Any) -> None:
        """Add the achieved bandwidth, teach the predictor, journal the case."""
        stats = benchmark.stats.stats
        info = benchmark.extra_info
        if "m" in info:
            info["gbytes_per_s"] = info["bytes_x"] / stats.median / 1e9
            self.predictor.record(info["impl"], info["m"], info["n_x"], stats.median)
        record = benchmark.stats.as_dict(include_data=True)
        journal.append(self.settings.output, {"kind": "case", "benchmark": record})

    # --- progress and the end of the run ---

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task("starting", total=len(session.items))

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=nodeid.split("[")[-1].rstrip("]"))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        case = report.nodeid.split("[")[-1].rstrip("]")
        if report.failed:
            self.console.print(f"[red]FAILED[/] {case} ({report.when})\n{report.longreprtext}")
        elif report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self.console.print(f"[yellow]not measured[/] {case}: {reason.removeprefix('Skipped: ')}")
        if report.when == "teardown" and self._progress is not None:
            self._progress.advance(self._task)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.console.print(f"[red]could not collect the suite[/]\n{report.longreprtext}")

    def pytest_benchmark_update_machine_info(self, config: pytest.Config, machine_info: dict[str, Any]) -> None:
        machine_info.update(our_machine_info())

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._progress is not None:
            self._progress.stop()
        config = session.config
        machine = config.hook.pytest_benchmark_generate_machine_info(config=config)
        config.hook.pytest_benchmark_update_machine_info(config=config, machine_info=machine)
        commit = config.hook.pytest_benchmark_generate_commit_info(config=config)
        config.hook.pytest_benchmark_update_commit_info(config=config, commit_info=commit)
        run = asdict(self.settings) | {"output": str(self.settings.output)}
        journal.write_benchmark_json(self.settings.output, machine, commit, run, pytest_benchmark_version())


def pytest_benchmark_version() -> str:
    return metadata.version("pytest-benchmark")
