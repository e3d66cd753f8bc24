"""A run's report: results.csv, speedups.csv, PNG charts and report.md, all rebuilt from its JSON.

The analysis is computed once (`analyse_run`) and handed down: tables render
its frames, plot functions draw them, nothing here measures.
"""

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display needed, none assumed

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm

from bench import analysis, plots, results
from bench.analysis import ALL_CORES, BASELINE, NARROW, SETTING_TITLES, SETTINGS, WIDE, Analysis

REPORT_NAME = "report.md"
SPEEDUPS_CSV_NAME = "speedups.csv"
SPEEDUPS_CSV_COLUMNS = [
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
    "extrapolated",
    "verdict",
]
CHARTS = {
    "time": "time_vs_m.png",
    "speedup": "speedup_vs_m.png",
    "heatmap_1_thread": "speedup_heatmap_1_thread.png",
    "heatmap": "speedup_heatmap.png",  # as installed (all cores)
    "bandwidth": "bandwidth.png",
    "dtype_ratio": "float32_vs_float64.png",
    "training": "training.png",
}


def analyse_run(run: dict[str, Any]) -> Analysis:
    """The analysis of one loaded run, computed once."""
    return analysis.analyse(results.tidy(run), results.pass_times(run))


def build_report(run_dir: Path) -> Path:
    """Write results.csv, speedups.csv, the charts and report.md into `run_dir`; returns report.md's path."""
    run = results.load_run(run_dir)
    return write_report(run_dir, run, analyse_run(run))


def write_report(run_dir: Path, run: dict[str, Any], found: Analysis) -> Path:
    """Write the report of `run`, whose analysis is `found`, into `run_dir`; returns report.md's path."""
    run_dir = Path(run_dir)
    found.results.to_csv(run_dir / results.CSV_NAME, index=False)
    found.speedups.reindex(columns=SPEEDUPS_CSV_COLUMNS).to_csv(run_dir / SPEEDUPS_CSV_NAME, index=False)
    charts = write_charts(found, results.training_costs(run), run_dir)
    path = run_dir / REPORT_NAME
    path.write_text(render_markdown(run, found, charts), encoding="utf-8")
    return path


# --- charts ---


def _settings_in(frame: pd.DataFrame) -> list[str]:
    return [s for s in SETTINGS if (frame.setting == s).any()]


def _setting_title(setting: str, rows: pd.DataFrame) -> str:
    """E.g. "as installed (all cores: 2 threads)": the thread count read from the rows themselves."""
    most = int(rows.threads.max()) if len(rows) else 1
    if setting == ALL_CORES and most > 1:
        return f"as installed (all cores: {most} threads)"
    return SETTING_TITLES[setting]


def _save(figure: plt.Figure, path: Path, legend: list[Any] | None = None) -> None:
    if legend:
        figure.legend(handles=legend, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9, frameon=False)
    figure.tight_layout()
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)


Draw = Callable[[pd.DataFrame, Sequence[Axes], Sequence[int]], Sequence[Axes]]


def _chart_by_setting(path: Path, title: str, frame: pd.DataFrame, draw: Draw, legend: list[Any]) -> None:
    """One row of panels per setting ("1 thread" on top), one panel per n_x, a shared y axis."""
    settings = _settings_in(frame)
    n_xs = sorted(frame.n_x.unique())
    figure, grid = plt.subplots(
        len(settings), len(n_xs), figsize=(4.6 * len(n_xs) + 1.5, 4.4 * len(settings)), sharey=True, squeeze=False
    )
    figure.suptitle(title, fontsize=13)
    for axes, setting in zip(grid, settings, strict=True):
        rows = frame[frame.setting == setting]
        draw(rows, list(axes), n_xs)
        axes[0].set_ylabel(f"{_setting_title(setting, rows)}\n\n{axes[0].get_ylabel()}")
    _save(figure, path, legend)


