"""`python -m bench selftest`: the regression check's false alarms and detections, measured on real runs."""

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.commands.arguments import add_test_options, load_runs, print_table


def add_parser(commands: Any) -> None:
    """Add `selftest` and its options to the subcommands."""
    selftest = commands.add_parser(
        "selftest",
        help="measure the regression check's false alarms and detections on real runs",
        description="From one or more real runs: A/A pairs (random halves of each case's rounds, from two "
        "different runs when several are given) count false alarms; slowdowns of 1.1x, 1.25x, 1.5x and 2x "
        "injected into one implementation at a time count detections.",
    )
    selftest.add_argument("run_dirs", type=Path, nargs="+", metavar="DIR", help="run directories (repeats help)")
    selftest.add_argument("--trials", type=int, default=20, help="pairs per measurement. Default: 20")
    add_test_options(selftest)
    selftest.add_argument("--json", action="store_true", help="print the results as JSON on stdout")


def command(args: argparse.Namespace, console: Console) -> int:
    """Count the regression check's false alarms and detections on real runs, and print them."""
    from bench.compare.selftest import selftest

    runs = load_runs(args.run_dirs)
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
