"""Preparing a case outside the timed region, free of pytest: budget, memory guard, data, agreement.

What it yields, and the reasons a case is not timed, are bench/measure/case.py's. An implementation
whose cases need a preparation of their own (dask_array: a cluster, data generated past memory) names it in
the registry (`Implementation.preparation`); PREPARATIONS finds its module.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from bench.measure.bandwidth import read_call
from bench.measure.budget import Predictor
from bench.measure.case import NotMeasured, PreparedCase, check_agreement
from bench.measure.plan import CaseSpec
from bench.measure.problems import PreparedSize, cached_size, memory_refusal
from bench.measure.trials import Member
from bench.records.schema import READ_MEMBER, STEP
from impls import IMPLEMENTATIONS, Implementation, Problem

# Preparations of their own, by the name an implementation gives in the registry: a module of this package with
# prepare(preparer, case) -> PreparedCase, after_timing() -> dict (what a timed case adds to its record) and
# close_session(). Imported by name, in the workers of such an implementation only (dask takes seconds to load).
PREPARATIONS = {"dask_cluster": "bench.measure.dask_case"}
PROBE_BELOW_S = 0.1  # a step predicted faster than this is timed once before its trials, to size them
SELF_BELOW_S = 0.02  # a step faster than this is also paired with a second copy of itself: the check on pairing
PROBE_LOOP_ELEMENTS = 10_000  # a loop no prediction covers is timed once up to this m * n_x (the notes' loop: 5 ms)


@dataclass
class CasePreparer:
    """Prepares one worker's cases in order, keeping one size of data in memory at a time.

    `calls` is how many calls a case costs over the whole sweep, which the
    budget must afford. The budget and the agreement check apply in the first
    pass only: later passes time the cases the first one measured, on the
    same data. A training call predicted to take `slow_call_s` or more is
    "slow": its minimum rounds fill the pass's timing target anyway, so it is
    timed in exactly those rounds, without pytest-benchmark's calibration call
    (seconds of a double loop, spent on no measurement); steps size their
    trials themselves (bench/measure/trials.py). `announce(seconds)` tells the
    manager that a case needs that long, past its usual hang limit.
    """

    cache: Path
    budget_s: float
    calls: int
    first_pass: bool
    slow_call_s: float = float("inf")
    predictor: Predictor = field(default_factory=Predictor)
    announce: Callable[[float], None] = field(default=lambda seconds: None, repr=False)
    _size: PreparedSize | None = None
    _joined: dict[str, ModuleType] = field(default_factory=dict)  # the preparations of their own this worker used

    def size(self, m: int, n_x: int, dtype: str) -> PreparedSize:
        """The problem at (m, n_x) in `dtype` with its reference result; refused when it would not fit in memory."""
        if self._size is None or (self._size.m, self._size.n_x, self._size.dtype) != (m, n_x, dtype):
            self._size = None  # free the previous X before allocating the next
            refusal = memory_refusal(m, n_x)
            if refusal:
                raise NotMeasured("refused", refusal)
            self._size = cached_size(m, n_x, self.cache, dtype)
        return self._size

    def check_budget(self, case: CaseSpec, repeat: int = 1) -> bool:
        """Whether a call of `repeat` steps of `case` is slow; NotMeasured('extrapolated') when over budget."""
        predicted = self.predictor.predict(case.impl, case.m, case.n_x, case.dtype)
        if predicted is None:
            return False
        predicted *= repeat
        if self.first_pass and predicted * self.calls > self.budget_s:
            reason = f"predicted {predicted:.3g} s per call x {self.calls} calls > budget {self.budget_s:g} s"
            raise NotMeasured("extrapolated", reason, predicted_s=predicted)
        return predicted >= self.slow_call_s

    def step_case(self, case: CaseSpec) -> PreparedCase:
        """Budget, data, compilation, agreement and a streaming read of X: everything before the timing."""
        impl = IMPLEMENTATIONS[case.impl]
        own = self._preparation(impl)
        if own is not None:
            return own.prepare(self, case)
        self.check_budget(case)
        size = self.size(case.m, case.n_x, case.dtype)
        impl.warmup()  # load and compile before anything is timed
        arguments = impl.prepare(size.problem)  # e.g. X copied to a JAX device
        extra: dict[str, Any] = {"compiled": impl.compiled, "peer": impl.peer}
        unsafe = unsafe_z(impl, size.problem) if self.first_pass else None
        if unsafe:
            raise NotMeasured("refused", unsafe)
        if self.first_pass or impl.compiled:
            # A compiled step compiles at its first call on new argument types (numba) or shapes (XLA): in
            # every worker, so in every pass, that call is made here.
            got = impl.step(*arguments)
        if self.first_pass:
            extra = check_agreement(got, size.reference, size.problem, case.dtype, extra, size.scale)
            extra["result_dtype"] = got.dw.dtype.name
        return PreparedCase(impl, size, arguments, extra)

    def loops_to_pair(self, loops: Sequence[str], m: int, n_x: int, dtype: str, limit_s: float) -> list[str]:
        """Those of `loops` that the steps of a size are paired with: predicted to take at most `limit_s` per
        call, or unpredicted at a small size (timed once to learn its time); never one unpredicted at a larger.
        The same rule in every pass, whether or not the loop is a step of the size itself, and from the smaller
        sizes only, as pass 1 predicts it when it gets there: a cell is paired alike in all its passes. (From
        the size's own time too, later passes left unpaired the notes' loop at m n_x = 1e6 that pass 1 had
        paired, predicted at 0.48 s and measured at 0.58 s: its cells then had one paired process of eight.)"""
        paired = []
        for loop in loops:
            loop_s = self.predictor.predict(loop, m, n_x, dtype, below=True)
            if (loop_s is None and m * n_x <= PROBE_LOOP_ELEMENTS) or (loop_s is not None and loop_s <= limit_s):
                paired.append(loop)
        return paired

    def members(self, prepared: Sequence[PreparedCase], loops: Sequence[str]) -> dict[str, Member]:
        """What the trials of one size time, each once per trial: every step of `prepared` (cases of one size, by
        implementation name), a second copy of each where cheap (`again(name)`); where X is in this process, a
        streaming read of it (the floor a step is compared with) and each of `loops` (loops_to_pair's). A loop
        that is a step of the size is timed once, for itself and for the steps paired with it."""
        members: dict[str, Member] = {}
        for case in prepared:
            step = _bound(case.impl, case.arguments)
            predicted = self.predictor.predict(case.impl.name, case.size.m, case.size.n_x, case.size.dtype)
            estimate = _probe(step) if predicted is None or predicted < PROBE_BELOW_S else predicted
            members[case.impl.name] = Member(step, estimate)
            if estimate < SELF_BELOW_S:
                members[again(case.impl.name)] = Member(_bound(case.impl, case.arguments), estimate)
        held, size = self._size, prepared[0].size
        if held is None or (held.m, held.n_x, held.dtype) != (size.m, size.n_x, size.dtype):
            return members  # data generated past memory (dask): nothing else can read it
        read = read_call(held.problem.X)
        members[READ_MEMBER] = Member(read, _probe(read))
        for loop in loops:
            if loop not in members:
                call = _bound(IMPLEMENTATIONS[loop], IMPLEMENTATIONS[loop].prepare(held.problem))
                loop_s = self.predictor.predict(loop, size.m, size.n_x, size.dtype)
                members[loop] = Member(call, _probe(call) if loop_s is None else loop_s)
        return members

    def _preparation(self, impl: Implementation) -> ModuleType | None:
        """The module of `impl`'s preparation of its own (imported at its first case), None for the generic one."""
        if impl.preparation is None:
            return None
        if impl.preparation not in self._joined:
            self._joined[impl.preparation] = importlib.import_module(PREPARATIONS[impl.preparation])
        return self._joined[impl.preparation]

    def after_timing(self, case: CaseSpec) -> dict[str, Any]:
        """What a timed step case adds to its record: e.g. a dask case's peak memory; nothing for most."""
        own = self._preparation(IMPLEMENTATIONS[case.impl])
        return {} if own is None else own.after_timing()

    def close(self) -> None:
        """Close what the preparations of their own opened (a dask cluster joined, its data released)."""
        for own in self._joined.values():
            own.close_session()

    def record(self, case: CaseSpec, seconds: float) -> None:
        """Teach the predictor a measured step, so later sizes are predicted from it."""
        if case.kind == STEP:
            self.predictor.record(case.impl, case.m, case.n_x, seconds, case.dtype)


def again(impl: str) -> str:
    """The trial member that is a second copy of `impl`'s step: the check that pairing adds no bias."""
    return f"{impl} again"


def _bound(impl: Implementation, arguments: tuple[Any, ...]) -> Callable[[], object]:
    return lambda: impl.step(*arguments)


def _probe(call: Callable[[], object]) -> float:
    """Seconds of a call, to size a member's calls per trial: the faster of two, not a measurement.

    One call is not enough: numba_fused on both cores took 31.6 ms at its first call on a new size and 0.23 ms
    after, and a trial sized by 31.6 ms was one cold call, unwarmed (a 100x outlier among its passes).
    """
    seconds = []
    for _ in range(2):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return max(min(seconds), 1e-9)


def unsafe_z(impl: Implementation, problem: Problem) -> str | None:
    """Why `impl` must not be timed on `problem`: some |z| beyond its `safe_abs_z`; None when all are within.

    Only the notes' code as written has a finite safe range (impls/notes_math.py).
    The sweep's data keeps |z| under about 8 (bench/measure/problems.py), so this
    guards sizes no test builds, and problems other than the sweep's.
    """
    if math.isinf(impl.safe_abs_z):
        return None
    X, _, w, b = problem
    largest = float(np.max(np.abs(w.T @ X + b)))
    if largest <= impl.safe_abs_z:
        return None
    return f"|z| reaches {largest:.3g} here, beyond {impl.name}'s safe range |z| <= {impl.safe_abs_z:g} (naive math)"
