"""report.md: its sections in the order a reader asks, each rendered by its module from the analysis."""

import re
import textwrap
from typing import Any

from bench.analysis.analyse import Analysis
from bench.analysis.claims import BASELINES
from bench.records.schema import NARROW, WIDE
from bench.reporting import dask_section
from bench.reporting.first_screen import first_screen
from bench.reporting.method import environment_table, pairing_check, summary_lines
from bench.reporting.ratios import dtype_ratios_section, relative_section, thread_scaling_section
from bench.reporting.tables import bandwidth_section, charts_section, not_measured, speedup_tables
from bench.reporting.verdicts import headline, loop_form_section, verdict_tables
from bench.reporting.why import why_section

WRAP = 120  # characters per line of prose in report.md
NO_BREAK = "\x00"  # stands for a space inside a code span while wrapping


def render_markdown(run: dict[str, Any], found: Analysis, charts: dict[str, str], counted: str | None = None) -> str:
    """The whole report as markdown: the first screen, then the details in the order of a reader's questions
    (the verdicts, why, threads, float32, peers, the fused kernel, dask, counts, charts, every speedup, method),
    long tables folded into <details> blocks (GitHub renders them closed). `counted`: a counted run's section
    (bench/reporting/counts_section.py)."""
    dask = dask_section.section(dask_section.dask_cases(run, found.results))
    sections = [
        first_screen(run, found, charts),
        "## Do the notes' claims hold here?\n\n"
        + headline(found)
        + fold("every claim's verdict, per setting and dtype", verdict_tables(found.verdict)),
        "## Why: a cost model per implementation\n\n" + fold("the cost models and what they say", why_section(found)),
        "## The loop's form alone: the notes' loop against the careful loop"
        + fold("the notes' loop over the careful loop, per size", loop_form_section(found.loop_form)),
        "## Slower with all cores than with one\n\n"
        + fold("all cores against 1 thread, per case", thread_scaling_section(found.thread_scaling)),
        f"## {NARROW} against {WIDE}" + fold(f"{NARROW} time over {WIDE} time, per case", dtype_ratios_section(found)),
        "## JAX against numpy and the fused kernel\n\n" + fold("each pair, per size", relative_section(found)),
        "## Against the memory-bandwidth limit\n\n" + bandwidth_section(found),
        dask and "## dask_array: its floor, numpy's step and its memory" + fold("dask_array's cases", dask),
        counted and "## Counted: instructions and cache misses per element (Valgrind)\n\n" + counted,
        charts_section(charts),
        *(
            f"## Speedup over {b.title} (`{b.impl}`)\n\n"
            + fold("every implementation, every size", speedup_tables(found.speedups, b.impl))
            for b in BASELINES
        ),
        "## How this run was measured\n\n"
        + fold(
            "the method, the commit, the pairing check",
            "\n".join(filter(None, [summary_lines(run, found.results), pairing_check(found.pairing_check)])),
        ),
        "## Environment\n\n"
        + fold("the machine, the packages, the thread pools", environment_table(run.get("machine_info", {}))),
        "## Not measured\n\n" + fold("each case not timed, and why", not_measured(found.results)),
    ]
    return wrap_prose("\n\n".join(section for section in sections if section)) + "\n"


def fold(summary: str, body: str) -> str:
    """`body` in a <details> block, closed, `summary` its visible line (blank lines keep its markdown rendered)."""
    return f"\n\n<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def wrap_prose(text: str, width: int = WRAP) -> str:
    """Paragraphs and list items hard-wrapped at `width` (markdown joins the lines again); tables, headings,
    images and HTML left as they are. A report read as text then has no line longer than a screen."""
    lines = []
    for line in text.split("\n"):
        if len(line) <= width or line.lstrip().startswith(("|", "#", "!", "<", "```")):
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        item = indent + ("  " if line.lstrip().startswith("- ") else "")
        # Code spans stay whole (a command must copy as one line): their spaces are not places to break.
        kept = re.sub(r"`[^`]*`", lambda span: span.group(0).replace(" ", NO_BREAK), line)
        wrapped = textwrap.fill(kept, width, subsequent_indent=item, break_long_words=False, break_on_hyphens=False)
        lines.append(wrapped.replace(NO_BREAK, " "))
    return "\n".join(lines)
