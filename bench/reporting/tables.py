"""The long tables: the charts' list, speedups by size, the bandwidth limit, what was not measured."""

import itertools
from typing import Any

import pandas as pd

from bench.analysis.analyse import Analysis
from bench.analysis.claims import ALL_CORES
from bench.analysis.ratios import fastest_by_shape
from bench.records.schema import CASE, NARROW, STEP, TRAIN, WIDE, dtypes_in
from bench.reporting.format import by_size, interval_text, setting_title, settings_in, threads_text
from bench.text import number_text


def charts_section(charts: dict[str, str]) -> str:
    """The charts written, each with what it shows."""
    captions = {
        "time": "Time per gradient step of the notes' implementations (careful and as written) against m, one "
        f"panel per n_x; top row one thread, bottom row as installed; dash-dot lines: {NARROW}.",
        "time_beyond": "The same for the compiled implementations and the peer libraries, numpy's fully "
        "vectorized step beside them as the yardstick.",
        "speedup": "Speedup of the notes' implementations over the careful loop (double_loop), with the notes' "
        "claims marked; one row per setting. Vertical bars: 95% interval from the paired passes.",
        "speedup_beyond": "The same for the compiled implementations and the peer libraries.",
        "heatmap_1_thread": "Where the notes' claims hold over the careful loop, one thread (vectorization "
        "alone): each measured m x n_x cell coloured by its verdict, the speedup written in it, and the claim's "
        "band according to the cost models drawn over it.",
        "heatmap": "The same as installed (all cores).",
        "heatmap_notes_1_thread": "The same for the notes' code over the notes' loop as written (notes_double_loop), "
        "one thread.",
        "heatmap_notes": "The notes' code over the notes' loop as written, as installed (all cores).",
        "per_element": "Nanoseconds per element of X against the bytes of X, the cache sizes marked: dots are "
        "measured steps, lines the cost models at the same n_x.",
        "bandwidth": "GB of X read per second of step (fastest round), one row per setting, "
        f"against the fastest streaming read of the same X in that setting; {NARROW} X holds half the bytes.",
        "dtype_ratio": f"Time in {NARROW} over time in {WIDE} per implementation and size, one row per setting; "
        "at the dotted line, half the bytes of X gave half the time.",
        "training": "train() for a fixed number of iterations: the loop over iterations stays in every version.",
    }
    if not charts:
        return "## Charts\n\nNo measured step: nothing to chart."
    return "## Charts\n\n" + "\n\n".join(f"![{captions[k]}]({name})\n\n{captions[k]}" for k, name in charts.items())


def speedup_tables(pairs: pd.DataFrame, baseline: str) -> str:
    """The speedups over `baseline`, one table per setting and dtype, and training's."""
    pairs = pairs[pairs.baseline == baseline]
    steps = pairs[(pairs.kind == STEP) & (pairs.impl != baseline)]
    if steps.empty:
        return f"No size has both `{baseline}` and another implementation timed."
    parts = []
    for setting, dtype in itertools.product(settings_in(steps), dtypes_in(steps)):
        rows = steps[(steps.setting == setting) & (steps.dtype == dtype)]
        if rows.empty:
            continue
        title = setting_title(setting, rows) + ("" if dtype == WIDE else f", {dtype}")
        cells = rows.assign(cell=[_speedup_cell(r) for r in rows.itertuples()])
        parts.append(f"### {title[0].upper()}{title[1:]}\n\n" + by_size(cells))
    parts.append("### Training\n\n" + _training_table(pairs, baseline))
    return "\n\n".join(parts)


def _training_table(pairs: pd.DataFrame, baseline: str) -> str:
    train = pairs[pairs.kind == TRAIN].drop_duplicates(CASE)
    if train.empty:
        return f"No training run of `{baseline}` and another implementation timed."
    table = pd.DataFrame(
        {
            "implementation": train.label,
            "threads": train.threads,
            "seconds per run": [
                interval_text(r.seconds, r.seconds_low, r.seconds_high, " s")
                if r.status == "measured"
                else f"~{number_text(r.seconds)} s"
                for r in train.itertuples()
            ],
            "speedup": [_speedup_cell(r) for r in train.itertuples()],
        }
    )
    first = train.iloc[0]
    return f"train() at m = {first.m}, n_x = {first.n_x}:\n\n" + table.to_markdown(index=False)