def write_charts(found: Analysis, costs: pd.DataFrame, run_dir: Path) -> dict[str, str]:
    """Draw every chart the data allows; returns {chart: file name} of those written."""
    written: dict[str, str] = {}
    timed = found.steps
    if timed.empty:
        return written
    impls = plots.impl_order(timed)

    _chart_by_setting(
        run_dir / CHARTS["time"],
        "Time per gradient step (lower is better)",
        timed,
        plots.plot_time_vs_m,
        plots.legend_handles(timed, impls, analysis.dtypes_in(timed)),
    )
    written["time"] = CHARTS["time"]

    # The notes' claims are about float64 numpy: speedup charts are float64's (report.md has every dtype's verdict).
    step_pairs = found.speedups[(found.speedups.kind == "step") & (found.speedups.dtype == WIDE)]
    pairs = step_pairs[step_pairs.impl != BASELINE]
    if not pairs.empty:
        handles = plots.legend_handles(timed, [i for i in impls if i != BASELINE])
        handles += [plt.Line2D([], [], color=c, linestyle=":", label=t) for c, t in plots.CLAIM_STYLE.values()]
        handles.append(plt.Line2D([], [], color="grey", linewidth=2, alpha=0.6, label="95% interval (paired passes)"))
        _chart_by_setting(
            run_dir / CHARTS["speedup"],
            "Speedup over the Python double loop (higher is better)",
            pairs,
            plots.plot_speedup_vs_m,
            handles,
        )
        written["speedup"] = CHARTS["speedup"]
        written |= _write_heatmaps(step_pairs, run_dir)

    if not found.read_limit.empty:
        handles = plots.legend_handles(timed, impls, analysis.dtypes_in(found.read_limit))
        handles.append(plt.Line2D([], [], color="black", linestyle="--", linewidth=2, label="fastest read of X"))
        _chart_by_setting(
            run_dir / CHARTS["bandwidth"],
            "Achieved bandwidth: GB of X (as stored: float32 is half) per second of gradient step",
            found.read_limit,
            plots.plot_bandwidth,
            handles,
        )
        written["bandwidth"] = CHARTS["bandwidth"]

    ratios = analysis.by_setting(found.dtype_ratios)
    if not ratios.empty:
        handles = plots.legend_handles(ratios, plots.impl_order(ratios), extrapolated=False)
        handles.append(plt.Line2D([], [], color="black", linestyle=":", label="half the time: half the bytes of X"))
        _chart_by_setting(
            run_dir / CHARTS["dtype_ratio"],
            "float32 time / float64 time per gradient step (lower: float32 gains more)",
            ratios,
            plots.plot_dtype_ratio,
            handles,
        )
        written["dtype_ratio"] = CHARTS["dtype_ratio"]

    training = found.results[found.results.kind == "train"]
    if not training.empty:
        figure, axes = plt.subplots(1, 2, figsize=(13, 4.6))
        first = training.iloc[0]
        iterations = f"{costs.iteration.max() + 1} iterations of " if not costs.empty else ""
        figure.suptitle(f"Training: train() for {iterations}m = {first.m}, n_x = {first.n_x}", fontsize=13)
        plots.plot_training(training, costs, axes)
        _save(figure, run_dir / CHARTS["training"])
        written["training"] = CHARTS["training"]
    return written


def _write_heatmaps(step_pairs: pd.DataFrame, run_dir: Path) -> dict[str, str]:
    """One heatmap figure per setting, on one colour scale so that the two can be compared."""
    finite = step_pairs.speedup[np.isfinite(step_pairs.speedup) & (step_pairs.speedup > 0)]
    norm = LogNorm(vmin=min(finite.min(), 1.0), vmax=max(finite.max(), 1000.0))
    written = {}
    for setting in _settings_in(step_pairs):
        pairs = step_pairs[step_pairs.setting == setting]
        shown = [i for i in plots.impl_order(pairs) if i != BASELINE]
        if not shown:
            continue
        key = "heatmap" if setting == ALL_CORES else "heatmap_1_thread"
        _heatmap_figure(pairs, shown, norm, _setting_title(setting, pairs), run_dir / CHARTS[key])
        written[key] = CHARTS[key]
    return {key: written[key] for key in CHARTS if key in written}  # 1 thread first, as everywhere


