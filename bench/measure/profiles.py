"""The sweep's grids, as data: which sizes and dtypes each profile measures and how long a case may take."""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.records.schema import DEFAULT_DTYPE, NARROW, WIDE


@dataclass(frozen=True)
class DtypeAt:
    """A dtype measured at a few of the grid's sizes only, for every implementation (the budget decides as usual)."""

    dtype: str
    sizes: tuple[tuple[int, int], ...]
    impls: tuple[str, ...] = ()  # only these implementations (none named: every one)


@dataclass(frozen=True)
class Grid:
    """Sizes and dtypes to sweep, and the time allowed per case.

    Sizes are every (m, n_x) pair with m * n_x <= max_elements, measured in
    increasing order of m * n_x so that each case's time can be predicted from
    the smaller ones. `dtypes` are measured at every size (and in training);
    each of `dtypes_at` only at those of its sizes that the grid has. Every
    case is measured in `passes` passes (worker processes); in each, its paired
    trials (bench/measure/trials.py) fill `max_time_s`, at least `min_rounds`
    of them (a training run: pytest-benchmark's target time and rounds). A
    loop is timed beside a step in its trials where one call of the loop
    takes at most `loop_pair_s`. `budget_s` is the most one case may cost over
    all its passes before it is extrapolated instead of measured. `sweep_s` is
    the sweep's time budget: after the `passes` (the least every case gets),
    it measures the cases whose speedups are not yet settled
    (bench/analysis/stopping.py) in more passes (up to `most_passes` in all)
    until the sweep has taken `sweep_s` seconds: cheap cells get many
    processes, expensive ones what the time allows, and a faster machine,
    whose passes end sooner, spends what they leave on more of them. `threads` is the thread counts to
    measure parallel implementations with ("1,all"). `impl_sizes` gives an
    implementation steps at sizes of its own instead of the grid's (a frugal
    few, or sizes past memory that only it can run), and no training run.
    Without `peers`, a run measures only this project's implementations, not
    the other libraries' (scikit-learn, JAX, dask), unless --impl names them.
    """

    m: tuple[int, ...]
    n_x: tuple[int, ...]
    max_elements: int
    max_time_s: float
    passes: int
    min_rounds: int  # per pass
    budget_s: float
    threads: str
    train_size: tuple[int, int]  # (m, n_x) of the training benchmark
    train_iterations: int
    loop_pair_s: float = 0.0  # none: no loop is timed beside a step
    sweep_s: float = 0.0  # the passes only
    most_passes: int = 0
    dtypes: tuple[str, ...] = (DEFAULT_DTYPE,)
    dtypes_at: tuple[DtypeAt, ...] = ()
    impl_sizes: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    peers: bool = True

    def sizes(self) -> list[tuple[int, int]]:
        """(m, n_x) pairs within max_elements, smallest m * n_x first."""
        pairs = [(m, n_x) for m in self.m for n_x in self.n_x if m * n_x <= self.max_elements]
        return sorted(pairs, key=lambda size: (size[0] * size[1], size[0]))

    def sizes_of(self, impl: str) -> list[tuple[int, int]]:
        """The sizes `impl` measures, smallest m * n_x first: its own where it has them, else the grid's."""
        if impl not in self.impl_sizes:
            return self.sizes()
        return sorted(self.impl_sizes[impl], key=lambda size: (size[0] * size[1], size[0]))

    def cases(self, impl: str) -> list[tuple[int, int, str]]:
        """(m, n_x, dtype) of every step `impl` measures: its sizes in order, each in its dtypes."""
        cases = []
        for size in self.sizes_of(impl):
            extra = [
                at.dtype
                for at in self.dtypes_at
                if size in at.sizes and at.dtype not in self.dtypes and (not at.impls or impl in at.impls)
            ]
            cases += [(*size, dtype) for dtype in (*self.dtypes, *extra)]
        return cases


