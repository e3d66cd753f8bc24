"""`python -m bench`: the command-line face of the harness and its analysis."""

import argparse
import dataclasses
import json
import shlex
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.measure.profiles import PROFILES, Grid
from bench.measure.threads import all_cores, parse_threads
from impls import IMPLEMENTATIONS, UNAVAILABLE
from impls.core import DTYPES


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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {text!r}")
    return value


def _thread_counts(text: str) -> str:
    try:
        parse_threads(text)  # checked here for the message; parsed (and warned about) once, in command_run
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _impl_name(text: str) -> str:
    if text in UNAVAILABLE:
        raise argparse.ArgumentTypeError(UNAVAILABLE[text])
    if text not in IMPLEMENTATIONS:
        raise argparse.ArgumentTypeError(f"unknown implementation {text!r}; known: {', '.join(IMPLEMENTATIONS)}")
    return text


def parse_dtypes(text: str) -> tuple[str, ...]:
    """'float64,float32' -> ('float64', 'float32'): names in DTYPES, in the order given, without repeats."""
    names = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",")))
    unknown = [name for name in names if name not in DTYPES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown dtype {unknown[0]!r}; supported: {', '.join(DTYPES)}")
    return names


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
        "Each implementation runs in worker processes of its own, one per thread count, with its thread "
        "pools sized before any library loads; every case is measured in several passes, the order of "
        "workers rotated from pass to pass. Each finished case is written to OUTPUT at once (cases.jsonl), "
        "so an interrupted run keeps what it measured; --resume goes on from there. A case predicted to "
        "exceed --budget is not timed and is reported as extrapolated.",
    )
    run.add_argument(
        "--profile",
        choices=PROFILES,
        default="default",
        help="size grid: quick (~1.5 min; no peer libraries), default (~5.5 min), fine (seven n_x, ~11 min), "
        "full (long; m up to 1e7). "
        "Default: default",
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
    run.add_argument(
        "--threads",
        type=_thread_counts,
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
    run.add_argument("--passes", type=_positive_int, metavar="R", help="passes over every case (profile: 3)")
    run.add_argument("--resume", action="store_true", help="keep OUTPUT's finished cases and run only the rest")
    run.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run dask_array on the dask.distributed cluster whose scheduler is at ADDRESS (e.g. tcp://HOST:8786; "
        "checked before the sweep) instead of a local cluster sized by --threads",
    )
    run.add_argument(
        "--dask-chunk-mb",
        type=_positive_float,
        metavar="MB",
        help="MB of X per dask_array chunk (default 64); refused where a chunk would not fit a worker's memory",
    )

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
        "bench.compare.regress.INVARIANTS. Exit codes: 0 all checked invariants hold, 1 one is broken or none "
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

    reproduce = commands.add_parser(
        "reproduce",
        help="how far two runs agree: speedup drift, interval overlap, verdicts; exit 1 if a decided verdict flips",
        description="Per cell (implementation x threads x dtype x m x n_x, and training runs) measured in both "
        "runs: the drift between the two speedups over the double loop (max(a/b, b/a)), whether their 95%% "
        "intervals overlap, and both claim verdicts. Exit codes: 0 no decided verdict changed, 1 a cell decided "
        "(holds, exceeded, does not hold) in both runs changed its verdict, 2 bad input.",
    )
    reproduce.add_argument("run_a", type=Path, metavar="RUN_A", help="a run directory or its benchmark.json")
    reproduce.add_argument("run_b", type=Path, metavar="RUN_B", help="a run directory or its benchmark.json")
    reproduce.add_argument("--json", action="store_true", help="print the summary and cells as JSON on stdout")

    predict = commands.add_parser(
        "predict",
        help="predict a step's time at any size from a run's cost models; CSV on stdout",
        description="Fits t(m, n_x) = a + b*m + c*m*n_x per implementation x threads x dtype on the run's "
        "measured steps (c per cache level where the data show it; bench/analysis/model.py) and prints, for every "
        "requested size, the predicted seconds per step with its 95%% bootstrap interval. Sizes past the "
        "largest measured one are extrapolations: beyond_measured says so.",
    )
    predict.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory or its benchmark.json")
    predict.add_argument("--m", type=_positive_ints, required=True, metavar="M,M,...", help="examples, e.g. 3e4")
    predict.add_argument("--n-x", type=_positive_ints, required=True, metavar="N,N,...", help="features")
    predict.add_argument("--impl", action="append", help="only this implementation (repeatable). Default: all")
    predict.add_argument("--threads", metavar="T", help="only this thread count: a number, or 'all' (as installed)")
    predict.add_argument("--dtype", help="only this dtype, e.g. float64")
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
        "passes": args.passes,
        "threads": args.threads,
    }
    changes = {key: value for key, value in overrides.items() if value is not None}
    if args.dtype:  # the dtypes asked for, at every size, and no others
        changes |= {"dtypes": args.dtype, "dtypes_at": ()}
    if args.m or args.n_x:  # explicit sizes are all measured, by every implementation
        changes["max_elements"] = max(changes.get("m", grid.m)) * max(changes.get("n_x", grid.n_x))
        changes["impl_sizes"] = {}
    return dataclasses.replace(grid, **changes)


def command_run(args: argparse.Namespace, console: Console) -> int:
    from bench.measure.manager import SweepSettings, run_sweep

    grid = grid_for(args)
    impls = tuple(args.impl) if args.impl else _profile_impls(args.profile, grid, console)
    if "fully_vectorized" not in impls:  # every case is checked against it
        impls = ("fully_vectorized", *impls)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        threads = parse_threads(grid.threads)
    for warning in warned:
        console.print(f"[yellow]warning:[/] {warning.message}")
    environment = _dask_environment(args, console)
    if environment is None:
        return 2
    rerun = rerun_command(args.argv)
    settings = SweepSettings(
        args.profile, grid, impls, threads, all_cores(), args.output, args.resume, environment, rerun
    )
    started = time.perf_counter()
    exit_code = run_sweep(settings, console)
    console.print(f"sweep took {time.perf_counter() - started:.0f} s")
    report_exit = command_report(argparse.Namespace(run_dir=args.output), console)
    return exit_code or report_exit


def _profile_impls(profile: str, grid: Grid, console: Console) -> tuple[str, ...]:
    """The implementations a profile measures when no --impl is given, after saying which it leaves out and why."""
    if grid.peers:
        for reason in UNAVAILABLE.values():
            console.print(f"[yellow]not measured:[/] {reason}")
        return tuple(IMPLEMENTATIONS)
    peers = [name for name, impl in IMPLEMENTATIONS.items() if impl.peer]
    console.print(f"the {profile} profile leaves out the peer libraries ({', '.join(peers)}); --impl NAME adds one")
    return tuple(name for name in IMPLEMENTATIONS if name not in peers)


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


def command_report(args: argparse.Namespace, console: Console) -> int:
    from bench.analysis.claims import SETTING_TITLES
    from bench.records.results import load_run
    from bench.reporting.build import analyse_run, write_report
    from bench.text import number_text

    run = load_run(args.run_dir)
    found = analyse_run(run)
    path = write_report(args.run_dir, run, found)
    for row in found.verdict.itertuples():
        spread = (
            f" (measured {number_text(row.speedup_min)}x to {number_text(row.speedup_max)}x)"
            if row.measured_sizes
            else ""
        )
        setting = SETTING_TITLES[row.setting] + ("" if row.dtype == "float64" else f", {row.dtype}")
        console.print(f"[bold]{row.claim}[/], {setting}, against {row.baseline}: {row.verdict}{spread}")
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


def _dtype(row: Any) -> str:
    """' float32' for a case of another dtype than float64, '' for float64 (as case ids say it)."""
    return "" if row.dtype == "float64" else f" {row.dtype}"


def _report_comparison(args: argparse.Namespace, comparison: pd.DataFrame, console: Console) -> int:
    from bench.compare.regress import implementation_verdicts

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
            "Per implementation and threads: geometric mean of its cases' best-time ratios (decides the exit code)",
        )
    missing = comparison[comparison.ratio.isna()]
    for row in missing.itertuples():
        console.print(
            f"[yellow]not compared[/] {row.impl} threads={row.threads} m={row.m} n_x={row.n_x}{_dtype(row)} "
            f"({row.kind}): {row.verdict}"
        )
    slower = by_impl[by_impl.verdict == "slower"]
    if slower.empty:
        console.print(f"[green]no implementation is slower (threshold {args.threshold}x, p < {args.alpha})[/]")
        return 0
    for row in slower.itertuples():
        console.print(
            f"[red]REGRESSION[/] {row.impl} threads={row.threads}: {row.geomean_ratio:.2f}x slower over "
            f"{row.cases} cases (from {row.ratio_min:.2f}x to {row.ratio_max:.2f}x), p={row.p_value:.2g}"
        )
        same = (comparison.impl == row.impl) & (comparison.threads == row.threads)
        cases = comparison[same & (comparison.best_ratio >= np.sqrt(args.threshold))]
        for case in cases.itertuples():
            console.print(
                f"    {case.impl} m={case.m} n_x={case.n_x}{_dtype(case)} ({case.kind}): best {case.best_ratio:.2f}x, "
                f"median {case.ratio:.2f}x [{case.ratio_low:.2f}, {case.ratio_high:.2f}] {case.verdict}"
            )
    return 1


