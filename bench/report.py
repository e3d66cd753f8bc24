"""A run's report: results.csv, PNG charts and report.md, all rebuilt from its JSON."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display needed, none assumed

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm

from bench import analysis, plots, results
from bench.analysis import BASELINE

REPORT_NAME = "report.md"
CHARTS = {
    "time": "time_vs_m.png",
    "speedup": "speedup_vs_m.png",
    "heatmap": "speedup_heatmap.png",
    "bandwidth": "bandwidth.png",
    "training": "training.png",
}


def build_report(run_dir: Path) -> Path:
    """Write results.csv, the charts and report.md into `run_dir`; returns report.md's path."""
    run_dir = Path(run_dir)
    run = results.load_run(run_dir)
    table = results.tidy(run)
    table.to_csv(run_dir / results.CSV_NAME, index=False)
    charts = write_charts(table, results.training_costs(run), run_dir)
    path = run_dir / REPORT_NAME
    path.write_text(render_markdown(run, table, charts), encoding="utf-8")
    return path


def _panel_figure(n_panels: int, title: str) -> tuple[plt.Figure, list[plt.Axes]]:
    figure, axes = plt.subplots(
        1, max(n_panels, 1), figsize=(4.6 * max(n_panels, 1) + 1.5, 4.6), sharey=True, squeeze=False
    )
    figure.suptitle(title, fontsize=13)
    return figure, list(axes[0])


def _save(figure: plt.Figure, path: Path, legend: list[Any] | None = None) -> None:
    if legend:
        figure.legend(handles=legend, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9, frameon=False)
    figure.tight_layout()
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)


def write_charts(table: pd.DataFrame, costs: pd.DataFrame, run_dir: Path) -> dict[str, str]:
    """Draw every chart the data allows; returns {chart: file name} of those written."""
    written: dict[str, str] = {}
    timed = analysis.steps(table)
    if timed.empty:
        return written
    n_panels = timed.n_x.nunique()
    impls = plots.impl_order(timed)

    figure, axes = _panel_figure(n_panels, "Time per gradient step (lower is better)")
    plots.plot_time_vs_m(table, axes)
    _save(figure, run_dir / CHARTS["time"], plots.legend_handles(timed, impls))
    written["time"] = CHARTS["time"]

    pairs = analysis.speedups(table)
    if not pairs[pairs.impl != BASELINE].empty:
        figure, axes = _panel_figure(n_panels, "Speedup over the Python double loop (higher is better)")
        plots.plot_speedup_vs_m(table, axes)
        handles = plots.legend_handles(timed, [i for i in impls if i != BASELINE])
        handles += [plt.Line2D([], [], color=c, linestyle=":", label=t) for c, t in plots.CLAIM_STYLE.values()]
        _save(figure, run_dir / CHARTS["speedup"], handles)
        written["speedup"] = CHARTS["speedup"]
        written["heatmap"] = _write_heatmaps(table, pairs, impls, run_dir)

    if not analysis.read_limit(table).empty:
        figure, axes = _panel_figure(n_panels, "Achieved bandwidth: GB of X per second of gradient step")
        plots.plot_bandwidth(table, axes)
        handles = plots.legend_handles(timed, impls)
        handles.append(plt.Line2D([], [], color="black", linestyle="--", linewidth=2, label="one streaming read of X"))
        _save(figure, run_dir / CHARTS["bandwidth"], handles)
        written["bandwidth"] = CHARTS["bandwidth"]

    if (table.kind == "train").any():
        figure, axes = plt.subplots(1, 2, figsize=(13, 4.6))
        train = table[table.kind == "train"].iloc[0]
        iterations = f"{costs.iteration.max() + 1} iterations of " if not costs.empty else ""
        figure.suptitle(f"Training: train() for {iterations}m = {train.m}, n_x = {train.n_x}", fontsize=13)
        plots.plot_training(table, costs, axes)
        _save(figure, run_dir / CHARTS["training"])
        written["training"] = CHARTS["training"]
    return written