def _heatmap_figure(pairs: pd.DataFrame, shown: list[str], norm: LogNorm, setting_title: str, path: Path) -> None:
    columns = min(3, len(shown))
    rows = -(-len(shown) // columns)
    figure, axes = plt.subplots(
        rows,
        columns,
        figsize=(5.2 * columns, 3.9 * rows),
        squeeze=False,
        sharex=True,
        sharey=True,
        layout="constrained",
    )
    for ax, impl in zip(axes.flat, shown, strict=False):
        plots.plot_speedup_heatmap(pairs, impl, ax, norm)
    for ax in axes.flat[len(shown) :]:
        ax.set_visible(False)
    contours = " and ".join(f"{factor:g}x" for factor in plots.CLAIM_STYLE)
    figure.suptitle(
        f"Speedup over the double loop, {setting_title} (~ = extrapolated, contours at {contours})", fontsize=12
    )
    figure.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=axes, shrink=0.8, label="speedup (x)")
    for ax in axes[-1]:  # label_outer hides tick labels of panels above an empty slot: restore them
        ax.xaxis.set_tick_params(labelbottom=True)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)


# --- report.md ---


def render_markdown(run: dict[str, Any], found: Analysis, charts: dict[str, str]) -> str:
    """The whole report as markdown."""
    sections = [
        "# Loop vs vectorized logistic regression: benchmark report",
        _summary(run, found.results),
        "## Environment\n\n" + _environment(run.get("machine_info", {})),
        "## Do the notes' claims hold here?\n\n" + _verdict(found.verdict),
        "## Slower with all cores than with one\n\n" + _thread_scaling(found.thread_scaling),
        f"## {NARROW} against {WIDE}\n\n" + _dtype_ratios(found),
        "## JAX against numpy and the fused kernel\n\n" + _relative(found),
        _charts_section(charts),
        "## Speedup over the double loop\n\n" + _speedup_tables(found.speedups),
        "## Against the memory-bandwidth limit\n\n" + _bandwidth(found),
        "## Complexity: time against m * n_x\n\n" + _complexity(found.complexity),
        "## Not measured\n\n" + _not_measured(found.results),
    ]
    return "\n\n".join(sections) + "\n"


def _pass_count(run: dict[str, Any], table: pd.DataFrame) -> int:
    measured = table.passes[table.status == "measured"]
    return int(run.get("run", {}).get("passes") or (measured.max() if len(measured) else 0))


def _how_measured(run: dict[str, Any], table: pd.DataFrame) -> str:
    """The summary's line on how times and intervals were computed, true to the run's format."""
    passes = _pass_count(run, table)
    if results.is_legacy(run):
        return (
            "- how times are computed: this run was written before isolated workers and passes (issue 9): "
            "every implementation ran in one process as installed, each case in a single pass, and its time is "
            "the median of its pytest-benchmark rounds. **With one pass there are no intervals, so every "
            "claim's verdict is undecided**: measure again to decide. "
            "`~` marks a value extrapolated from smaller sizes, never timed."
        )
    text = (
        "- how times are computed: each implementation runs in its own worker process with fixed thread counts "
        "(1 thread; parallel implementations also with all cores), set before its libraries load. "
        f"Each case is measured in R = {passes} interleaved passes; its time is the median over the R passes of "
        "the per-pass medians of pytest-benchmark rounds (garbage collector off, compilation outside the timing). "
        "95% intervals come from the paired passes (pass p of every implementation is measured close in time): "
        "a t-interval on the log ratios of pass medians. `~` marks a value extrapolated from smaller sizes, "
        "never timed."
    )
    if passes < 2:
        text += " **With one pass there are no intervals, so every claim's verdict is undecided.**"
    return text


def _summary(run: dict[str, Any], table: pd.DataFrame) -> str:
    settings = run.get("run", {})
    commit = run.get("commit_info", {})
    dirty = " (with uncommitted changes)" if commit.get("dirty") else ""
    lines = [
        f"- run: {run.get('datetime', 'unknown time')}, profile `{settings.get('profile', '?')}`",
        f"- commit: `{commit.get('id', 'unknown')}`{dirty}",
        f"- regenerate: `python -m bench run --profile {settings.get('profile', 'default')} --output DIR`; "
        "rebuild this report from the JSON: `python -m bench report DIR`",
        _how_measured(run, table),
    ]
    if settings.get("interrupted"):
        lines.append("- **this sweep was interrupted**: the report shows the cases it finished")
    return "\n".join(lines)


