"""`python -m bench regress`: A/B in one job, a base git ref against the working tree, then compare."""

import argparse
import os
import subprocess
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.commands.arguments import add_test_options, load_runs
from bench.commands.compare import print_comparison, print_counted_comparison
from bench.measure.profiles import PROFILES

SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"  # a file GitHub Actions shows on the run's page and the pull request


def add_parser(commands: Any) -> None:
    """Add `regress` and its options to the subcommands."""
    regress = commands.add_parser(
        "regress",
        help="A/B in one job: sweep (or --counts: count) a base git ref and the working tree, then compare",
        description="Checks out REF in a temporary git worktree and runs `bench run` for base and head "
        "alternately (base, head, base, head...) so both see the same machine, then compares the pooled "
        "rounds like `compare`. With --counts, counts instead (`bench counts`: base twice, head once, "
        "under Valgrind) and compares the counts: noise cannot move them, so this is the check to gate on. "
        "Either writes a markdown summary to OUTPUT/summary.md and appends it to $GITHUB_STEP_SUMMARY when "
        "set. Exit codes as for compare.",
    )
    regress.add_argument("--base", required=True, metavar="REF", help="git ref to compare against, e.g. origin/main")
    regress.add_argument("--repeats", type=int, default=2, help="runs per side (with --counts: of base). Default: 2")
    regress.add_argument("--profile", choices=PROFILES, default="quick", help="profile of each run. Default: quick")
    regress.add_argument("--output", type=Path, default=None, help="Default: reports/regress (--counts: -counts)")
    regress.add_argument("--counts", action="store_true", help="compare counted runs (needs valgrind), not times")
    add_test_options(regress)
    regress.add_argument("--json", action="store_true", help="print the comparison as JSON on stdout")


def command(args: argparse.Namespace, console: Console) -> int:
    """Run base and head alternately in this job, then compare them as `compare` does."""
    from bench.compare.ab import run_ab

    output = args.output or Path("reports/regress-counts" if args.counts else "reports/regress")
    try:
        base_dirs, head_dirs = run_ab(
            args.base,
            output,
            max(args.repeats, 2) if args.counts else args.repeats,  # base twice at least: the unstable rule
            ("--profile", args.profile),
            announce=console.print,
            command="counts" if args.counts else "run",
            head_repeats=1 if args.counts else None,  # one count of head is as good as two
        )
    except (RuntimeError, subprocess.CalledProcessError) as error:
        console.print(f"[red]error:[/] {error}")
        return 2
    if args.counts:
        return _compare_counts(args, base_dirs, head_dirs, output, console)
    from bench.compare.regress import compare_runs, implementation_verdicts, summary_markdown

    comparison = compare_runs(load_runs(base_dirs), load_runs(head_dirs), args.threshold, args.alpha)
    comparison.to_csv(output / "comparison.csv", index=False)
    by_impl = implementation_verdicts(comparison, args.threshold, args.alpha)
    write_summary(summary_markdown(by_impl, f"Wall time, head / base ({args.base})"), output)
    return print_comparison(args, comparison, console)


def _compare_counts(
    args: argparse.Namespace, base_dirs: list[Path], head_dirs: list[Path], output: Path, console: Console
) -> int:
    from bench.compare.counted import compare_counts, implementation_verdicts, summary_markdown
    from bench.records.counts import read_counts

    comparison = compare_counts([read_counts(d) for d in base_dirs], [read_counts(d) for d in head_dirs])
    comparison.to_csv(output / "comparison.csv", index=False)
    by_impl = implementation_verdicts(comparison)
    write_summary(summary_markdown(comparison, by_impl, f"Counted (Valgrind), head / base ({args.base})"), output)
    return print_counted_comparison(args, comparison, console)


def write_summary(markdown: str, output: Path) -> None:
    """The summary into output/summary.md, and appended to $GITHUB_STEP_SUMMARY where CI set it."""
    (output / "summary.md").write_text(markdown, encoding="utf-8")
    summary = os.environ.get(SUMMARY_VARIABLE)
    if summary:
        with open(summary, "a", encoding="utf-8") as file:
            file.write(markdown + "\n")
