"""report.md: its sections in the order a reader asks, each rendered by its module from the analysis."""

from typing import Any

from bench.analysis.analyse import Analysis
from bench.analysis.claims import BASELINES
from bench.records.schema import NARROW, WIDE
from bench.reporting import dask_section
from bench.reporting.method import environment_table, pairing_check, summary_lines
from bench.reporting.ratios import dtype_ratios_section, relative_section, thread_scaling_section
from bench.reporting.tables import bandwidth_section, charts_section, not_measured, speedup_tables
from bench.reporting.verdicts import headline, loop_form_section, verdict_tables
from bench.reporting.why import why_section


def render_markdown(run: dict[str, Any], found: Analysis, charts: dict[str, str]) -> str:
    """The whole report as markdown."""
    sections = [
        "# Loop vs vectorized logistic regression: benchmark report",
        "\n".join(filter(None, [summary_lines(run, found.results), pairing_check(found.pairing_check)])),
        "## Environment\n\n" + environment_table(run.get("machine_info", {})),
        "## Do the notes' claims hold here?\n\n" + headline(found) + "\n\n" + verdict_tables(found.verdict),
        "## The loop's form alone: the notes' loop against the careful loop\n\n" + loop_form_section(found.loop_form),
        "## Slower with all cores than with one\n\n" + thread_scaling_section(found.thread_scaling),
        f"## {NARROW} against {WIDE}\n\n" + dtype_ratios_section(found),
        "## JAX against numpy and the fused kernel\n\n" + relative_section(found),
        charts_section(charts),
        *(f"## Speedup over {b.title} (`{b.impl}`)\n\n" + speedup_tables(found.speedups, b.impl) for b in BASELINES),
        "## Against the memory-bandwidth limit\n\n" + bandwidth_section(found),
        "## Why: a cost model per implementation\n\n" + why_section(found),
        "## Not measured\n\n" + not_measured(found.results),
    ]
    dask = dask_section.section(dask_section.dask_cases(run, found.results))
    if dask:
        sections.insert(-1, "## dask_array: its floor, numpy's step and its memory\n\n" + dask)
    return "\n\n".join(sections) + "\n"