def _load_runs(paths: list[Path]) -> list[dict[str, Any]]:
    from bench.records.results import load_run

    return [load_run(path) for path in paths]


def command_compare(args: argparse.Namespace, console: Console) -> int:
    from bench.compare.regress import compare_runs

    base, head = _load_runs(args.base), _load_runs(args.head)
    return _report_comparison(args, compare_runs(base, head, args.threshold, args.alpha), console)


def command_check(args: argparse.Namespace, console: Console) -> int:
    from bench.compare.regress import check_invariants

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
    from bench.compare.selftest import selftest

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
    from bench.compare.selftest import pairing

    console.print(f"A/A pairs from {len(runs)} run(s): {pairing(len(runs))}")
    console.print(f"A/A: {false_alarms} false alarm(s) in {args.trials} comparisons")
    for factor, group in detections.groupby("slowdown"):
        console.print(
            f"injected {factor}x: detected in {group.detected.sum()} of {group.trials.sum()} trials "
            f"(worst implementation and threads: {group.detected.min()} of {args.trials})"
        )
    return 0


def command_regress(args: argparse.Namespace, console: Console) -> int:
    from bench.compare.ab import run_ab
    from bench.compare.regress import compare_runs

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


def command_reproduce(args: argparse.Namespace, console: Console) -> int:
    from bench.compare.reproduce import display, reproduce

    run_a, run_b = _load_runs([args.run_a, args.run_b])
    comparison, agreement = reproduce(run_a, run_b)
    if args.json:
        cells = comparison.to_dict(orient="records")
        print(json.dumps({"summary": dataclasses.asdict(agreement), "cells": cells}, indent=1, default=str))
    else:
        print_table(console, display(comparison), "Per cell: speedup over the double loop in A and in B")
    overlap = (
        f"{agreement.overlap_share:.0%} of {agreement.with_intervals}"
        if agreement.with_intervals
        else "no cell has intervals in both runs"
    )
    console.print(
        f"{agreement.cells} cells in both runs ({agreement.only_in_a} only in A, {agreement.only_in_b} only in B); "
        f"95% intervals overlap: {overlap}; drift median {agreement.drift_median:.3g}x, "
        f"p90 {agreement.drift_p90:.3g}x"
    )
    for cell in agreement.flipped:
        console.print(f"[red]VERDICT CHANGED[/] {cell}")
    if not agreement.flipped:
        console.print("[green]no verdict decided in both runs changed[/]")
    return 1 if agreement.flipped else 0


