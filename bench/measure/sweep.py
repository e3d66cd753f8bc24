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
from bench.measure.prepare import CasePreparer, again
from bench.measure.trials import Member, balanced, run_trials, trial_count
from bench.records import journal
from bench.records.schema import READ_MEMBER, SELF_MEMBER, STEP, STEP_MEMBER, TRAIN, WIDE

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
        # Per step case of a size already timed, until its item sends it: (extra_info, step times, calls), or why not.
        self._outcomes: dict[str, tuple[dict[str, Any], list[float], int] | Exception] = {}

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

    def measure_step(self, node: pytest.Item) -> None:
        """Send the record of this item's step case; at the first of a size's cases, time the size first.

        The worker's cases of one size (and dtype) are timed together
        (`_time_size`), so the loops run once per trial for every step their
        speedups divide, and each item sends what its case's trials gave.
        """
        case = self._start(node)
        if case.id not in self._outcomes:
            self._time_size(case)
        outcome = self._outcomes.pop(case.id)
        if isinstance(outcome, NotMeasured):
            self._not_measured(node, case, outcome)
        if isinstance(outcome, Exception):
            raise outcome
        info, step, calls = outcome
        callspec = node.callspec  # type: ignore[attr-defined]
        record = journal.measured_record(node.name, node.nodeid, callspec.params, callspec.id, info, step, calls)
        self._send(record | {"group": self.group(case)})

    def _time_size(self, first: CaseSpec) -> None:
        """Prepare every case of `first`'s size in this worker, time them in one set of paired trials
        (bench/measure/trials.py), and keep each case's outcome for its item.

        Each case's record holds its step's times in the trials (its rounds:
        pytest-benchmark's stats of them, so benchmark.json keeps its
        format), and in `trials` those of its own members: its step, its
        copy, the read, its loops (the pairs the analysis divides), with
        `calls` the calls per trial. Trials fill the pass's target time per
        case, at least `min_rounds` of them. Seeded per size and pass: a
        rerun orders alike. A case that cannot be prepared keeps its reason;
        a failure in the trials fails every case of the size, naming it.
        """
        size = (first.m, first.n_x, first.dtype)
        cases = [c for c in self.cases.values() if c.kind == STEP and (c.m, c.n_x, c.dtype) == size]
        prepared: dict[str, PreparedCase] = {}
        for case in cases:
            if case != first:
                self.emit({"event": "start", "case": case.id})  # a crash while preparing it is charged to it
            try:
                prepared[case.id] = self.preparer.step_case(case)
                prepared[case.id].extra_info.update(self._info(case), status="measured")
            except Exception as error:  # kept for the case's own item: skipped, or failed with it
                self._outcomes[case.id] = error
        timed = [self.cases[case_id] for case_id in prepared]
        if not timed:
            return
        wanted = sorted({loop for case in timed for loop in self.loops.get(case.impl, ())})
        loops = self.preparer.loops_to_pair(wanted, *size, self.loop_pair_s)
        try:
            members = balanced(self.preparer.members(list(prepared.values()), loops))
            count = trial_count(members, self.trial_s * len(timed), self.min_rounds, MOST_TRIALS)
            seed = f"{' '.join(case.id for case in timed)} pass {self.pass_number}"
            times = run_trials(members, count, random.Random(seed))
        except Exception as error:  # every case of the size was in these trials
            self._outcomes |= dict.fromkeys(prepared, error)
            return
        for loop in wanted:  # sizes this worker meets later are predicted from these
            if loop in times:
                self.preparer.predictor.record(loop, first.m, first.n_x, statistics.median(times[loop]), first.dtype)
        for case in timed:
            self._outcomes[case.id] = self._case_outcome(case, prepared[case.id], members, times, loops)

    def _case_outcome(
        self,
        case: CaseSpec,
        prepared: PreparedCase,
        members: Mapping[str, Member],
        times: dict[str, list[float]],
        paired_loops: list[str],
    ) -> tuple[dict[str, Any], list[float], int]:
        """(extra_info, step times, calls per trial) of one case from its size's trials; teaches the predictor."""
        roles = {STEP_MEMBER: case.impl, SELF_MEMBER: again(case.impl), READ_MEMBER: READ_MEMBER}
        roles |= {loop: loop for loop in self.loops.get(case.impl, ()) if loop in paired_loops}
        own = {role: name for role, name in roles.items() if name in times}
        step = times[case.impl]
        info = prepared.extra_info | {
            "trials": {role: times[name] for role, name in own.items()},
            "calls": {role: members[name].calls for role, name in own.items()},
        }
        if READ_MEMBER in times:  # the best read, as a time's floor is its fastest
            info["read_s"] = min(times[READ_MEMBER])
        info["gbytes_per_s"] = info["bytes_x"] / statistics.median(step) / 1e9
        info |= self.preparer.after_timing(case)
        self.preparer.record(case, statistics.median(step))
        return info, step, members[case.impl].calls

    @staticmethod
    def group(case: CaseSpec) -> str:
        """The table pytest-benchmark compare puts a step in: one per problem."""
        return f"m={case.m} n_x={case.n_x}" + ("" if case.dtype == WIDE else f" {case.dtype}")

    # --- called by the suite ---

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
