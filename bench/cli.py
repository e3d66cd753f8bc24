"""`python -m bench`: the command-line face of the harness and its analysis."""

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

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

    compare = commands.add_parser(
        "compare",
        help="compare two runs case by case; exit 1 if any case is significantly slower",
        description="Per case: the ratio HEAD/BASE of median times with a 95%% bootstrap interval, a two-sided "
        "Mann-Whitney U test on the per-round times, and a verdict. A case is 'slower' only when the ratio "
        "exceeds --threshold AND p < --alpha. Exit codes: 0 no regression, 1 regression(s), 2 bad input. "
        "Prefer runs from the same job (see `regress`): times from different machines or days drift.",
    )
    compare.add_argument(
        "base", type=_run_list, metavar="BASE", help="run DIR or JSON; several as DIR1,DIR2 are pooled"
    )
    compare.add_argument(
        "head", type=_run_list, metavar="HEAD", help="run DIR or JSON; several as DIR1,DIR2 are pooled"
    )
    _add_test_options(compare)
    compare.add_argument("--json", action="store_true", help="print the comparison as JSON on stdout")

    check = commands.add_parser(
        "check",
        help="check same-run invariants (ratios between implementations); exit 1 if one is broken",
        description="Ratios that must hold within one run whatever the machine, from the reviewed table "
        "bench.regress.INVARIANTS. Exit codes: 0 all checked invariants hold, 1 one is broken or none "
        "could be checked, 2 bad input.",
    )
    check.add_argument("run_dir", type=Path, metavar="DIR", help="a run directory or its benchmark.json")
    check.add_argument("--json", action="store_true", help="print the table as JSON on stdout")

    selftest = commands.add_parser(
        "selftest",
        help="measure the regression check's false alarms and detections on real runs",
        description="From one or more real runs: A/A pairs (random halves of each case's rounds, from two "
        "different runs when several are given) count false alarms; slowdowns of 1.1x, 1.25x, 1.5x and 2x "
        "injected into one implementation at a time count detections.",
    )
    selftest.add_argument("run_dirs", type=Path, nargs="+", metavar="DIR", help="run directories (repeats help)")
    selftest.add_argument("--trials", type=int, default=20, help="pairs per measurement. Default: 20")
    _add_test_options(selftest)
    selftest.add_argument("--json", action="store_true", help="print the results as JSON on stdout")

    regress = commands.add_parser(
        "regress",
        help="A/B in one job: sweep a base git ref and the working tree alternately, then compare",
        description="Checks out REF in a temporary git worktree and runs `bench run` for base and head "
        "alternately (base, head, base, head...) so both see the same machine, then compares the pooled "
        "rounds like `compare`. Exit codes as for compare.",
    )
    regress.add_argument("--base", required=True, metavar="REF", help="git ref to compare against, e.g. origin/main")
    regress.add_argument("--repeats", type=int, default=2, help="runs per side. Default: 2")
    regress.add_argument("--profile", choices=PROFILES, default="quick", help="profile of each run. Default: quick")
    regress.add_argument("--output", type=Path, default=Path("reports/regress"), help="Default: reports/regress")
    _add_test_options(regress)
    regress.add_argument("--json", action="store_true", help="print the comparison as JSON on stdout")
    return parser


def _run_list(text: str) -> list[Path]:
    return [Path(part) for part in text.split(",") if part]


def _add_test_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threshold", type=_positive_float, default=1.25, help="smallest slowdown ratio that counts. Default: 1.25"
    )
    parser.add_argument(
        "--alpha", type=_positive_float, default=0.01, help="significance level of the rank test. Default: 0.01"
    )


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
    return dataclasses.replace(grid, **changes)


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

    path = build_report(args.run_dir)
    verdict = claims_verdict(speedups(tidy(load_run(args.run_dir))))
    for row in verdict.itertuples():
        spread = f" (measured {row.speedup_min:.3g}x to {row.speedup_max:.3g}x)" if row.measured_sizes else ""
        console.print(f"[bold]{row.claim}[/]: {row.verdict}{spread}")
    console.print(f"report: {path}")
    return 0


