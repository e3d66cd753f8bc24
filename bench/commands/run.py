"""`python -m bench run`: sweep implementations x m x n_x into a run directory, then build its report."""

import argparse
import shlex
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

import bench
from bench.commands.arguments import impl_name, parse_dtypes, positive_float, positive_int, positive_ints, thread_counts
from bench.commands.report import write_and_summarize
from bench.measure.profiles import PROFILES
from impls import IMPLEMENTATIONS, UNAVAILABLE
from impls.core import DTYPES


def add_parser(commands: Any) -> None:
    """Add `run` and its options to the subcommands."""
    run = commands.add_parser(
        "run",
        help="sweep implementations x m x n_x, then write results.csv and the report",
        description="Sweep every selected implementation over the profile's sizes with pytest-benchmark. "
        "Each implementation runs in worker processes, one per thread count and pass, with its thread "
        "pools sized before any library loads (this project's implementations share one where no two "
        "libraries' pools would run side by side; each peer has its own); every case is measured in several "
        "passes, the order of processes rotated from pass to pass. Each finished case is written to OUTPUT "
        "at once (cases.jsonl), so an interrupted run keeps what it measured; --resume goes on from there. A "
        "case predicted to exceed --budget is not timed and is reported as extrapolated.",
    )
    run.add_argument(
        "--profile",
        choices=PROFILES,
        default="default",
        help="size grid: quick (~1 min; no peer libraries), default (~7 min), fine (seven n_x, ~11 min), "
        "full (long; m up to 1e7). "
        "Default: default",
    )
    run.add_argument(
        "--output", type=Path, default=Path("reports/latest"), help="run directory. Default: reports/latest"
    )
    run.add_argument(
        "--impl",
        type=impl_name,
        action="append",
        help=f"measure only this implementation (repeatable). Known: {', '.join(IMPLEMENTATIONS)}",
    )
    run.add_argument("--budget", type=positive_float, metavar="SECONDS", help="most seconds one case may cost")
    run.add_argument("--max-time", type=positive_float, metavar="SECONDS", help="target timing seconds per case")
    run.add_argument("--m", type=positive_ints, metavar="M,M,...", help="override the profile's m values")
    run.add_argument("--n-x", type=positive_ints, metavar="N,N,...", help="override the profile's n_x values")
    run.add_argument(
        "--threads",
        type=thread_counts,
        metavar="T,T,...",
        help="thread counts for implementations that can use several, e.g. 1,all (the profile's default). "
        "Single-threaded ones run once, with 1",
    )
    run.add_argument(
        "--dtype",
        type=parse_dtypes,
        metavar="D,D,...",
        help=f"dtypes of X, w and Y to measure at every size, from {', '.join(DTYPES)}. Default: the profile's "
        "(float64 everywhere; default and quick add float32 at a few sizes)",
    )
    run.add_argument("--passes", type=positive_int, metavar="R", help="passes over every case (profile: 3)")
    run.add_argument("--resume", action="store_true", help="keep OUTPUT's finished cases and run only the rest")
    _add_dask_options(run)


def _add_dask_options(run: argparse.ArgumentParser) -> None:
    """dask_array's options: a cluster of its own, or an existing one, and the size of its chunks."""
    run.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run dask_array on the dask.distributed cluster whose scheduler is at ADDRESS (e.g. tcp://HOST:8786; "
        "checked before the sweep) instead of a local cluster sized by --threads",
    )
    run.add_argument(
        "--dask-chunk-mb",
        type=positive_float,
        metavar="MB",
        help="MB of X per dask_array chunk (default 64); refused where a chunk would not fit a worker's memory",
    )


def command(args: argparse.Namespace, console: Console) -> int:
    """Sweep (bench.sweep), then write the run's report and say its verdicts."""
    environment = _dask_environment(args, console)
    if environment is None:
        return 2
    started = time.perf_counter()
    swept = bench.sweep(
        args.output,
        args.profile,
        impls=args.impl,
        m=args.m,
        n_x=args.n_x,
        dtypes=args.dtype,
        threads=args.threads,
        passes=args.passes,
        budget_s=args.budget,
        max_time_s=args.max_time,
        resume=args.resume,
        console=console,
        environment=environment,
        command=rerun_command(args.argv),
    )
    console.print(f"sweep took {time.perf_counter() - started:.0f} s")
    report_exit = write_and_summarize(args.output, console)  # of what was measured, failures and ^C included
    return swept.exit_code or report_exit


def rerun_command(argv: Sequence[str]) -> str:
    """`python -m bench run` with the options of `argv` (a run's arguments), into DIR: how to measure the same again."""
    kept, skip_value = [], False
    for argument in argv:
        name, has_value = argument.split("=")[0], "=" in argument
        if skip_value:
            skip_value = False
        elif len(name) > 2 and "--output".startswith(name):  # argparse takes --out for --output
            skip_value = not has_value
        elif not (len(name) > 2 and "--resume".startswith(name)):
            kept.append(argument)
    return shlex.join(["python", "-m", "bench", *kept, "--output", "DIR"])


def _dask_environment(args: argparse.Namespace, console: Console) -> dict[str, str] | None:
    """The workers' dask settings from --dask-*; None (after saying why) when they cannot be used."""
    if args.dask_scheduler is None and args.dask_chunk_mb is None:
        return {}
    if "dask_array" in UNAVAILABLE:
        needs = escape(UNAVAILABLE["dask_array"])  # '[scale]' is not markup
        console.print(f"[red]error:[/] --dask-scheduler and --dask-chunk-mb are dask_array's: {needs}")
        return None
    from bench.measure import dask_case

    environment = {}
    if args.dask_chunk_mb is not None:
        environment[dask_case.CHUNK_VARIABLE] = repr(args.dask_chunk_mb)
    if args.dask_scheduler is not None:
        try:
            cluster = dask_case.check_scheduler(args.dask_scheduler)
        except dask_case.SchedulerUnreachableError as error:
            console.print(f"[red]error:[/] {escape(str(error))}")
            return None
        console.print(f"dask_array runs on the cluster at {args.dask_scheduler}: {cluster}")
        environment[dask_case.SCHEDULER_VARIABLE] = args.dask_scheduler
    return environment