def _write_heatmaps(table: pd.DataFrame, pairs: pd.DataFrame, impls: list[str], run_dir: Path) -> str:
    shown = [i for i in impls if i != BASELINE]
    finite = pairs.speedup[np.isfinite(pairs.speedup) & (pairs.speedup > 0)]
    norm = LogNorm(vmin=min(finite.min(), 1.0), vmax=max(finite.max(), 1000.0))
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
        plots.plot_speedup_heatmap(table, impl, ax, norm)
    for ax in axes.flat[len(shown) :]:
        ax.set_visible(False)
    figure.suptitle(
        "Where each claim holds: speedup over the double loop (~ = extrapolated, contours at 10x and 300x)", fontsize=12
    )
    figure.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=axes, shrink=0.8, label="speedup (x)")
    for ax in axes[-1]:  # label_outer hides tick labels of panels above an empty slot: restore them
        ax.xaxis.set_tick_params(labelbottom=True)
    figure.savefig(run_dir / CHARTS["heatmap"], dpi=110, bbox_inches="tight")
    plt.close(figure)
    return CHARTS["heatmap"]


# --- report.md ---


def render_markdown(run: dict[str, Any], table: pd.DataFrame, charts: dict[str, str]) -> str:
    """The whole report as markdown."""
    sections = [
        "# Loop vs vectorized logistic regression: benchmark report",
        _summary(run),
        "## Environment\n\n" + _environment(run.get("machine_info", {})),
        "## Do the notes' claims hold here?\n\n" + _verdict(table),
        _charts_section(charts),
        "## Speedup over the double loop\n\n" + _speedup_table(table),
        "## Against the memory-bandwidth limit\n\n" + _bandwidth(table),
        "## Complexity: time against m * n_x\n\n" + _complexity(table),
        "## Not measured\n\n" + _not_measured(table),
    ]
    return "\n\n".join(sections) + "\n"


def _summary(run: dict[str, Any]) -> str:
    settings = run.get("run", {})
    commit = run.get("commit_info", {})
    dirty = " (with uncommitted changes)" if commit.get("dirty") else ""
    lines = [
        f"- run: {run.get('datetime', 'unknown time')}, profile `{settings.get('profile', '?')}`",
        f"- commit: `{commit.get('id', 'unknown')}`{dirty}",
        f"- regenerate: `python -m bench run --profile {settings.get('profile', 'default')} --output DIR`; "
        "rebuild this report from the JSON: `python -m bench report DIR`",
        "- times are medians of pytest-benchmark rounds (garbage collector off, compilation outside the timing); "
        "intervals pair the quartiles of the rounds; `~` marks a value extrapolated from smaller sizes, never timed.",
    ]
    if settings.get("interrupted"):
        lines.append("- **this sweep was interrupted**: the report shows the cases it finished")
    return "\n".join(lines)


def _environment(machine: dict[str, Any]) -> str:
    cpu = machine.get("cpu", {})
    packages = machine.get("packages", {})
    pools = machine.get("threadpools", [])
    blas = "; ".join(
        f"{p.get('internal_api')} {p.get('version') or ''} ({p.get('prefix') or p.get('user_api')}, "
        f"{p.get('num_threads')} threads)"
        for p in pools
    )
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
        ("BLAS and OpenMP thread pools", blas or "?"),
        ("numba threads", f"{machine.get('numba_threads', '?')} ({machine.get('numba_threading_layer', '?')})"),
        ("OPENBLAS_*, OMP_*, MKL_*, NUMBA_* environment", env),
    ]
    return pd.DataFrame(rows, columns=["what", "value"]).to_markdown(index=False)


