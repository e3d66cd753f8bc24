"""The pytest plugin inside a worker: parametrizes the suite with the worker's cases and reports each one.

The suite (bench/measure/suite/) only times the step. This plugin gives it the cases
the manager asked for, prepares each outside the timed region
(`bench.measure.prepare`), chooses how to time it (`time`), and sends one record per
case to the manager: measured (pytest-benchmark's stats, per-round times
included) or not measured, with the reason.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from bench.measure.case import NotMeasured, PreparedCase
from bench.measure.facts import case_info, registry_facts
from bench.measure.machine import machine_info as our_machine_info
from bench.measure.plan import TEST_NAMES, CaseSpec
from bench.measure.prepare import CasePreparer
from bench.measure.trials import run_trials, trial_count
from bench.records import journal
from bench.records.schema import READ_MEMBER, STEP, STEP_MEMBER, TRAIN, WIDE

Emit = Callable[[dict[str, Any]], None]
MOST_TRIALS = 50  # per case and pass: past this, more processes narrow an interval, more trials do not


class WorkerPlugin:
    """Registered with `pytest.main(plugins=[...])` by `bench.measure.worker`."""

    def __init__(
        self,
        cases: list[CaseSpec],
        preparer: CasePreparer,
        iterations: int,
        emit: Emit,
        pools: dict[str, int],
        want_machine_info: bool,
        min_rounds: int,
        trial_s: float = 0.03,
        loops: Mapping[str, tuple[str, ...]] | None = None,
        loop_pair_s: float = 0.0,
        pass_number: int = 1,
    ) -> None:
        self.cases = {case.id: case for case in cases}
        self.facts = registry_facts({case.impl for case in cases})  # this worker has loaded the registry anyway
        self.pools = pools  # the thread pools' sizes as read back in this worker, recorded with every case
        self.want_machine_info = want_machine_info
        self.min_rounds = min_rounds
        self.trial_s, self.loop_pair_s, self.pass_number = trial_s, loop_pair_s, pass_number
        self.loops = dict(loops or {})  # by implementation: the loops its steps are timed beside
        self.preparer = preparer
        self.iterations = iterations
        self.emit = emit
        self.machine_info: dict[str, Any] = {}
        self._current: CaseSpec | None = None  # started, no record sent yet

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        for kind, names in ((STEP, ("impl", "threads", "dtype", "m", "n_x")), (TRAIN, ("impl", "threads", "dtype"))):
            if metafunc.function.__name__ == TEST_NAMES[kind]:
                cases = [case for case in self.cases.values() if case.kind == kind]
                values = [tuple(getattr(case, name) for name in names) for case in cases]
                metafunc.parametrize(names, values, ids=[case.id for case in cases])

    @pytest.fixture
    def sweep(self) -> WorkerPlugin:
        return self

    def time(self, benchmark: Any, slow: bool, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Time `function`: as pytest-benchmark calibrates it, or, when slow, in exactly the minimum rounds."""
        if slow:
            return benchmark.pedantic(function, args=args, kwargs=kwargs, rounds=self.min_rounds, iterations=1)
        return benchmark(function, *args, **kwargs)

    def time_step(self, node: pytest.Item, prepared: PreparedCase) -> None:
        """Time a prepared step in paired trials (bench/measure/trials.py) and send its record.

        The step's rounds are its times in the trials: pytest-benchmark's stats
        of them, so benchmark.json keeps its format. `trials` holds every
        member's time per trial (the pairs the analysis divides), `calls` the
        calls per trial. Trials fill the pass's target time, at least
        `min_rounds` of them. Seeded per case and pass: a rerun orders alike.
        """
        case = self._current
        assert case is not None, "time_step without start_step"
        loops = self.loops.get(case.impl, ())
        members = self.preparer.members(case, prepared, loops, self.loop_pair_s)
        count = trial_count(members, self.trial_s, self.min_rounds, MOST_TRIALS)
        times = run_trials(members, count, random.Random(f"{case.id} pass {self.pass_number}"))
        step = times[STEP_MEMBER]
        info = prepared.extra_info | {"trials": times, "calls": {name: m.calls for name, m in members.items()}}
        if READ_MEMBER in times:  # the best read, as a time's floor is its fastest
            info["read_s"] = min(times[READ_MEMBER])
        info["gbytes_per_s"] = info["bytes_x"] / statistics.median(step) / 1e9
        info |= self.preparer.after_timing(case)
        for loop in loops:
            if loop in times:  # sizes this worker meets later are predicted from these
                self.preparer.predictor.record(loop, case.m, case.n_x, statistics.median(times[loop]), case.dtype)
        self.preparer.record(case, statistics.median(step))
        callspec = node.callspec  # type: ignore[attr-defined]
        record = journal.measured_record(
            node.name, node.nodeid, callspec.params, callspec.id, info, step, members[STEP_MEMBER].calls
        )
        self._send(record | {"group": self.group(case)})

    @staticmethod
    def group(case: CaseSpec) -> str:
        """The table pytest-benchmark compare puts a step in: one per problem."""
        return f"m={case.m} n_x={case.n_x}" + ("" if case.dtype == WIDE else f" {case.dtype}")

    # --- called by the suite ---

    def start_step(self, node: pytest.Item) -> PreparedCase:
        """Prepare a step case, or send why it is not measured and skip (or fail) it."""
        case = self._start(node)
        try:
            prepared = self.preparer.step_case(case)
        except NotMeasured as not_measured:
            self._not_measured(node, case, not_measured)
        prepared.extra_info.update(self._info(case), status="measured")
        return prepared

    def start_train(self, node: pytest.Item) -> tuple[Any, Any, dict[str, Any], bool]:
        """X, Y, what to record and whether it is slow, for the training benchmark; skipped when over budget."""
        case = self._start(node)
        try:
            slow = self.preparer.check_budget(case, repeat=self.iterations)
            X, Y, _, _ = self.preparer.size(case.m, case.n_x, case.dtype).problem
        except NotMeasured as not_measured:
            self._not_measured(node, case, not_measured)
        return X, Y, self._info(case) | {"status": "measured"}, slow

    def finish(self, benchmark: Any) -> None:
        """Send a training case pytest-benchmark timed."""
        assert self._current is not None, "finish without start"
        self._send(benchmark.stats.as_dict(include_data=True))

    # --- records ---

    def _info(self, case: CaseSpec) -> dict[str, Any]:
        """What every record of `case` says about it (facts.case_info)."""
        return case_info(case, self.facts[case.impl], self.iterations)

    def _start(self, node: pytest.Item) -> CaseSpec:
        self._current = self.cases[node.callspec.id]  # type: ignore[attr-defined]
        self.emit({"event": "start", "case": self._current.id})
        return self._current

    def _send(self, benchmark: dict[str, Any]) -> None:
        benchmark["extra_info"]["pools"] = self.pools
        self.emit({"event": "case", "benchmark": benchmark})
        self._current = None

    def _not_measured(self, node: pytest.Item, case: CaseSpec, not_measured: NotMeasured) -> None:
        extra = self._info(case) | not_measured.extra
        self._send_unmeasured(node, extra | {"status": not_measured.status, "reason": not_measured.reason})
        if not_measured.status == "disagrees":
            pytest.fail(not_measured.reason)
        pytest.skip(f"{not_measured.status}: {not_measured.reason}")

    def _send_unmeasured(self, node: pytest.Item, extra: dict[str, Any]) -> None:
        callspec = node.callspec  # type: ignore[attr-defined]
        self._send(journal.unmeasured_record(node.name, node.nodeid, callspec.params, callspec.id, extra))

    # --- pytest hooks ---

    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        """A case that raised (a bug, an overflow warning) is sent as failed, with the error."""
        if (
            call.excinfo is not None
            and self._current is not None
            and not call.excinfo.errisinstance(pytest.skip.Exception)
        ):
            extra = self._info(self._current)
            reason = f"{call.excinfo.typename}: {call.excinfo.value}"
            self._send_unmeasured(item, extra | {"status": "failed", "reason": reason})

    def pytest_benchmark_update_machine_info(self, config: pytest.Config, machine_info: dict[str, Any]) -> None:
        machine_info.update(our_machine_info())

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.preparer.close()
        if not self.want_machine_info:  # it takes a second (cpuinfo): one worker per run is enough
            return
        config = session.config
        machine = config.hook.pytest_benchmark_generate_machine_info(config=config)
        config.hook.pytest_benchmark_update_machine_info(config=config, machine_info=machine)
        self.machine_info = machine
