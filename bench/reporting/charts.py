"""The report's charts: one PNG per question, drawn from the analysis (plots.py and model_plots.py draw)."""

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display needed, none assumed

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

from bench.analysis.analyse import Analysis
from bench.analysis.claims import ALL_CORES, BASELINE, NOTES_BASELINE, NOTES_FAMILY, ONE_THREAD, claims_against
from bench.records.schema import STEP, TRAIN, WIDE, dtypes_in
from bench.reporting import model_plots, plots
from bench.reporting.format import baseline_title, setting_title, settings_in

CHARTS = {
    "time": "time_vs_m.png",  # the notes' implementations, careful and as written
    "time_beyond": "time_vs_m_compiled_and_peers.png",  # numba's, the peer libraries', numpy's step as yardstick
    "speedup": "speedup_vs_m.png",
    "speedup_beyond": "speedup_vs_m_compiled_and_peers.png",
    "heatmap_1_thread": "speedup_heatmap_1_thread.png",
    "heatmap": "speedup_heatmap.png",  # as installed (all cores)
    "heatmap_notes_1_thread": "speedup_heatmap_notes_1_thread.png",  # over the notes' loop as written
    "heatmap_notes": "speedup_heatmap_notes.png",
    "per_element": "time_per_element.png",
    "bandwidth": "bandwidth.png",
    "dtype_ratio": "float32_vs_float64.png",
    "training": "training.png",
}

HEATMAPS = {  # (baseline, setting) -> chart
    (BASELINE, ONE_THREAD): "heatmap_1_thread",
    (BASELINE, ALL_CORES): "heatmap",
    (NOTES_BASELINE, ONE_THREAD): "heatmap_notes_1_thread",
    (NOTES_BASELINE, ALL_CORES): "heatmap_notes",
}


def _save(figure: plt.Figure, path: Path, legend: list[Any] | None = None) -> None:
    figure.tight_layout()
    if legend:  # below the panels, outside the data: the width stays the panels'
        figure.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=9, frameon=False)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)


Draw = Callable[[pd.DataFrame, Sequence[Axes], Sequence[int], plots.Styles], Sequence[Axes]]


PANELS_PER_ROW = 4  # at most: with the legend beside them, 1800 px wide at the saved dpi (900 px on a 2x screen)


def _chart_by_setting(
    path: Path, title: str, frame: pd.DataFrame, draw: Draw, styles: plots.Styles, legend: list[Any]
) -> None:
    """Rows of panels per setting ("1 thread" on top), one panel per n_x, at most PANELS_PER_ROW in a row, a
    shared y axis."""
    settings = settings_in(frame)
    n_xs = sorted(frame.n_x.unique())
    columns = min(PANELS_PER_ROW, len(n_xs))
    rows_per_setting = -(-len(n_xs) // columns)
    figure, grid = plt.subplots(
        len(settings) * rows_per_setting,
        columns,
        figsize=(3.6 * columns + 0.8, 3.3 * len(settings) * rows_per_setting),
        sharey=True,
        squeeze=False,
    )
    figure.suptitle(title, fontsize=12)
    for index, setting in enumerate(settings):
        block = grid[index * rows_per_setting : (index + 1) * rows_per_setting]
        panels = [axes for row in block for axes in row]
        for unused in panels[len(n_xs) :]:
            unused.set_visible(False)
        rows = frame[frame.setting == setting]
        draw(rows, panels[: len(n_xs)], n_xs, styles)
        for row in block:
            row[0].set_ylabel(f"{setting_title(setting, rows)}\n\n{block[0][0].get_ylabel()}")
    _save(figure, path, legend)


def write_charts(found: Analysis, costs: pd.DataFrame, run_dir: Path) -> dict[str, str]:
    """Draw every chart the data allows; returns {chart: file name} of those written.

    The charts are drawn in processes forked from this one, one per core:
    each is independent of the others, and matplotlib's layout and drawing
    of the default profile's twelve took 20 s in one process here, 8 s in
    two (the same PNG files, byte for byte). Not where JAX is loaded (a
    notebook's process, a test's): its threads make forking unsafe.
    """
    if found.steps.empty:
        return {}
    styles = plots.Styles.of(found.results)
    impls = styles.order(found.steps)
    jobs: list[Callable[..., dict[str, str]]] = [
        *(
            partial(chart, suffix=suffix)
            for chart in (_write_time_chart, _write_speedup_chart)
            for suffix in ("", "_beyond")
        ),
        _write_heatmaps,
        _write_per_element,
        _write_ratio_charts,
        _write_training,
    ]
    arguments = (found, costs, run_dir, styles, impls)
    if "jax" in sys.modules:  # its threads make a fork unsafe (JAX warns of a deadlock): draw them here
        written = {key: name for job in jobs for key, name in job(*arguments).items()}
    else:
        context = multiprocessing.get_context("fork")  # the children start with matplotlib and the analysis loaded
        with ProcessPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 1), mp_context=context) as pool:
            futures = [pool.submit(job, *arguments) for job in jobs]
            written = {key: name for future in futures for key, name in future.result().items()}
    return {key: written[key] for key in CHARTS if key in written}