def print_table(console: Console, frame: pd.DataFrame, title: str) -> None:
    """A DataFrame as a rich table, floats to 3 significant digits."""
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(str(column), justify="right" if frame[column].dtype.kind in "iuf" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


def _emit_json(frame: pd.DataFrame) -> None:
    print(frame.to_json(orient="records", indent=1))


def _report_comparison(args: argparse.Namespace, comparison: pd.DataFrame, console: Console) -> int:
    from bench.regress import implementation_verdicts

    by_impl = implementation_verdicts(comparison, args.threshold, args.alpha)
    if args.json:
        print(
            json.dumps(
                {"implementations": by_impl.to_dict(orient="records"), "cases": comparison.to_dict(orient="records")},
                indent=1,
                default=str,
            )
        )
    else:
        print_table(console, comparison.drop(columns=["kind"]), "Per case: HEAD / BASE median time")
        print_table(
            console,
            by_impl,
            "Per implementation: geometric mean of its cases' best-time ratios (decides the exit code)",
        )
    missing = comparison[comparison.ratio.isna()]
    for row in missing.itertuples():
        console.print(f"[yellow]not compared[/] {row.impl} m={row.m} n_x={row.n_x} ({row.kind}): {row.verdict}")
    slower = by_impl[by_impl.verdict == "slower"]
    if slower.empty:
        console.print(f"[green]no implementation is slower by more than {args.threshold}x with p < {args.alpha}[/]")
        return 0
    for row in slower.itertuples():
        console.print(
            f"[red]REGRESSION[/] {row.impl}: {row.geomean_ratio:.2f}x slower over {row.cases} cases "
            f"(from {row.ratio_min:.2f}x to {row.ratio_max:.2f}x), p={row.p_value:.2g}"
        )
        cases = comparison[(comparison.impl == row.impl) & (comparison.best_ratio >= args.threshold)]
        for case in cases.itertuples():
            console.print(
                f"    {case.impl} m={case.m} n_x={case.n_x} ({case.kind}): best {case.best_ratio:.2f}x, "
                f"median {case.ratio:.2f}x [{case.ratio_low:.2f}, {case.ratio_high:.2f}] {case.verdict}"
            )
    return 1


def _load_runs(paths: list[Path]) -> list[dict[str, Any]]:
    from bench.results import load_run

    return [load_run(path) for path in paths]


def command_compare(args: argparse.Namespace, console: Console) -> int:
    from bench.regress import compare_runs

    base, head = _load_runs(args.base), _load_runs(args.head)
    return _report_comparison(args, compare_runs(base, head, args.threshold, args.alpha), console)


def command_check(args: argparse.Namespace, console: Console) -> int:
    from bench.regress import check_invariants

    (run,) = _load_runs([args.run_dir])
    table = check_invariants(run)
    if args.json:
        _emit_json(table)
    colors = {"holds": "green", "broken": "red", "not in run": "yellow"}
    for row in table.itertuples():
        console.print(
            f"[{colors[row.status]}]{row.status:>10}[/]  time({row.impl}) / time({row.reference}) at m={row.m} "
            f"n_x={row.n_x} = {row.ratio:.3g}, must be <= {row.max_ratio:.3g}: {row.why}"
        )
    broken = table[table.status == "broken"]
    if (table.status == "holds").sum() == 0:
        console.print("[red]no invariant could be checked[/]: the run lacks the sizes or implementations they need")
        return 1
    return 1 if len(broken) else 0


def command_selftest(args: argparse.Namespace, console: Console) -> int:
    from bench.selftest import selftest

    runs = _load_runs(args.run_dirs)
    false_alarms, detections = selftest(runs, args.trials, threshold=args.threshold, alpha=args.alpha)
    if args.json:
        print(
            json.dumps(
                {
                    "false_alarms": false_alarms,
                    "aa_trials": args.trials,
                    "detections": detections.to_dict(orient="records"),
                },
                indent=1,
            )
        )
    else:
        print_table(console, detections, "Injected slowdowns: detections per implementation")
    from bench.selftest import pairing

    console.print(f"A/A pairs from {len(runs)} run(s): {pairing(len(runs))}")
    console.print(f"A/A: {false_alarms} false alarm(s) in {args.trials} comparisons")
    for factor, group in detections.groupby("slowdown"):
        console.print(
            f"injected {factor}x: detected in {group.detected.sum()} of {group.trials.sum()} trials "
            f"(worst implementation: {group.detected.min()} of {args.trials})"
        )
    return 0


def command_regress(args: argparse.Namespace, console: Console) -> int:
    from bench.ab import run_ab
    from bench.regress import compare_runs

    try:
        base_dirs, head_dirs = run_ab(
            args.base, args.output, args.repeats, ("--profile", args.profile), announce=console.print
        )
    except (RuntimeError, subprocess.CalledProcessError) as error:
        console.print(f"[red]error:[/] {error}")
        return 2
    comparison = compare_runs(_load_runs(base_dirs), _load_runs(head_dirs), args.threshold, args.alpha)
    comparison.to_csv(args.output / "comparison.csv", index=False)
    return _report_comparison(args, comparison, console)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)  # logs get full lines
    commands = {
        "run": command_run,
        "report": command_report,
        "compare": command_compare,
        "check": command_check,
        "selftest": command_selftest,
        "regress": command_regress,
    }
    try:
        return commands[args.command](args, console)
    except FileNotFoundError as error:  # a run directory or JSON that is not there: exit code 2
        console.print(f"[red]error:[/] {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
