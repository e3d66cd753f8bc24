"""The report's first screen: the notes' own table with what was measured here, one claim map, the answer.

What a student opens the report for, in about forty rendered lines: the course notes' table (Original 1x,
Partial ~10x, Full ~300x) with a column measured on this machine, the map of where each claim holds, three or
four plain sentences saying where it holds, where not and why (the cost models' per-element, per-example and
per-call costs), the machine in one line and how to measure again. Every number carries its interval, or says
it was extrapolated.
"""

from typing import Any

import pandas as pd

from bench.analysis.analyse import Analysis
from bench.analysis.claims import BASELINE, CLAIMS, ONE_THREAD
from bench.analysis.verdicts import PHRASES
from bench.records.schema import STEP, WIDE
from bench.reporting.format import interval_text
from bench.text import number_text

NOTES_ROWS = (  # the notes' table: its rows, what they say, the implementation each row is here
    ("Original: two loops", "1x", BASELINE),
    ("Partial: the feature loop vectorized", "~10x", "features_vectorized"),
    ("Full: both loops vectorized", "~300x", "fully_vectorized"),
)


def first_screen(run: dict[str, Any], found: Analysis, charts: dict[str, str]) -> str:
    """The first screen's markdown: the notes' table measured, the claim map, the answer, machine and rerun."""
    table, size_reason = notes_table(found)
    parts = [
        "# Is vectorized logistic regression ~10x and ~300x faster? Measured here",
        table,
        size_reason,
    ]
    if "heatmap_1_thread" in charts:
        parts.append(f"![Where each claim holds, 1 thread]({charts['heatmap_1_thread']})")
    parts += ["**The answer.** " + " ".join(answer_sentences(found)), _machine_line(run), _rerun_line(run)]
    return "\n\n".join(part for part in parts if part)


def _one_thread(speedups: pd.DataFrame, impl: str) -> pd.DataFrame:
    """`impl`'s step speedups over the careful loop, 1 thread, float64: the notes' setting."""
    chosen = (speedups.baseline == BASELINE) & (speedups.impl == impl) & (speedups.kind == STEP)
    return speedups[chosen & (speedups.setting == ONE_THREAD) & (speedups.dtype == WIDE)]


def table_sizes(found: Analysis) -> list[tuple[int, int]]:
    """Per number of features (10 and more; all where the run has none), the largest m at which the loop and
    both vectorized steps were all timed, not extrapolated: the nearest to a real training set this machine can
    time, with few features and with many."""
    timed = [
        set(map(tuple, _one_thread(found.speedups, impl).loc[lambda f: ~f.extrapolated, ["m", "n_x"]].to_numpy()))
        for _, _, impl in NOTES_ROWS[1:]
    ]
    common = set.intersection(*timed)
    wide = {size for size in common if size[1] >= 10} or common
    return sorted((max(m for m, n in wide if n == n_x), n_x) for n_x in {n for _, n in wide})


def _size(m: int, n_x: int) -> str:
    return f"m = {m:.0e}".replace("e+0", "e") + f", n_x = {n_x}"


def notes_table(found: Analysis) -> tuple[str, str]:
    """The notes' table with a measured column per `table_sizes` and the range over every measured size; and
    the sentence saying why those sizes."""
    sizes = table_sizes(found)
    rows = []
    for title, claimed, impl in NOTES_ROWS:
        row = {"the notes' step": f"{title} (`{impl}`)", "the notes say": claimed}
        if impl == BASELINE:
            rows.append(row | {_size(*size): "1x" for size in sizes} | {"range over the measured sizes": "1x"})
            continue
        speedups = _one_thread(found.speedups, impl)
        for m, n_x in sizes:
            cell = speedups[(speedups.m == m) & (speedups.n_x == n_x)].iloc[0]
            row[_size(m, n_x)] = interval_text(cell.speedup, cell.speedup_low, cell.speedup_high)
        measured = speedups[~speedups.extrapolated]
        row["range over the measured sizes"] = (
            f"{number_text(measured.speedup.min())}x to {number_text(measured.speedup.max())}x ({len(measured)} sizes)"
            if len(measured)
            else "not measured"
        )
        rows.append(row)
    reason = "Measured: speedups over the careful Python loop, one thread, float64, with 95% intervals" + (
        ", at the largest m for each number of features at which the loop was timed rather than "
        "extrapolated: the nearest to a real training set this machine can time."
        if sizes
        else ". No size had the loop and both vectorized steps timed."
    )
    return pd.DataFrame(rows).to_markdown(index=False), reason


def answer_sentences(found: Analysis) -> list[str]:
    """Where each claim holds and where not (over the careful loop, 1 thread, float64), then why."""
    verdict = found.verdict[
        (found.verdict.baseline == BASELINE) & (found.verdict.setting == ONE_THREAD) & (found.verdict.dtype == WIDE)
    ]
    sentences = []
    for claim in CLAIMS:
        row = verdict[verdict.impl == claim.impl]
        if row.empty or row.iloc[0].measured_sizes == 0:
            sentences.append(f"~{claim.factor:g}x ({claim.short}) could not be judged: no size was measured.")
            continue
        cells = _one_thread(found.speedups, claim.impl)
        sentences.append(_claim_sentence(claim.factor, claim.short, row.iloc[0], cells[~cells.extrapolated]))
    why = found.explanations.get((BASELINE, "fully_vectorized", ONE_THREAD))
    if why is not None and why.why:
        first, *rest = why.why
        sentences.append("Why, from the cost models: " + " ".join([first[0].lower() + first[1:], *rest]))
    return sentences


def _claim_sentence(factor: float, short: str, row: Any, cells: pd.DataFrame) -> str:
    """E.g. 'Over the careful loop, ~300x (both loops removed) holds at 2 sizes (n_x = 100 and 1000) and does not
    hold at 12 (n_x = 1 to 1000) of 14 measured...'. Verdicts at no size are left out; the map shows which m."""
    said = []
    for verdict, phrase in PHRASES.items():
        at = cells[cells.verdict == verdict]
        if len(at):
            said.append(f"{phrase} at {len(at)} ({_n_xs(sorted(set(at.n_x)))})")
    listed = ", ".join(said[:-1]) + (" and " if len(said) > 1 else "") + said[-1]
    return (
        f"Over the careful loop, ~{factor:g}x ({short}) {listed} of {row.measured_sizes} measured sizes "
        f"(measured {number_text(row.speedup_min)}x to {number_text(row.speedup_max)}x)."
    )


def _n_xs(values: list[int]) -> str:
    return "n_x = " + (str(values[0]) if len(values) == 1 else ", ".join(map(str, values[:-1])) + f" and {values[-1]}")


def _machine_line(run: dict[str, Any]) -> str:
    machine = run.get("machine_info", {})
    cpu = machine.get("cpu", {}).get("brand_raw") or machine.get("processor") or "unknown CPU"
    cores = machine.get("logical_cores") or machine.get("cpu", {}).get("count") or "?"
    numpy = machine.get("packages", {}).get("numpy")
    python = machine.get("python_version", "?")
    return f"Machine: {cpu}, {cores} logical cores, Python {python}" + (f", numpy {numpy}" if numpy else "") + "."


def _rerun_line(run: dict[str, Any]) -> str:
    settings = run.get("run", {})
    command = (
        settings.get("command") or f"python -m bench run --profile {settings.get('profile', 'default')} --output DIR"
    )
    return f"Measure it on your machine: `{command}` (details, method and every table below)."