# float32 for the implementations that compute in it, and the careful loop as their speedups' baseline
# (Python floats whatever it is given). Not the notes' code as written: its naive math breaks sooner in
# float32 (tests/test_impls.py), nor numba_loop or dask_array, which compute in float64.
FLOAT32_IMPLS = ("double_loop", "features_vectorized", "fully_vectorized", "numba_fused", "sklearn_peer", "jax_peer")
# float32 where X streams from memory (m = 1e6: 400 MB in float32; the Python loops are extrapolated there) and
# at m = 1e4 (X in cache), where the loops are measured too: the float32 claims verdict.
FLOAT32_SIZES = ((10_000, 100), (1_000_000, 100))
# dask's per-call overhead (m = 1e4) and its step against numpy's where X is large (m = 1e6), m = 1e5 between them
# for the budget's prediction; no training run: train() on numpy arrays would send X inside every iteration's task
# graph, which no dask user does.
DASK_SIZES = tuple((m, 100) for m in (10_000, 100_000, 1_000_000))
NOTES_IMPLS = ("notes_double_loop", "notes_features_vectorized", "notes_fully_vectorized")
NOTES_SIZES = tuple((m, n_x) for m in (100, 1_000, 10_000) for n_x in (10, 100, 1_000))
FULL_M = (100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000)
FULL_N_X = (1, 10, 100, 1_000)
FULL_MAX_ELEMENTS = 5 * 10**8

PROFILES: dict[str, Grid] = {
    # About a minute on 2 cores (its two passes ~17 s here, then up to two extra passes: 35 s): this
    # project's implementations only (in 3 processes per pass; the peer libraries' imports and compiles cost
    # seconds per process), small sizes, loops paired up to 20 ms a call.
    "quick": Grid(
        m=(100, 1_000, 10_000),
        n_x=(10, 100),
        max_elements=10**6,
        max_time_s=0.02,
        passes=2,  # its intervals are wide (t with 1 degree of freedom): quick is for a look and for CI
        min_rounds=5,
        budget_s=3.0,
        loop_pair_s=0.02,
        sweep_s=60.0,
        most_passes=4,
        threads="1,all",
        train_size=(1_000, 10),
        train_iterations=10,
        dtypes_at=(DtypeAt("float32", ((10_000, 100),), FLOAT32_IMPLS),),  # each float32 path, end to end
        impl_sizes={"dask_array": ((10_000, 100),)},  # with --impl dask_array: its per-call overhead, one size
        peers=False,
    ),
    # About five minutes on 2 cores: its three passes ~180-200 s here, then extra passes (10-25 s each) of the cells
    # not yet settled (up to 10 passes in all) until 280 s, + 13 s report. The extra passes are what narrow the
    # widest intervals: p90 of high/low 3.2-3.8x after the three passes, 1.4-1.7x after four to six extra ones.
    # X stays at or under 800 MB (m * n_x <= 1e8). Decades of m and of n_x: the cost models (analysis/model.py) draw
    # the claims' boundaries between them. A case costs at most 10 s over its passes: past that the models
    # extrapolate it (the Python loops at the largest sizes). Where the time of a pass goes, measured: 9 processes
    # (this project's implementations share 3, plan.process_groups, and time each size's steps in one set of trials;
    # each peer has its own), forked warm (bench/measure/forkserver.py), each mapping the sizes it needs from the
    # size cache (problems.mapped); the loops timed beside the steps in every process, then X's read and a compiled
    # step's first call. So the notes' code as written runs on 9 sizes of its own, where its loops can be measured.
    "default": Grid(
        m=(100, 1_000, 10_000, 100_000, 1_000_000),
        n_x=(1, 10, 100, 1_000),
        max_elements=10**8,
        max_time_s=0.03,
        passes=3,
        min_rounds=3,
        budget_s=10.0,
        # Between the grid's decades of the loops' calls, not on one: the notes' loop takes 0.5-0.7 s at
        # m n_x = 1e6 and the careful loop ~1 s at 1e7 (with 0.5 s, the notes' loop was paired in some runs only).
        loop_pair_s=0.8,
        sweep_s=280.0,
        most_passes=10,
        threads="1,all",
        train_size=(2_000, 100),
        train_iterations=20,
        dtypes_at=(DtypeAt("float32", FLOAT32_SIZES, FLOAT32_IMPLS),),
        impl_sizes={"dask_array": DASK_SIZES, **dict.fromkeys(NOTES_IMPLS, NOTES_SIZES)},
    ),
    # As long as it takes: half-decade steps up to m = 1e7 and X of 4 GB, float32 everywhere it applies.
    "full": Grid(
        m=FULL_M,
        n_x=FULL_N_X,
        max_elements=FULL_MAX_ELEMENTS,
        max_time_s=0.4,
        passes=5,
        min_rounds=3,
        budget_s=60.0,
        loop_pair_s=2.0,
        sweep_s=3600.0,
        most_passes=12,
        threads="1,all",
        train_size=(2_000, 100),
        train_iterations=50,
        dtypes_at=(
            DtypeAt(
                "float32",
                tuple((m, n_x) for m in FULL_M for n_x in FULL_N_X if m * n_x <= FULL_MAX_ELEMENTS),
                FLOAT32_IMPLS,
            ),
        ),
        # dask_array along n_x = 100 into memory and past it: X of 32 GB, generated in its tasks (dask_data.py)
        impl_sizes={"dask_array": tuple((m, 100) for m in (10_000, 100_000, 1_000_000, 3_000_000, 40_000_000))},
    ),
}
# The default's settings on seven n_x, 0.04 s per case, every implementation on every size: its passes ~11 minutes
# on 2 cores, extra passes up to 14. The reference run (reports/reference) is this grid.
PROFILES["fine"] = dataclasses.replace(
    PROFILES["default"],
    n_x=(1, 3, 10, 30, 100, 300, 1_000),
    max_time_s=0.04,
    sweep_s=840.0,
    impl_sizes={"dask_array": DASK_SIZES},
)


