"""`python -m bench reproduce`: how far two runs agree; exit 1 if a decided verdict flips."""

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.commands.arguments import load_runs, print_table


def add_parser(commands: Any) -> None:
    """Add `reproduce` and its options to the subcommands."""
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


def command(args: argparse.Namespace, console: Console) -> int:
    """Compare two runs cell by cell; exit 1 when a verdict decided in both changed."""
    from bench.compare.reproduce import display, reproduce

    run_a, run_b = load_runs([args.run_a, args.run_b])
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
