"""`python -m bench regress`: A/B in one job, a base git ref against the working tree, then compare."""

import argparse
import subprocess
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.commands.arguments import add_test_options, load_runs
from bench.commands.compare import print_comparison
from bench.measure.profiles import PROFILES


def add_parser(commands: Any) -> None:
    """Add `regress` and its options to the subcommands."""
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
    add_test_options(regress)
    regress.add_argument("--json", action="store_true", help="print the comparison as JSON on stdout")


def command(args: argparse.Namespace, console: Console) -> int:
    """Sweep base and head alternately in this job, then compare them as `compare` does."""
    from bench.compare.ab import run_ab
    from bench.compare.regress import compare_runs

    try:
        base_dirs, head_dirs = run_ab(
            args.base, args.output, args.repeats, ("--profile", args.profile), announce=console.print
        )
    except (RuntimeError, subprocess.CalledProcessError) as error:
        console.print(f"[red]error:[/] {error}")
        return 2
    comparison = compare_runs(load_runs(base_dirs), load_runs(head_dirs), args.threshold, args.alpha)
    comparison.to_csv(args.output / "comparison.csv", index=False)
    return print_comparison(args, comparison, console)
