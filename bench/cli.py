"""`python -m bench`: the command-line face of the harness and its analysis."""

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from bench.profiles import PROFILES, Grid
from impls import IMPLEMENTATIONS


def _positive_ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(float(v)) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers such as 100,1000; got {text!r}") from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"sizes must be at least 1; got {text!r}")
    return values


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive; got {text!r}")
    return value


def _impl_name(text: str) -> str:
    if text not in IMPLEMENTATIONS:
        raise argparse.ArgumentTypeError(f"unknown implementation {text!r}; known: {', '.join(IMPLEMENTATIONS)}")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure loop vs vectorized logistic-regression gradient steps, and analyse the runs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="sweep implementations x m x n_x, then write results.csv and the report",
        description="Sweep every selected implementation over the profile's sizes with pytest-benchmark. "
        "Each finished case is written to OUTPUT at once (cases.jsonl), so an interrupted run keeps "
        "what it measured; --resume goes on from there. A case predicted to exceed --budget is not "
        "timed and is reported as extrapolated.",
    )
    run.add_argument(
        "--profile",
        choices=PROFILES,
        default="default",
        help="size grid: quick (~1 min), default (a few min), full (long; m up to 1e7). Default: default",
    )
    run.add_argument(
        "--output", type=Path, default=Path("reports/latest"), help="run directory. Default: reports/latest"
    )
    run.add_argument(
        "--impl",
        type=_impl_name,
        action="append",
        help=f"measure only this implementation (repeatable). Known: {', '.join(IMPLEMENTATIONS)}",
    )
    run.add_argument("--budget", type=_positive_float, metavar="SECONDS", help="most seconds one case may cost")
    run.add_argument("--max-time", type=_positive_float, metavar="SECONDS", help="target timing seconds per case")
    run.add_argument("--m", type=_positive_ints, metavar="M,M,...", help="override the profile's m values")
    run.add_argument("--n-x", type=_positive_ints, metavar="N,N,...", help="override the profile's n_x values")
    run.add_argument("--resume", action="store_true", help="keep OUTPUT's finished cases and run only the rest")

    report = commands.add_parser(
        "report",
        help="rebuild a run's results.csv, charts and report.md from its JSON",
        description="Rebuild DIR/results.csv, the PNG charts and DIR/report.md from DIR/benchmark.json "
        "(or, for an interrupted sweep, from DIR/cases.jsonl). Nothing is re-measured.",
    )
    report.add_argument("run_dir", type=Path, metavar="DIR", help="a run directory written by `run`")
    return parser


def grid_for(args: argparse.Namespace) -> Grid:
    """The profile's grid with the command line's overrides."""
    grid = PROFILES[args.profile]
    overrides = {
        "m": args.m,
        "n_x": args.n_x,
        "budget_s": args.budget,
        "max_time_s": args.max_time,
    }
    changes = {key: value for key, value in overrides.items() if value is not None}
    if args.m or args.n_x:  # explicit sizes are all measured
        changes["max_elements"] = max(changes.get("m", grid.m)) * max(changes.get("n_x", grid.n_x))
    return Grid(**{**grid.__dict__, **changes})


def command_run(args: argparse.Namespace, console: Console) -> int:
    from bench.runner import run_sweep
    from bench.sweep import SweepSettings

    impls = tuple(args.impl) if args.impl else tuple(IMPLEMENTATIONS)
    if "fully_vectorized" not in impls:  # every case is checked against it
        impls = ("fully_vectorized", *impls)
    settings = SweepSettings(args.profile, grid_for(args), impls, args.output, args.resume)
    started = time.perf_counter()
    exit_code = run_sweep(settings, console)
    console.print(f"sweep took {time.perf_counter() - started:.0f} s")
    report_exit = command_report(argparse.Namespace(run_dir=args.output), console)
    return exit_code or report_exit


def command_report(args: argparse.Namespace, console: Console) -> int:
    from bench.analysis import claims_verdict, speedups
    from bench.report import build_report
    from bench.results import load_run, tidy

    try:
        path = build_report(args.run_dir)
    except FileNotFoundError as error:
        console.print(f"[red]error:[/] {error}")
        return 2
    verdict = claims_verdict(speedups(tidy(load_run(args.run_dir))))
    for row in verdict.itertuples():
        spread = f" (measured {row.speedup_min:.3g}x to {row.speedup_max:.3g}x)" if row.measured_sizes else ""
        console.print(f"[bold]{row.claim}[/]: {row.verdict}{spread}")
    console.print(f"report: {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=True)
    commands = {"run": command_run, "report": command_report}
    return commands[args.command](args, console)


if __name__ == "__main__":
    sys.exit(main())
