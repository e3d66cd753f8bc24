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
    selftest.add_argument("run_dirs", type=Path, nargs="*", metavar="DIR", help="run directories (repeats help)")
    selftest.add_argument("--trials", type=int, default=20, help="pairs per measurement. Default: 20")
    selftest.add_argument(
        "--counts",
        action="store_true",
        help="instead, the counted check on real patches (bench/compare/patches.py): each applied to HEAD in a "
        "worktree and counted --repeats times against the unpatched commit, with an A/A check (needs valgrind; "
        "~25 minutes for 10 repeats on 2 cores)",
    )
    selftest.add_argument("--repeats", type=int, default=10, help="with --counts: counts per side. Default: 10")
    selftest.add_argument(
        "--output", type=Path, default=Path("reports/selftest-counts"), help="with --counts. Default: %(default)s"
    )
    add_test_options(selftest)
    selftest.add_argument("--json", action="store_true", help="print the results as JSON on stdout")


def command(args: argparse.Namespace, console: Console) -> int:
    """Count the regression check's false alarms and detections on real runs, and print them."""
    from bench.compare.selftest import selftest

    if args.counts:
        return _patches(args, console)
    if not args.run_dirs:
        console.print("[red]error:[/] give run directories to test the wall-time check on, or --counts")
        return 2

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


def _patches(args: argparse.Namespace, console: Console) -> int:
    """The counted check on real patches: detections per patch and false alarms; exit 1 when a target is missed."""
    import subprocess

    from bench.compare.patches import patch_selftest

    try:
        table = patch_selftest(args.output, args.repeats, announce=console.print)
    except (RuntimeError, ValueError, subprocess.CalledProcessError) as error:
        console.print(f"[red]error:[/] {error}")
        return 2
    if args.json:
        print(table.to_json(orient="records", indent=1))
    print_table(console, table, f"The counted check on real changes ({args.repeats} repeats each)")
    missed = table[(table.expected == "slower") & (table.caught < table.repeats)]
    alarms = int(table.false_alarms.sum())
    console.print(f"{len(missed)} patch(es) missed at least once; {alarms} false alarm(s); {args.output}/patches.csv")
    return 1 if len(missed) or alarms else 0
