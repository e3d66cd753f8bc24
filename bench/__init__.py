"""Loop vs vectorized logistic regression, measured: the Python API, on which `python -m bench` is built.

    import bench
    run = bench.sweep("runs/tiny", impls=["double_loop"], m=[100, 1000], n_x=[10], passes=1)
    bench.report(run.output)  # charts, CSVs and report.md in runs/tiny
    print(bench.load(run.output)[["impl", "m", "n_x", "threads", "seconds"]])

Imports happen inside the functions: `import bench` stays light, and so do the worker processes that import it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from bench.measure.plan import CaseSpec
    from bench.measure.profiles import Grid


class SweepResult(NamedTuple):
    """Where a sweep wrote its run, and how it ended."""

    output: Path
    exit_code: int  # 0 every case measured or skipped with a reason; 1 a case failed, timed out or disagreed; 130 ^C


def sweep(
    output: str | Path,
    profile: str = "default",
    *,
    impls: Sequence[str] | None = None,
    m: Sequence[int] | None = None,
    n_x: Sequence[int] | None = None,
    dtypes: Sequence[str] | None = None,
    threads: str | None = None,
    passes: int | None = None,
    budget_s: float | None = None,
    max_time_s: float | None = None,
    resume: bool = False,
    console: Console | None = None,
    environment: dict[str, str] | None = None,
    command: str = "",
) -> SweepResult:
    """Measure implementations x m x n_x (x threads x dtypes) into the run directory `output`.

    `profile` (quick, default, fine, full) gives the grid; the other options
    override it as `python -m bench run`'s do: explicit `m` / `n_x` are all
    measured, by every implementation; `dtypes` are measured at every size;
    `threads` is e.g. "1,all". Without `impls`, the profile's implementations.
    `fully_vectorized` is always added: every case is checked against it.
    Progress goes to `console` (stderr by default). `environment` reaches every
    worker (the dask settings); `command` is how the run is measured again (the
    report shows it). A bad option raises ValueError naming it.
    """
    from rich.console import Console

    from bench.measure.manager import SweepSettings, run_sweep
    from bench.measure.profiles import PROFILES, with_overrides
    from bench.measure.threads import all_cores, parse_threads

    console = console or Console(stderr=True)
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    grid = with_overrides(PROFILES[profile], m, n_x, dtypes, threads, passes, budget_s, max_time_s)
    chosen = _implementations(profile, grid, impls, console)
    with warnings.catch_warnings(record=True) as warned:  # said on the console, with the sweep's progress
        warnings.simplefilter("always")
        thread_counts = parse_threads(grid.threads)
    for warning in warned:
        console.print(f"[yellow]warning:[/] {warning.message}")
    settings = SweepSettings(
        profile, grid, chosen, thread_counts, all_cores(), Path(output), resume, environment or {}, command
    )
    return SweepResult(Path(output), run_sweep(settings, console, refine=_unsettled_cases))


def count(
    output: str | Path,
    profile: str = "quick",
    *,
    impls: Sequence[str] | None = None,
    m: Sequence[int] | None = None,
    n_x: Sequence[int] | None = None,
    dtypes: Sequence[str] | None = None,
    console: Console | None = None,
) -> pd.DataFrame:
    """Count every step case of the chosen implementations under Valgrind into `output`/counts.csv.

    Options choose the cases as `sweep`'s do, with one thread. ValueError for a bad option;
    bench.measure.counting.ValgrindMissingError, naming the install command, without Valgrind.
    """
    from rich.console import Console

    from bench.measure.counting import count as count_cases
    from bench.measure.profiles import PROFILES, with_overrides

    console = console or Console(stderr=True)
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    grid = with_overrides(PROFILES[profile], m, n_x, dtypes, "1")
    return count_cases(Path(output), grid, _implementations(profile, grid, impls, console), console.print)


def _unsettled_cases(run: dict[str, Any]) -> list[CaseSpec]:
    """The sampling rule of a sweep: the cases whose speedups are not yet settled (bench/analysis/stopping.py)."""
    from bench.analysis.stopping import cases_to_measure_again
    from bench.measure.plan import CaseSpec

    cases = cases_to_measure_again(run)
    return [CaseSpec(kind, impl, threads, m, n_x, dtype) for kind, impl, threads, dtype, m, n_x in cases]


def _implementations(profile: str, grid: Grid, impls: Sequence[str] | None, console: Console) -> tuple[str, ...]:
    """The implementations to measure, `fully_vectorized` first where it was not asked for; ValueError for an
    unknown or unavailable name. Without `impls`: the profile's, after saying which it leaves out and why."""
    from impls import IMPLEMENTATIONS, UNAVAILABLE

    for name in impls or ():
        if name in UNAVAILABLE:
            raise ValueError(UNAVAILABLE[name])
        if name not in IMPLEMENTATIONS:
            raise ValueError(f"unknown implementation {name!r}; known: {', '.join(IMPLEMENTATIONS)}")
    if impls:
        chosen = tuple(impls)
    elif grid.peers:
        for reason in UNAVAILABLE.values():
            console.print(f"[yellow]not measured:[/] {reason}")
        chosen = tuple(IMPLEMENTATIONS)
    else:
        peers = [name for name, impl in IMPLEMENTATIONS.items() if impl.peer]
        console.print(f"the {profile} profile leaves out the peer libraries ({', '.join(peers)}); --impl NAME adds one")
        chosen = tuple(name for name in IMPLEMENTATIONS if name not in peers)
    return chosen if "fully_vectorized" in chosen else ("fully_vectorized", *chosen)


def report(run_dir: str | Path) -> Path:
    """Write a run's results.csv, speedups.csv, charts and report.md from its JSON; the path of report.md."""
    from bench.reporting.build import build_report

    return build_report(Path(run_dir))


def load(run_dir: str | Path) -> pd.DataFrame:
    """A run's tidy table: one row per case (implementation x threads x dtype x m x n_x, and training runs)."""
    from bench.records.results import load_run, tidy

    return tidy(load_run(Path(run_dir)))