def _verdict(table: pd.DataFrame) -> str:
    pairs = analysis.speedups(table)
    verdict = analysis.claims_verdict(pairs)
    rows = []
    for _, row in verdict.iterrows():
        spread = (
            "no measured pairs"
            if row.measured_sizes == 0
            else f"{row.speedup_min:.3g}x .. {row.speedup_max:.3g}x (median {row.speedup_median:.3g}x)"
        )
        rows.append(
            {
                "claim": row.claim,
                "verdict": f"**{row.verdict}**",
                "measured speedup": spread,
                "holds (within 2x)": row.holds_at,
                "exceeded (more than 2x above)": row.exceeded_at,
                "does not hold (more than 2x below)": row.does_not_hold_at,
            }
        )
    text = pd.DataFrame(rows).to_markdown(index=False)
    extrapolated = "; ".join(
        f"{r.impl}: {r.extrapolated_at}" for _, r in verdict.iterrows() if r.extrapolated_at != "nowhere"
    )
    if extrapolated:
        text += f"\n\nNot counted in the verdict (extrapolated): {extrapolated}."
    return text


def _charts_section(charts: dict[str, str]) -> str:
    captions = {
        "time": "Time per gradient step against m, one panel per n_x.",
        "speedup": "Speedup over the Python double loop, with the notes' 10x and 300x marked. "
        "Vertical bars: quartile interval.",
        "heatmap": "Speedup over m x n_x for each implementation; "
        "contours at 10x and 300x show where each claim holds.",
        "bandwidth": "GB of X read per second of step (fastest round), "
        "against one parallel streaming read of the same X (best of 7).",
        "training": "train() for a fixed number of iterations: the loop over iterations stays in every version.",
    }
    if not charts:
        return "## Charts\n\nNo measured step: nothing to chart."
    return "## Charts\n\n" + "\n\n".join(f"![{captions[k]}]({name})\n\n{captions[k]}" for k, name in charts.items())


def _speedup_table(table: pd.DataFrame) -> str:
    pairs = analysis.speedups(table)
    if pairs.empty:
        return f"No size has both `{BASELINE}` and another implementation timed."
    cells = pairs.assign(
        cell=[
            f"{'~' if e else ''}{s:.3g}x" + ("" if e else f" [{lo:.3g}, {hi:.3g}]")
            for s, lo, hi, e in zip(
                pairs.speedup, pairs.speedup_low, pairs.speedup_high, pairs.extrapolated, strict=True
            )
        ]
    )
    order = [i for i in plots.impl_order(pairs) if i != BASELINE]
    pivot = cells.pivot(index=["n_x", "m"], columns="impl", values="cell").reindex(columns=order).fillna("n/a")
    return pivot.reset_index().to_markdown(index=False)


def _bandwidth(table: pd.DataFrame) -> str:
    fastest = analysis.fastest_at_largest(table)
    if fastest is None:
        return "No measured step has a streaming-read reference."
    limits = analysis.read_limit(table)
    largest = limits[(limits.m == fastest.m) & (limits.n_x == fastest.n_x)].sort_values("read_multiple")
    lines = [
        f"At the largest X measured (m = {fastest.m}, n_x = {fastest.n_x}, {fastest.bytes_x / 1e6:.0f} MB), "
        f"one parallel streaming read takes {fastest.read_s * 1e3:.3g} ms ({fastest.read_gbytes_per_s:.3g} GB/s). "
        f"The fastest step, **{fastest.label}**, takes {fastest.min_s * 1e3:.3g} ms at best "
        f"(median {fastest.seconds * 1e3:.3g} ms): **{fastest.read_multiple:.2f}x** the time of reading X once "
        "(best round against best read).",
        "",
        largest[["label", "min_s", "seconds", "best_gbytes_per_s", "read_multiple"]]
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


def _complexity(table: pd.DataFrame) -> str:
    fit = analysis.complexity_fit(table)
    if fit.empty:
        return "No measured steps."
    note = (
        "Least squares of log(time) on log(m * n_x) over measured cases: exponent 1 is linear in the work; "
        "below 1, fixed per-call or per-example overheads still matter over the measured range. "
        "ns per element is at the largest measured size."
    )
    return note + "\n\n" + fit.to_markdown(index=False, floatfmt=".3g")


def _not_measured(table: pd.DataFrame) -> str:
    skipped = table[table.status != "measured"]
    if skipped.empty:
        return "Every case was measured."
    return skipped[["kind", "impl", "m", "n_x", "status", "predicted_s", "reason"]].to_markdown(
        index=False, floatfmt=".3g"
    )
