"""`python -m bench compare`: two runs case by case; exit 1 where an implementation got slower."""

import argparse
import json
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from bench.commands.arguments import add_test_options, dtype_suffix, load_runs, print_table, run_list


def add_parser(commands: Any) -> None:
    """Add `compare` and its options to the subcommands."""
    compare = commands.add_parser(
        "compare",
        help="compare two runs case by case; exit 1 if any case is significantly slower",
        description="Per case: the ratio HEAD/BASE of median times with a 95%% bootstrap interval, a two-sided "
        "Mann-Whitney U test on the per-round times, and a verdict. A case is 'slower' only when the ratio "
        "exceeds --threshold AND p < --alpha. Exit codes: 0 no regression, 1 regression(s), 2 bad input. "
        "Prefer runs from the same job (see `regress`): times from different machines or days drift.",
    )
    compare.add_argument("base", type=run_list, metavar="BASE", help="run DIR or JSON; several as DIR1,DIR2 are pooled")
    compare.add_argument("head", type=run_list, metavar="HEAD", help="run DIR or JSON; several as DIR1,DIR2 are pooled")
    add_test_options(compare)
    compare.add_argument("--json", action="store_true", help="print the comparison as JSON on stdout")


def command(args: argparse.Namespace, console: Console) -> int:
    """Compare BASE and HEAD case by case (by counts where both are counted runs); exit 1 when an implementation
    got slower."""
    from bench.compare.regress import compare_runs
    from bench.records.counts import COUNTS_CSV, read_counts

    counted = [(path / COUNTS_CSV).exists() for path in (*args.base, *args.head)]
    if all(counted):
        from bench.compare.counted import compare_counts

        base_counts, head_counts = [read_counts(p) for p in args.base], [read_counts(p) for p in args.head]
        return print_counted_comparison(args, compare_counts(base_counts, head_counts), console)
    if any(counted):
        console.print("[red]error:[/] counted runs (counts.csv) compare only with counted runs, timed with timed")
        return 2
    base, head = load_runs(args.base), load_runs(args.head)
    return print_comparison(args, compare_runs(base, head, args.threshold, args.alpha), console)


def print_comparison(args: argparse.Namespace, comparison: pd.DataFrame, console: Console) -> int:
    """Print a comparison (or its JSON) and each regression; the exit code: 1 when an implementation got slower."""
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
            f"[yellow]not compared[/] {row.impl} threads={row.threads} m={row.m} n_x={row.n_x}{dtype_suffix(row)} "
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
                f"    {case.impl} m={case.m} n_x={case.n_x}{dtype_suffix(case)} ({case.kind}): "
                f"best {case.best_ratio:.2f}x, "
                f"median {case.ratio:.2f}x [{case.ratio_low:.2f}, {case.ratio_high:.2f}] {case.verdict}"
            )
    return 1


def print_counted_comparison(args: argparse.Namespace, comparison: pd.DataFrame, console: Console) -> int:
    """Print a counted comparison (or its JSON); exit 1 naming each implementation with a slower case."""
    from bench.compare.counted import CYCLES_THRESHOLD, THRESHOLD, implementation_verdicts

    by_impl = implementation_verdicts(comparison)
    if args.json:
        cases = comparison.to_dict(orient="records")
        print(json.dumps({"implementations": by_impl.to_dict(orient="records"), "cases": cases}, indent=1, default=str))
    else:
        print_table(console, comparison.drop(columns=["kind", "threads"]), "Per case: HEAD / BASE of counts")
        print_table(console, by_impl, "Per implementation (slower when any case is: decides the exit code)")
    for row in comparison[comparison.verdict == "unstable"].itertuples():
        console.print(
            f"[yellow]unstable[/] {row.impl} m={row.m} n_x={row.n_x}{dtype_suffix(row)}: base counted "
            f"{row.base_spread:.2%} apart twice; not judged"
        )
    slower = by_impl[by_impl.verdict == "slower"]
    if slower.empty:
        console.print(
            f"[green]no implementation is slower (instructions +{THRESHOLD:.0%}, estimated cycles "
            f"+{CYCLES_THRESHOLD:.0%})[/]"
        )
        return 0
    for row in slower.itertuples():
        console.print(f"[red]REGRESSION[/] {row.impl}: {row.cases_slower} of {row.cases} cases slower")
        for case in comparison[(comparison.impl == row.impl) & (comparison.verdict == "slower")].itertuples():
            console.print(
                f"    m={case.m} n_x={case.n_x}{dtype_suffix(case)}: instructions {case.instructions_ratio:.3f}x, "
                f"estimated cycles {case.estimated_cycles_ratio:.3f}x"
            )
    return 1
