"""A run's report: results.csv, speedups.csv, PNG charts and report.md, all rebuilt from its JSON.

The analysis is computed once (`analyse_run`) and handed down: tables render
its frames, plot functions draw them, nothing here measures.
"""

from pathlib import Path
from typing import Any

from bench.analysis.analyse import Analysis, analyse
from bench.analysis.model import Caches
from bench.records import results
from bench.reporting.charts import write_charts
from bench.reporting.counts_section import counts_section
from bench.reporting.html import write_html
from bench.reporting.markdown import render_markdown

REPORT_NAME = "report.md"

SPEEDUPS_CSV_NAME = "speedups.csv"

SPEEDUPS_CSV_COLUMNS = [
    "baseline",  # the loop the speedup is over: double_loop (careful) or notes_double_loop (as written)
    "kind",  # "step" or "train": a training run's m and n_x are its own
    "impl",
    "m",
    "n_x",
    "threads",
    "dtype",
    "setting",
    "speedup",
    "speedup_low",
    "speedup_high",
    "pairing",
    "extrapolated",
    "verdict",
]


def analyse_run(run: dict[str, Any]) -> Analysis:
    """The analysis of one loaded run, computed once."""
    caches = Caches.from_machine_info(run.get("machine_info", {}))
    return analyse(results.tidy(run), results.pass_times(run), caches, results.paired_trials(run))


def build_report(run_dir: Path) -> Path:
    """Write results.csv, speedups.csv, the charts, report.md and report.html into `run_dir`; report.md's path."""
    run = results.load_run(run_dir)
    return write_report(run_dir, run, analyse_run(run))


def write_report(run_dir: Path, run: dict[str, Any], found: Analysis) -> Path:
    """Write the report of `run`, whose analysis is `found`, into `run_dir`; returns report.md's path."""
    run_dir = Path(run_dir)
    found.results.to_csv(run_dir / results.CSV_NAME, index=False)
    found.speedups.reindex(columns=SPEEDUPS_CSV_COLUMNS).to_csv(run_dir / SPEEDUPS_CSV_NAME, index=False)
    charts = write_charts(found, results.training_costs(run), run_dir)
    path = run_dir / REPORT_NAME
    markdown = render_markdown(run, found, charts, counts_section(run_dir))
    path.write_text(markdown, encoding="utf-8")
    write_html(markdown, run_dir)  # report.html beside it, self-contained
    return path
