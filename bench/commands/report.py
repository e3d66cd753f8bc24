"""`python -m bench report`: rebuild a run's charts, CSVs and report.md from its JSON."""

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.records.schema import WIDE


def add_parser(commands: Any) -> None:
    """Add `report` and its options to the subcommands."""
    report = commands.add_parser(
        "report",
        help="rebuild a run's results.csv, charts and report.md from its JSON",
        description="Rebuild DIR/results.csv, the PNG charts and DIR/report.md from DIR/benchmark.json "
        "(or, for an interrupted sweep, from DIR/cases.jsonl). Nothing is re-measured.",
    )
    report.add_argument("run_dir", type=Path, metavar="DIR", help="a run directory written by `run`")


def command(args: argparse.Namespace, console: Console) -> int:
    """Rebuild DIR's report and say each claim's verdict."""
    return write_and_summarize(args.run_dir, console)


def write_and_summarize(run_dir: Path, console: Console) -> int:
    """Write `run_dir`'s report (bench.report's work), then print each claim's verdict and where the report is."""
    from bench.analysis.claims import SETTING_TITLES
    from bench.records.results import load_run
    from bench.reporting.build import analyse_run, write_report
    from bench.text import number_text

    run = load_run(run_dir)
    found = analyse_run(run)
    path = write_report(run_dir, run, found)
    for row in found.verdict.itertuples():
        spread = (
            f" (measured {number_text(row.speedup_min)}x to {number_text(row.speedup_max)}x)"
            if row.measured_sizes
            else ""
        )
        setting = SETTING_TITLES[row.setting] + ("" if row.dtype == WIDE else f", {row.dtype}")
        console.print(f"[bold]{row.claim}[/], {setting}, against {row.baseline}: {row.verdict}{spread}")
    console.print(f"report: {path}")
    return 0