def _families(found: Analysis, impls: list[str]) -> dict[str, tuple[str, ...]]:
    """The notes' implementations on charts of their own (suffix ""); the compiled ones and the peers on others
    ("_beyond"), beside numpy's step as the yardstick: each chart a few lines a panel, an implementation styled
    alike in all. Without any of the notes': one chart of what there is."""
    if not found.steps.impl.isin(NOTES_FAMILY).any():
        return {"": tuple(impls)}
    return {"": NOTES_FAMILY, "_beyond": (*(i for i in impls if i not in NOTES_FAMILY), "fully_vectorized")}


def _write_time_chart(
    found: Analysis, costs: pd.DataFrame, run_dir: Path, styles: plots.Styles, impls: list[str], suffix: str
) -> dict[str, str]:
    """The time per step of one family of implementations (`_families`) against m, a panel per n_x."""
    family = _families(found, impls).get(suffix, ())
    shown = found.steps[found.steps.impl.isin(family)]
    if shown.impl.nunique() < (2 if suffix else 1):
        return {}
    title = "Time per gradient step (lower is better)" + (": compiled and peer libraries" if suffix else "")
    handles = styles.handles([i for i in impls if i in family], dtypes_in(shown))
    _chart_by_setting(run_dir / CHARTS["time" + suffix], title, shown, plots.plot_time_vs_m, styles, handles)
    return {"time" + suffix: CHARTS["time" + suffix]}


def _write_speedup_chart(
    found: Analysis, costs: pd.DataFrame, run_dir: Path, styles: plots.Styles, impls: list[str], suffix: str
) -> dict[str, str]:
    """The speedup over the careful loop of one family of implementations (`_families`) against m, a panel per
    n_x. The notes' claims are about float64 numpy: speedup charts are float64's (report.md has every dtype's
    verdict)."""
    family = _families(found, impls).get(suffix, ())
    step_pairs = found.speedups[(found.speedups.kind == STEP) & (found.speedups.dtype == WIDE)]
    pairs = step_pairs[(step_pairs.baseline == BASELINE) & (step_pairs.impl != BASELINE)]
    shown = pairs[pairs.impl.isin(family)]
    if shown.empty or (suffix and shown.impl.nunique() < 2):
        return {}
    handles = styles.handles([i for i in impls if i in family and i != BASELINE])
    handles += [plt.Line2D([], [], color=c, linestyle=":", label=t) for c, t in plots.CLAIM_STYLE.values()]
    handles.append(plt.Line2D([], [], color="grey", linewidth=2, alpha=0.6, label="95% interval (paired passes)"))
    title = "Speedup over the careful loop, double_loop (higher is better)" + (
        ": compiled and peer libraries" if suffix else ""
    )
    _chart_by_setting(run_dir / CHARTS["speedup" + suffix], title, shown, plots.plot_speedup_vs_m, styles, handles)
    return {"speedup" + suffix: CHARTS["speedup" + suffix]}


def _write_ratio_charts(
    found: Analysis, costs: pd.DataFrame, run_dir: Path, styles: plots.Styles, impls: list[str]
) -> dict[str, str]:
    """Achieved bandwidth against the fastest read of X, and float32 time over float64's, where measured."""
    written: dict[str, str] = {}
    if not found.read_limit.empty:
        handles = styles.handles(impls, dtypes_in(found.read_limit))
        handles.append(plt.Line2D([], [], color="black", linestyle="--", linewidth=2, label="fastest read of X"))
        _chart_by_setting(
            run_dir / CHARTS["bandwidth"],
            "Achieved bandwidth: GB of X (as stored: float32 is half) per second of gradient step; labels: the fastest "
            "float64 step in reads of X",
            found.read_limit,
            plots.plot_bandwidth,
            styles,
            handles,
        )
        written["bandwidth"] = CHARTS["bandwidth"]

    ratios = found.dtype_ratios
    if not ratios.empty:
        handles = styles.handles(styles.order(ratios), extrapolated=False)
        handles.append(plt.Line2D([], [], color="black", linestyle=":", label="half the time: half the bytes of X"))
        _chart_by_setting(
            run_dir / CHARTS["dtype_ratio"],
            "float32 time / float64 time per gradient step (lower: float32 gains more)",
            ratios,
            plots.plot_dtype_ratio,
            styles,
            handles,
        )
        written["dtype_ratio"] = CHARTS["dtype_ratio"]
    return written


