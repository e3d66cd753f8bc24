"""Ratios beside the speedups: all cores against one thread, float32 against float64, JAX against ours."""

import pandas as pd

from bench.analysis.analyse import Analysis
from bench.analysis.claims import ALL_CORES, SETTING_TITLES
from bench.analysis.ratios import COMPARISONS
from bench.records.schema import NARROW, STEP, WIDE
from bench.reporting.format import by_size, interval_text, setting_title, settings_in


def thread_scaling_section(scaling: pd.DataFrame) -> str:
    """Where all cores were slower than one thread, beyond the intervals."""
    if scaling.empty:
        return "This run has no parallel implementation measured both with 1 thread and with all cores."
    slower = scaling[scaling.slower_with_all_cores]
    faster = scaling[scaling.ratio_high < 1]
    lines = [
        f"Time with all cores over time with 1 thread, per parallel implementation and size, with its 95% "
        f"interval from the paired passes. Of {len(scaling)} measured pairs, **{len(slower)}** are slower with all "
        f"cores beyond their interval, {len(faster)} faster beyond it; the others are within their interval of 1."
    ]
    if not slower.empty:
        named = slower.assign(
            case=[f"{r.label} ({r.kind})" for r in slower.itertuples()],
            ratio_text=[interval_text(r.ratio, r.ratio_low, r.ratio_high) for r in slower.itertuples()],
        )
        lines += [
            "",
            named[["case", "dtype", "m", "n_x", "threads", "seconds_one_thread", "seconds_all_cores", "ratio_text"]]
            .rename(
                columns={
                    "case": "slower with all cores",
                    "seconds_one_thread": "seconds, 1 thread",
                    "seconds_all_cores": "seconds, all cores",
                    "ratio_text": "all cores / 1 thread",
                }
            )
            .to_markdown(index=False, floatfmt=".3g"),
            "",
            "These are findings about the library on this machine, not noise: the whole interval lies above 1. "
            "On a machine with few cores the thread pools of OpenBLAS and OpenMP can compete for them "
            "(OpenBLAS FAQ, 'using OpenBLAS with OpenMP'): a thread left waiting loses a scheduler quantum, "
            "about 8 ms, per call. A user running these libraries as installed pays it; "
            "one thread (e.g. OPENBLAS_NUM_THREADS=1) avoids it.",
        ]
    cells = scaling[scaling.kind == STEP]
    if not cells.empty:
        cells = cells.assign(
            cell=[
                f"**{interval_text(r.ratio, r.ratio_low, r.ratio_high)}**"
                if r.slower_with_all_cores
                else interval_text(r.ratio, r.ratio_low, r.ratio_high)
                for r in cells.itertuples()
            ]
        )
        order = list(dict.fromkeys(cells.impl))  # the run's order
        index = ["n_x", "m"] if set(cells.dtype) == {WIDE} else ["dtype", "n_x", "m"]
        pivot = cells.pivot(index=index, columns="impl", values="cell").reindex(columns=order).fillna("n/a")
        pivot = pivot.sort_index(key=lambda level: level != WIDE if level.name == "dtype" else level)  # float64 first
        lines += [
            "",
            "All cores / 1 thread, per size (bold: slower beyond the interval):",
            "",
            pivot.reset_index().to_markdown(index=False),
        ]
    return "\n".join(lines)


def dtype_ratios_section(found: Analysis) -> str:
    """float32 time over float64 time, per implementation and size."""
    ratios = found.dtype_ratios
    if ratios.empty:
        return (
            f"No implementation was measured in both {WIDE} and {NARROW} "
            f"(`python -m bench run --dtype {WIDE},{NARROW}` measures both at every size)."
        )
    lines = [
        f"Time per step in {NARROW} over time in {WIDE}: the same implementation, threads and size, with its 95% "
        f"interval from the paired passes. {NARROW} halves the bytes of X: where a step streams X from memory, "
        "0.5 is what half the bytes can give; near 1, something else bounds the step (per-call costs, arithmetic "
        f"in {WIDE}, Python floats)."
    ]
    steps = found.results[(found.results.kind == STEP) & (found.results.dtype == NARROW)]
    wide_inside = list(dict.fromkeys(steps.impl[steps.result_dtype == WIDE]))
    if wide_inside:
        named = ", ".join(f"`{impl}`" for impl in wide_inside)
        lines.append(f"Given {NARROW}, these returned {WIDE}: they compute in {WIDE} whatever they are given: {named}.")
    for setting in settings_in(ratios):
        rows = ratios[ratios.setting == setting]
        cells = [interval_text(r.ratio, r.ratio_low, r.ratio_high) for r in rows.itertuples()]
        title = setting_title(setting, rows)
        lines.append(f"### {title[0].upper()}{title[1:]}\n\n" + by_size(rows.assign(cell=cells)))
    return "\n\n".join(lines)


def relative_section(found: Analysis) -> str:
    """JAX's step against numpy's and the fused kernel's, by range of the size of X."""
    relative = found.relative
    pairs = " and ".join(f"`{against}`" for _, against in COMPARISONS)
    if relative.empty:
        return f"This run did not measure `jax_peer` beside {pairs}."
    labels = dict(zip(found.results.impl, found.results.label, strict=False))
    parts = [
        "Time of the peer's step over time of ours, per setting, dtype and range of the size of X (below 1: the "
        "peer is faster): the median over the sizes of the range, and how many sizes are faster or slower beyond "
        "their 95% interval. Per-call costs weigh at small X, memory traffic at large X."
    ]
    summary = found.relative_by_range
    for (impl, against), rows in summary.groupby(["impl", "against"], sort=False):
        installed = rows[(rows.setting == ALL_CORES) & (rows.dtype == WIDE)]
        said = [f"{r.ratio_median:.2g}x with {r.size_range}" for r in installed.itertuples()]
        headline = (
            f"As installed ({WIDE}), the time of the step of {labels.get(impl, impl)} over that of "
            f"{labels.get(against, against)} is {' and '.join(said)} (medians)."
            if said
            else ""
        )
        table = rows.assign(
            setting=rows.setting.map(SETTING_TITLES),
            ratio=[f"{r.ratio_median:.3g}x ({r.ratio_min:.3g}x .. {r.ratio_max:.3g}x)" for r in rows.itertuples()],
        )[["setting", "dtype", "size_range", "sizes", "ratio", "faster", "slower"]].rename(
            columns={"size_range": "size of X", "ratio": f"{impl} / {against} (min .. max)"}
        )
        parts.append(f"### `{impl}` against `{against}`\n\n{headline}\n\n" + table.to_markdown(index=False))
    return "\n\n".join(parts)