def _threads(count: Any) -> str:
    return f"{count} thread{'' if count == 1 else 's'}"


def _pools(pools: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{p.get('internal_api')} {p.get('version') or ''} ({p.get('prefix') or p.get('user_api')}, "
        f"{_threads(p.get('num_threads'))})"
        for p in pools
    )


def _environment(machine: dict[str, Any]) -> str:
    cpu = machine.get("cpu", {})
    packages = machine.get("packages", {})
    env = ", ".join(f"{k}={v}" for k, v in machine.get("environment", {}).items()) or "none set"
    ram = machine.get("ram_bytes")
    rows = [
        (
            "CPU",
            f"{cpu.get('brand_raw', machine.get('machine', '?'))}, {machine.get('logical_cores', '?')} logical cores",
        ),
        ("memory", f"{ram / 2**30:.1f} GiB" if ram else "?"),
        ("Python", machine.get("python_version", "?")),
        ("packages", ", ".join(f"{k} {v}" for k, v in packages.items() if v)),
    ]
    settings = machine.get("thread_settings", {})
    # Since issue 9 each worker reads its pools back (threadpoolctl, numba) per thread setting; the machine's
    # own threadpools and numba_threads are then those of whichever worker reported the machine: not shown.
    for threads, read_back in sorted(settings.items(), key=lambda item: int(item[0])):
        pools = _pools(read_back.get("threadpools", [])) or "none loaded"
        numba = read_back.get("numba_threads", "?")
        xla = f"; XLA (JAX) {_threads(read_back['xla_threads'])}" if "xla_threads" in read_back else ""
        rows.append(
            (f"workers with {_threads(int(threads))}: pools read back", f"{pools}; numba {_threads(numba)}{xla}")
        )
    if settings:
        rows.append(("numba threading layer", str(machine.get("numba_threading_layer", "?"))))
    else:
        rows.append(("BLAS and OpenMP thread pools", _pools(machine.get("threadpools", [])) or "?"))
        rows.append(
            ("numba threads", f"{machine.get('numba_threads', '?')} ({machine.get('numba_threading_layer', '?')})")
        )
    rows.append(("OPENBLAS_*, OMP_*, MKL_*, NUMBA_* environment", env))
    return pd.DataFrame(rows, columns=["what", "value"]).to_markdown(index=False)


def _verdict(verdict: pd.DataFrame) -> str:
    rows = []
    for row in verdict.itertuples():
        spread = (
            "no measured pairs"
            if row.measured_sizes == 0
            else f"{row.speedup_min:.3g}x .. {row.speedup_max:.3g}x (median {row.speedup_median:.3g}x)"
        )
        rows.append(
            {
                "claim": row.claim,
                "setting": SETTING_TITLES[row.setting],
                "dtype": row.dtype,
                "verdict": f"**{row.verdict}**",
                "measured speedup": spread,
                "holds": row.holds_at,
                "exceeded": row.exceeded_at,
                "does not hold": row.does_not_hold_at,
                "undecided": row.undecided_at,
            }
        )
    text = (
        "Per measured size, the claim **holds** where the whole 95% interval of the speedup lies within 2x of "
        "the claimed factor, is **exceeded** where it lies wholly above, **does not hold** where it lies wholly "
        "below, and is **undecided** where the interval straddles an edge of that band. "
        "Vectorization alone (1 thread) compares implementations on one core each; "
        "as installed (all cores) lets parallel implementations use every core, as a user gets them. "
        f"A {NARROW} speedup divides the double loop's time on the {NARROW} problem (Python floats are {WIDE} "
        "whatever it is given) by the step's.\n\n" + pd.DataFrame(rows).to_markdown(index=False)
    )
    extrapolated = "; ".join(
        f"{r.impl} ({r.setting}, {r.dtype}): {r.extrapolated_at}"
        for r in verdict.itertuples()
        if r.extrapolated_at != "nowhere"
    )
    if extrapolated:
        text += f"\n\nNot counted in the verdict (extrapolated): {extrapolated}."
    return text


def _interval(value: float, low: float, high: float, suffix: str = "x") -> str:
    """E.g. '123x [100, 150]'; the bare value where there is no interval."""
    text = f"{value:.3g}{suffix}"
    return text if pd.isna(low) else f"{text} [{low:.3g}, {high:.3g}]"


def _thread_scaling(scaling: pd.DataFrame) -> str:
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
            ratio_text=[_interval(r.ratio, r.ratio_low, r.ratio_high) for r in slower.itertuples()],
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
    cells = scaling[scaling.kind == "step"]
    if not cells.empty:
        cells = cells.assign(
            cell=[
                f"**{_interval(r.ratio, r.ratio_low, r.ratio_high)}**"
                if r.slower_with_all_cores
                else _interval(r.ratio, r.ratio_low, r.ratio_high)
                for r in cells.itertuples()
            ]
        )
        order = plots.impl_order(cells)
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


def _dtype_ratios(found: Analysis) -> str:
    ratios = analysis.by_setting(found.dtype_ratios)
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
    steps = found.results[(found.results.kind == "step") & (found.results.dtype == NARROW)]
    wide_inside = list(dict.fromkeys(steps.impl[steps.result_dtype == WIDE]))
    if wide_inside:
        named = ", ".join(f"`{impl}`" for impl in wide_inside)
        lines.append(f"Given {NARROW}, these returned {WIDE}: they compute in {WIDE} whatever they are given: {named}.")
    for setting in _settings_in(ratios):
        rows = ratios[ratios.setting == setting]
        cells = [_interval(r.ratio, r.ratio_low, r.ratio_high) for r in rows.itertuples()]
        title = _setting_title(setting, rows)
        lines.append(f"### {title[0].upper()}{title[1:]}\n\n" + _by_size(rows.assign(cell=cells)))
    return "\n\n".join(lines)


def _relative(found: Analysis) -> str:
    relative = found.relative
    pairs = " and ".join(f"`{against}`" for _, against in analysis.COMPARISONS)
    if relative.empty:
        return f"This run did not measure `jax_peer` beside {pairs}."
    labels = dict(zip(found.results.impl, found.results.label, strict=False))
    parts = [
        "Time of the peer's step over time of ours, per setting, dtype and range of the size of X (below 1: the "
        "peer is faster): the median over the sizes of the range, and how many sizes are faster or slower beyond "
        "their 95% interval. Per-call costs weigh at small X, memory traffic at large X."
    ]
    summary = analysis.summarize_by_range(relative)
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


def _charts_section(charts: dict[str, str]) -> str:
    captions = {
        "time": "Time per gradient step against m, one panel per n_x; top row one thread, bottom row as installed; "
        f"dash-dot lines: {NARROW}.",
        "speedup": "Speedup over the Python double loop, with the notes' claims marked; one row per setting. "
        "Vertical bars: 95% interval from the paired passes.",
        "heatmap_1_thread": "Speedup over m x n_x for each implementation with one thread (vectorization alone); "
        "contours at the claims show where each holds.",
        "heatmap": "Speedup over m x n_x for each implementation as installed (all cores); "
        "contours at the claims show where each holds.",
        "bandwidth": "GB of X read per second of step (fastest round), one row per setting, "
        f"against the fastest streaming read of the same X in that setting; {NARROW} X holds half the bytes.",
        "dtype_ratio": f"Time in {NARROW} over time in {WIDE} per implementation and size, one row per setting; "
        "at the dotted line, half the bytes of X gave half the time.",
        "training": "train() for a fixed number of iterations: the loop over iterations stays in every version.",
    }
    if not charts:
        return "## Charts\n\nNo measured step: nothing to chart."
    return "## Charts\n\n" + "\n\n".join(f"![{captions[k]}]({name})\n\n{captions[k]}" for k, name in charts.items())


def _speedup_tables(pairs: pd.DataFrame) -> str:
    steps = pairs[(pairs.kind == "step") & (pairs.impl != BASELINE)]
    if steps.empty:
        return f"No size has both `{BASELINE}` and another implementation timed."
    parts = []
    for setting, dtype in itertools.product(_settings_in(steps), analysis.dtypes_in(steps)):
        rows = steps[(steps.setting == setting) & (steps.dtype == dtype)]
        if rows.empty:
            continue
        cells = [
            f"~{r.speedup:.3g}x" if r.extrapolated else _interval(r.speedup, r.speedup_low, r.speedup_high)
            for r in rows.itertuples()
        ]
        title = _setting_title(setting, rows) + ("" if dtype == WIDE else f", {dtype}")
        parts.append(f"### {title[0].upper()}{title[1:]}\n\n" + _by_size(rows.assign(cell=cells)))
    parts.append("### Training\n\n" + _training_table(pairs))
    return "\n\n".join(parts)


def _by_size(cells: pd.DataFrame) -> str:
    """A markdown table of `cells.cell`: a row per (n_x, m), a column per implementation and thread count."""
    cells = cells.assign(
        column=[f"{r.impl} ({r.threads} threads)" if r.threads > 1 else r.impl for r in cells.itertuples()]
    )
    order = list(dict.fromkeys(cells.set_index("impl").loc[plots.impl_order(cells), "column"]))
    pivot = cells.pivot(index=["n_x", "m"], columns="column", values="cell").reindex(columns=order).fillna("n/a")
    return pivot.reset_index().to_markdown(index=False)


def _training_table(pairs: pd.DataFrame) -> str:
    train = pairs[pairs.kind == "train"].drop_duplicates(analysis.CASE)
    if train.empty:
        return f"No training run of `{BASELINE}` and another implementation timed."
    table = pd.DataFrame(
        {
            "implementation": train.label,
            "threads": train.threads,
            "seconds per run": [_interval(r.seconds, r.seconds_low, r.seconds_high, " s") for r in train.itertuples()],
            "speedup": [_interval(r.speedup, r.speedup_low, r.speedup_high) for r in train.itertuples()],
        }
    )
    first = train.iloc[0]
    return f"train() at m = {first.m}, n_x = {first.n_x}:\n\n" + table.to_markdown(index=False)


def _bandwidth(found: Analysis) -> str:
    fastest = found.fastest
    if fastest is None:
        return "No measured step has a streaming-read reference."
    limits = found.read_limit[(found.read_limit.setting == ALL_CORES) & (found.read_limit.dtype == fastest.dtype)]
    largest = limits[(limits.m == fastest.m) & (limits.n_x == fastest.n_x)].sort_values("read_multiple")
    lines = [
        f"At the largest X measured (m = {fastest.m}, n_x = {fastest.n_x}, {fastest.bytes_x / 1e6:.0f} MB), "
        f"as installed: one streaming read of X with {_threads(fastest.threads)} takes {fastest.read_s * 1e3:.3g} ms "
        f"({fastest.read_gbytes_per_s:.3g} GB/s). The fastest step, **{fastest.label}**, takes "
        f"{fastest.min_s * 1e3:.3g} ms at best (median {fastest.seconds * 1e3:.3g} ms): "
        f"**{fastest.read_multiple:.2f}x** the time of reading X once (best round against its worker's best read, "
        "same threads).",
        "",
        largest[["label", "threads", "min_s", "seconds", "best_gbytes_per_s", "read_multiple"]]
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
    ]
    return "\n".join(lines)


def _complexity(fit: pd.DataFrame) -> str:
    if fit.empty:
        return "No measured steps."
    note = (
        "Least squares of log(time) on log(m * n_x) over measured cases, per implementation and thread count: "
        "exponent 1 is linear in the work; below 1, fixed per-call or per-example overheads still matter over "
        "the measured range. ns per element is at the largest measured size."
    )
    return note + "\n\n" + fit.to_markdown(index=False, floatfmt=".3g")


def _not_measured(table: pd.DataFrame) -> str:
    skipped = table[table.status != "measured"]
    if skipped.empty:
        return "Every case was measured."
    return skipped[["kind", "impl", "threads", "dtype", "m", "n_x", "status", "predicted_s", "reason"]].to_markdown(
        index=False, floatfmt=".3g"
    )