def _chosen_models(args: argparse.Namespace, run: dict[str, Any]) -> tuple[list[Any], list[str]]:
    """The run's models that the options select, and why others could not be fitted; ValueError naming what is
    missing."""
    from bench.analysis.model import run_models

    models, unfitted = run_models(run)
    in_run = sorted({b["extra_info"]["impl"] for b in run["benchmarks"] if b["extra_info"]["kind"] == "step"})
    for impl in args.impl or []:
        if impl not in in_run:
            raise ValueError(f"{impl!r} is not in this run; it has: {', '.join(in_run)}")
        if not any(key[0] == impl for key in models):
            reasons = [reason for reason in unfitted if reason.startswith(f"{impl} ")]
            raise ValueError("; ".join(reasons) or f"{impl}: no measured step in this run")
    chosen = [model for key, model in models.items() if not args.impl or key[0] in args.impl]
    if args.dtype:
        chosen = [model for model in chosen if model.dtype == args.dtype]
    if args.threads == "all":  # as installed: each implementation's most threads (1 for single-threaded ones)
        most = {model.impl: max(m.threads for m in chosen if m.impl == model.impl) for model in chosen}
        chosen = [model for model in chosen if model.threads == most[model.impl]]
    elif args.threads:
        chosen = [model for model in chosen if str(model.threads) == args.threads]
    if not chosen:
        raise ValueError(f"no model matches --threads {args.threads} --dtype {args.dtype} in this run")
    return chosen, unfitted


def command_predict(args: argparse.Namespace, console: Console) -> int:
    from bench.analysis.model import prediction_table
    from bench.records.results import load_run

    try:
        run = load_run(args.run_dir)
        chosen, unfitted = _chosen_models(args, run)
    except (ValueError, FileNotFoundError) as error:
        console.print(f"[red]error:[/] {error}")
        return 2
    table = prediction_table(chosen, args.m, args.n_x)
    for reason in unfitted:
        console.print(f"[yellow]not predicted:[/] {reason}")
    if not run.get("machine_info", {}).get("caches"):
        console.print("[yellow]note:[/] this run records no cache sizes: one cost per element at every size")
    for row in table[table.beyond_measured].drop_duplicates(["impl", "m", "n_x"]).itertuples():
        console.print(
            f"[yellow]extrapolation:[/] {row.impl} at m={row.m}, n_x={row.n_x} is past the largest size measured"
        )
    table.to_csv(sys.stdout, index=False, float_format="%.6g")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)  # logs get full lines
    commands = {
        "run": command_run,
        "report": command_report,
        "compare": command_compare,
        "check": command_check,
        "selftest": command_selftest,
        "regress": command_regress,
        "reproduce": command_reproduce,
        "predict": command_predict,
    }
    try:
        return commands[args.command](args, console)
    except FileNotFoundError as error:  # a run directory or JSON that is not there: exit code 2
        console.print(f"[red]error:[/] {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