def with_overrides(
    grid: Grid,
    m: Sequence[int] | None = None,
    n_x: Sequence[int] | None = None,
    dtypes: Sequence[str] | None = None,
    threads: str | None = None,
    passes: int | None = None,
    budget_s: float | None = None,
    max_time_s: float | None = None,
) -> Grid:
    """`grid` with the options a user gave (None: the grid's own); ValueError naming a bad one.

    Explicit sizes are all measured, by every implementation; explicit dtypes at every size, and no others.
    """
    for name, sizes in (("m", m), ("n_x", n_x)):
        if sizes is not None and (not sizes or any(int(size) != size or size < 1 for size in sizes)):
            raise ValueError(f"{name} must be whole numbers of at least 1; got {list(sizes)}")
    for name, value in (("passes", passes), ("budget_s", budget_s), ("max_time_s", max_time_s)):
        if value is not None and not value > 0:
            raise ValueError(f"{name} must be positive; got {value!r}")
    unknown = [dtype for dtype in dtypes or () if dtype not in (WIDE, NARROW)]
    if unknown:
        raise ValueError(f"unknown dtype {unknown[0]!r}; supported: {WIDE}, {NARROW}")
    given = {"budget_s": budget_s, "max_time_s": max_time_s, "passes": passes, "threads": threads}
    changes: dict[str, Any] = {key: value for key, value in given.items() if value is not None}
    changes |= {key: tuple(int(size) for size in sizes) for key, sizes in (("m", m), ("n_x", n_x)) if sizes}
    if dtypes:
        changes |= {"dtypes": tuple(dtypes), "dtypes_at": ()}
    if m or n_x:
        changes["max_elements"] = max(changes.get("m", grid.m)) * max(changes.get("n_x", grid.n_x))
        changes["impl_sizes"] = {}
    return dataclasses.replace(grid, **changes)
