"""What a sweep measures, and in which order: cases, workers, passes.

A case is one implementation at one thread count, one dtype and one size
(or its training run). A worker is one implementation at one thread count;
it runs in a process of its own or, for this project's implementations,
shares one with others (`process_groups`). A process measures its workers'
cases of one pass, sizes in increasing order (`size_major`). Every case is
measured in several passes; each pass starts one R-th further along the
list of processes (R passes), so that every process takes the early, middle
and late places of a pass in turn and a slow drift of the machine lands on
every implementation alike. Rotating, not reversing: reversed passes put a
process at the end of one pass and the start of the next, back to back,
where one slow minute of this shared machine (whole worker processes 2x
slower, seen here) hits two of its three passes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import NamedTuple, TypeVar

from bench.measure.profiles import NOTES_IMPLS, Grid
from bench.records.schema import CAREFUL_LOOP, DEFAULT_DTYPE, NOTES_LOOP, STEP, TRAIN

TEST_NAMES = {STEP: "test_step", TRAIN: "test_train"}


class CaseSpec(NamedTuple):
    """One case; `m` and `n_x` are the training run's size for a train case."""

    kind: str
    impl: str
    threads: int
    m: int
    n_x: int
    dtype: str = DEFAULT_DTYPE

    @property
    def id(self) -> str:
        """The pytest parameter id, also the case's name in the journal and the JSON.

        E.g. "numba_fused-threads=2-m=1000-n_x=10"; a dtype other than float64
        is appended ("...-n_x=10-dtype=float32"), so that float64 cases keep
        the ids of runs made before dtypes were a dimension (--resume, compare).
        """
        case = f"{self.impl}-threads={self.threads}"
        if self.kind == STEP:
            case += f"-m={self.m}-n_x={self.n_x}"
        return case if self.dtype == DEFAULT_DTYPE else f"{case}-dtype={self.dtype}"

    @property
    def test_name(self) -> str:
        return f"{TEST_NAMES[self.kind]}[{self.id}]"


class WorkerKey(NamedTuple):
    """What one worker process measures: one implementation at one thread count."""

    impl: str
    threads: int


def worker_keys(impls: tuple[str, ...], threads: tuple[int, ...], parallel: dict[str, bool]) -> list[WorkerKey]:
    """Every implementation at every thread count; a single-threaded one once, at 1 thread."""
    return [WorkerKey(impl, t) for impl in impls for t in (threads if parallel[impl] else (1,))]


def process_groups(keys: list[WorkerKey], shares: Mapping[str, str | None]) -> list[tuple[WorkerKey, ...]]:
    """The processes of a pass: workers that may share one, together, in the order of their first worker, the
    loops first in theirs (pass 1 then budgets a loop's case at each size before the steps timed beside it, which
    learn its time there).

    `shares` is each implementation's ImplFacts.shares. This project's
    implementations load numpy and numba only, as every worker does (the
    streaming read of X is numba's): with one thread neither library runs a
    pool beside the step, so all of them share one process, which loads each
    size once for all (an X of 800 MB took 1.4 s to load in each new process
    here, and each process costs its start). With several threads, only
    those whose threads are one library's share a process: no pool of one
    library spins beside the other's. A peer, or an implementation with a
    preparation of its own, has a process to itself.
    """
    groups: dict[object, list[WorkerKey]] = {}
    for key in sorted(keys, key=lambda key: key.impl not in (CAREFUL_LOOP, NOTES_LOOP)):
        library = shares.get(key.impl)
        group = key if library is None else (key.threads, None if key.threads == 1 else library)
        groups.setdefault(group, []).append(key)
    return [tuple(group) for group in groups.values()]


def size_major(cases: list[CaseSpec], impls: list[str], pass_number: int) -> list[CaseSpec]:
    """One process's cases in the order it measures them: size by size, float64 before another dtype, training
    last; at each, its implementations (`impls`, in their workers' order) starting one further along each pass.

    Each implementation's own cases keep their order (worker_cases'), so the
    budget still predicts a size from the smaller ones, and each size's data
    is loaded once (the preparer holds one at a time).
    """
    shift = pass_number - 1

    def place(case: CaseSpec) -> tuple[bool, int, int, bool, int]:
        turn = (impls.index(case.impl) - shift) % len(impls)
        return case.kind == TRAIN, case.m * case.n_x, case.m, case.dtype != DEFAULT_DTYPE, turn

    return sorted(cases, key=place)


Scheduled = TypeVar("Scheduled")


def pass_order(processes: list[Scheduled], pass_number: int, passes: int) -> list[Scheduled]:
    """The processes of pass `pass_number` (from 1) of `passes`: the list rotated by (pass - 1) / passes of its
    length."""
    shift = (pass_number - 1) * len(processes) // passes
    return processes[shift:] + processes[:shift]


def worker_cases(key: WorkerKey, grid: Grid) -> list[CaseSpec]:
    """A worker's cases in the order it measures them: sizes by increasing m * n_x, then training per dtype
    (unless the implementation has sizes of its own)."""
    steps = [CaseSpec(STEP, key.impl, key.threads, m, n_x, dtype) for m, n_x, dtype in grid.cases(key.impl)]
    if key.impl in grid.impl_sizes:
        return steps
    return [*steps, *(CaseSpec(TRAIN, key.impl, key.threads, *grid.train_size, dtype) for dtype in grid.dtypes)]


def loops_paired_with(impl: str, impls: Collection[str]) -> tuple[str, ...]:
    """The loop `impl`'s steps are timed beside in its trials (bench/measure/trials.py), if the run measures it.

    The loop its family's claims are judged against: the notes' loop for the
    notes' code as written, the careful loop for every other implementation.
    The careful loop itself is paired with the notes' loop: that ratio (the
    loop's form alone) turns a speedup over one loop into a speedup over the
    other (bench/analysis/speedups.py). Pure Python, the loops bring no thread
    pool into the worker they join.
    """
    loop = NOTES_LOOP if impl in NOTES_IMPLS or impl == CAREFUL_LOOP else CAREFUL_LOOP
    return (loop,) if loop in impls and loop != impl else ()