def _write_training(
    found: Analysis, costs: pd.DataFrame, run_dir: Path, styles: plots.Styles, impls: list[str]
) -> dict[str, str]:
    """The training runs' times and cost curves, where the run has them."""
    training = found.results[found.results.kind == TRAIN]
    if training.empty:
        return {}
    figure, axes = plt.subplots(1, 2, figsize=(13, 4.6))
    first = training.iloc[0]
    iterations = f"{costs.iteration.max() + 1} iterations of " if not costs.empty else ""
    figure.suptitle(f"Training: train() for {iterations}m = {first.m}, n_x = {first.n_x}", fontsize=13)
    plots.plot_training(training, costs, axes, styles)
    _save(figure, run_dir / CHARTS["training"])
    return {"training": CHARTS["training"]}


def _write_heatmaps(
    found: Analysis, costs: pd.DataFrame, run_dir: Path, styles: plots.Styles, impls: list[str]
) -> dict[str, str]:
    """Per baseline and setting, a map of each of its claims: the verdict per measured cell, the models' edges."""
    step_pairs = found.speedups[(found.speedups.kind == STEP) & (found.speedups.dtype == WIDE)]
    written = {}
    for (baseline, setting), key in HEATMAPS.items():
        pairs = step_pairs[(step_pairs.baseline == baseline) & (step_pairs.setting == setting)]
        claims = [claim for claim in claims_against(baseline) if (pairs.impl == claim.impl).any()]
        if not claims:
            continue
        figure, axes = plt.subplots(
            1, len(claims), figsize=(5.6 * len(claims), 4.4), squeeze=False, layout="constrained"
        )
        for ax, claim in zip(axes[0], claims, strict=True):
            explained = found.explanations.get((baseline, claim.impl, setting)) or found.explanations.get(
                (baseline, claim.impl, ONE_THREAD)  # a single-threaded implementation runs the same with all cores
            )
            model_plots.plot_claim_map(
                pairs[pairs.impl == claim.impl], claim, ax, explained.grid if explained else None
            )
        figure.suptitle(
            f"Where the notes' claims hold: speedup over {baseline_title(baseline)}, {setting_title(setting, pairs)}"
            "\ncell: verdict from its measured 95% interval (~ = extrapolated); lines: the claim's band "
            "according to the cost models",
            fontsize=11,
        )
        figure.legend(handles=model_plots.verdict_legend(), loc="outside right center", fontsize=9, frameon=False)
        figure.savefig(run_dir / CHARTS[key], dpi=110, bbox_inches="tight")
        plt.close(figure)
        written[key] = CHARTS[key]
    return written


def _write_per_element(
    found: Analysis, costs: pd.DataFrame, run_dir: Path, styles: plots.Styles, impls: list[str]
) -> dict[str, str]:
    """Nanoseconds per element of X against its bytes, one panel per setting, the caches marked."""
    measured = found.steps[(found.steps.status == "measured") & (found.steps.dtype == WIDE)]  # the models' dtype
    settings = settings_in(measured)
    if measured.empty or not found.models:
        return {}
    figure, axes = plt.subplots(1, len(settings), figsize=(6.4 * len(settings), 4.8), squeeze=False, sharey=True)
    for ax, setting in zip(axes[0], settings, strict=True):
        rows = measured[measured.setting == setting]
        models = [
            found.setting_models[impl, setting]
            for impl in styles.order(rows)
            if (impl, setting) in found.setting_models
        ]
        model_plots.plot_time_per_element(rows, models, found.caches, ax, styles)
        ax.set_title(setting_title(setting, rows))
    figure.suptitle("Time per element of X: where X outgrows a cache, each element costs more (dots: measured, "
                    "lines: cost models)", fontsize=12)  # fmt: skip
    _save(figure, run_dir / CHARTS["per_element"], styles.handles(styles.order(measured))[:-1])
    return {"per_element": CHARTS["per_element"]}