def _speedup_cell(row: Any) -> str:
    """A speedup with its interval; '~' and the bare value where either side is extrapolated."""
    if row.extrapolated:
        return f"~{number_text(row.speedup)}x"
    return interval_text(row.speedup, row.speedup_low, row.speedup_high)


def bandwidth_section(found: Analysis) -> str:
    """The fastest step against one streaming read of X, and the achieved GB/s."""
    fastest = found.fastest
    if fastest is None:
        return "No measured step has a streaming-read reference."
    limits = found.read_limit[(found.read_limit.setting == ALL_CORES) & (found.read_limit.dtype == fastest["dtype"])]
    largest = limits[(limits.m == fastest.m) & (limits.n_x == fastest.n_x)].sort_values("read_multiple")
    lines = [
        f"At the largest X measured (m = {fastest.m}, n_x = {fastest.n_x}, {fastest.bytes_x / 1e6:.0f} MB), "
        f"as installed: one streaming read of X with {threads_text(fastest.threads)} "
        f"takes {fastest.read_s * 1e3:.3g} ms "
        f"({fastest.read_gbytes_per_s:.3g} GB/s). The fastest step, **{fastest.label}**, takes "
        f"{fastest.min_s * 1e3:.3g} ms at best (median {fastest.seconds * 1e3:.3g} ms): "
        f"**{_reads_text(fastest)}** the time of reading X once ({_read_method(fastest)}, same threads).",
        "",
        largest.assign(read_multiple=[_reads_text(row) for _, row in largest.iterrows()])[
            ["label", "threads", "min_s", "seconds", "best_gbytes_per_s", "read_multiple"]
        ]
        .rename(
            columns={
                "label": "implementation",
                "min_s": "best seconds per step",
                "seconds": "median seconds",
                "best_gbytes_per_s": "GB/s of X (best)",
                "read_multiple": "x one read of X",
            }
        )
        .to_markdown(index=False, floatfmt=".3g"),
        "",
        f"The fastest step at every measured shape, {threads_text(fastest.threads)}, float64, in reads of X "
        "(1x: as fast as reading X once):",
        "",
        _fastest_by_shape_table(found.read_limit),
    ]
    return "\n".join(lines)


def _fastest_by_shape_table(limits: pd.DataFrame) -> str:
    """A row per m, a column per n_x: the fastest step as installed there, e.g. '1.55x [1.5, 1.6] numba_fused'."""
    rows = fastest_by_shape(limits)
    rows = rows[rows.setting == ALL_CORES]
    cells = rows.assign(cell=[f"{_reads_text(row)} {row.impl}" for _, row in rows.iterrows()])
    pivot = cells.pivot(index="m", columns="n_x", values="cell").fillna("")
    return pivot.rename(columns=lambda n_x: f"n_x = {n_x}").reset_index().to_markdown(index=False)


def _reads_text(row: pd.Series) -> str:
    """A step's time in reads of X, e.g. '1.66x [1.59, 1.73]'; the bare value where it has no interval."""
    text = f"{row.read_multiple:.2f}x"
    return (
        text
        if pd.isna(row.read_multiple_low)
        else f"{text} [{row.read_multiple_low:.2f}, {row.read_multiple_high:.2f}]"
    )


def _read_method(row: pd.Series) -> str:
    if pd.isna(row.read_multiple_low):
        return "best round against its worker's best read"
    return "timed beside the read in the same trials, with its 95% interval"


def not_measured(table: pd.DataFrame) -> str:
    """Every case not timed, as a table with its status and reason (and the predicted time of an extrapolated one)."""
    skipped = table[table.status != "measured"]
    if skipped.empty:
        return "Every case was measured."
    return skipped[["kind", "impl", "threads", "dtype", "m", "n_x", "status", "predicted_s", "reason"]].to_markdown(
        index=False, floatfmt=".3g"
    )
