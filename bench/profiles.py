"""The sweep's grids, as data: which sizes each profile measures and how long a case may take."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Grid:
    """Sizes to sweep and the time allowed per case.

    Sizes are every (m, n_x) pair with m * n_x <= max_elements, measured in
    increasing order of m * n_x so that each case's time can be predicted from
    the smaller ones. Every case is measured in `passes` passes; in each,
    `max_time_s` is pytest-benchmark's target time for it, with at least
    `min_rounds` rounds. `budget_s` is the most one case may cost over all its
    passes before it is extrapolated instead of measured. `threads` is the
    thread counts to measure parallel implementations with ("1,all").
    `impl_sizes` gives an implementation steps at sizes of its own instead of
    the grid's (a frugal few, or sizes past memory that only it can run), and
    no training run.
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
    impl_sizes: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    def sizes(self) -> list[tuple[int, int]]:
        """(m, n_x) pairs within max_elements, smallest m * n_x first."""
        pairs = [(m, n_x) for m in self.m for n_x in self.n_x if m * n_x <= self.max_elements]
        return sorted(pairs, key=lambda size: (size[0] * size[1], size[0]))

    def sizes_of(self, impl: str) -> list[tuple[int, int]]:
        """The sizes `impl` measures, smallest m * n_x first: its own where it has them, else the grid's."""
        if impl not in self.impl_sizes:
            return self.sizes()
        return sorted(self.impl_sizes[impl], key=lambda size: (size[0] * size[1], size[0]))


PROFILES: dict[str, Grid] = {
    # About a minute on 2 cores, numba compilation included.
    "quick": Grid(
        m=(100, 300, 1_000, 3_000, 10_000),
        n_x=(10, 100),
        max_elements=10**6,
        max_time_s=0.05,
        passes=2,  # its intervals are wide (t with 1 degree of freedom): quick is for a look and for CI
        min_rounds=5,
        budget_s=5.0,
        threads="1,all",
        train_size=(1_000, 10),
        train_iterations=10,
        impl_sizes={"dask_array": ((10_000, 100),)},  # dask's per-call overhead: one size is enough for a look
    ),
    # A few minutes on 2 cores; X stays at or under 800 MB (m * n_x <= 1e8).
    "default": Grid(
        m=(100, 1_000, 10_000, 100_000, 1_000_000),
        n_x=(10, 100, 1_000),
        max_elements=10**8,
        max_time_s=0.07,
        passes=3,
        min_rounds=3,
        budget_s=30.0,
        threads="1,all",
        train_size=(2_000, 100),
        train_iterations=20,
        # dask's per-call overhead (m = 1e4) and its step against numpy's where X is large (m = 1e6), m = 1e5
        # between them for the budget's prediction; no training run: train() on numpy arrays would send X inside
        # every iteration's task graph, which no dask user does.
        impl_sizes={"dask_array": tuple((m, 100) for m in (10_000, 100_000, 1_000_000))},
    ),
    # As long as it takes: half-decade steps up to m = 1e7 and X of 4 GB.
    "full": Grid(
        m=(100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000),
        n_x=(1, 10, 100, 1_000),
        max_elements=5 * 10**8,
        max_time_s=0.4,
        passes=5,
        min_rounds=3,
        budget_s=60.0,
        threads="1,all",
        train_size=(2_000, 100),
        train_iterations=50,
        # dask_array along n_x = 100 into memory and past it: X of 32 GB, generated in its tasks (bench/dask_data.py)
        impl_sizes={"dask_array": tuple((m, 100) for m in (10_000, 100_000, 1_000_000, 3_000_000, 40_000_000))},
    ),
}
