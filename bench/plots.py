"""Charts of a run. Each function draws on axes it is given and returns them; only the report saves.

Measured points are filled markers on solid lines; extrapolated points
(predicted from smaller sizes, never timed) are hollow markers on dashed lines.
"""

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from bench.analysis import BASELINE, read_limit, speedups, steps
from impls import IMPLEMENTATIONS

CLAIM_STYLE = {
    10.0: ("tab:orange", "notes: 10x (one loop removed)"),
    300.0: ("tab:red", "notes: 300x (both loops removed)"),
}
MARKERS = "osD^vP*X"


def impl_styles(impls: Sequence[str]) -> dict[str, tuple[Any, str]]:
    """One stable (color, marker) per implementation: registry order first, then any others."""
    order = list(IMPLEMENTATIONS) + sorted(set(impls) - set(IMPLEMENTATIONS))
    palette = plt.get_cmap("tab10")
    return {name: (palette(i % 10), MARKERS[i % len(MARKERS)]) for i, name in enumerate(order)}


def _labels(results: pd.DataFrame) -> dict[str, str]:
    return dict(zip(results.impl, results.label, strict=False))


def _draw_series(ax: Axes, frame: pd.DataFrame, x: str, y: str, impl: str) -> None:
    """A line through all points, dashed into extrapolated ones; hollow markers where extrapolated."""
    color, marker = impl_styles([impl])[impl]
    label = frame.label.iloc[0]
    frame = frame.sort_values(x)
    extrapolated = frame.status != "measured"
    measured = frame[~extrapolated]
    ax.plot(measured[x], measured[y], color=color, marker=marker, label=label)
    if extrapolated.any():
        # Connect the last measured point to the extrapolated ones with a dashed line.
        tail = pd.concat([measured.tail(1), frame[extrapolated]]).sort_values(x)
        ax.plot(tail[x], tail[y], color=color, linestyle="--", marker=marker, markerfacecolor="white")


def _draw_lines(ax: Axes, panel: pd.DataFrame, impls: list[str], y: str, n_x: int) -> None:
    """One line per implementation of `y` against m on a log-log panel for one n_x."""
    for impl in impls:
        rows = panel[panel.impl == impl]
        if not rows.empty:
            _draw_series(ax, rows, "m", y, impl)
    ax.set(xscale="log", yscale="log", title=f"n_x = {n_x} features", xlabel="m (examples)")
    ax.grid(True, which="major", alpha=0.3)


def _panels(results: pd.DataFrame, axes: Sequence[Axes]) -> list[tuple[Axes, int, pd.DataFrame]]:
    sizes = sorted(results.n_x.unique())
    return [(ax, n_x, results[results.n_x == n_x]) for ax, n_x in zip(axes, sizes, strict=False)]


def legend_handles(results: pd.DataFrame, impls: Sequence[str]) -> list[Line2D]:
    """Legend entries naming implementations as users know them, plus the extrapolated style."""
    styles, labels = impl_styles(impls), _labels(results)
    handles = [Line2D([], [], color=styles[i][0], marker=styles[i][1], label=labels.get(i, i)) for i in impls]
    handles.append(
        Line2D(
            [], [], color="grey", linestyle="--", marker="o", markerfacecolor="white", label="extrapolated (not timed)"
        )
    )
    return handles


def impl_order(results: pd.DataFrame) -> list[str]:
    """Implementations present in `results`: registry order first, then any others."""
    present = list(dict.fromkeys(results.impl))
    return [i for i in IMPLEMENTATIONS if i in present] + [i for i in present if i not in IMPLEMENTATIONS]


def plot_time_vs_m(results: pd.DataFrame, axes: Sequence[Axes]) -> Sequence[Axes]:
    """Seconds per gradient step against m, one panel per n_x, log-log."""
    timed = steps(results)
    for ax, n_x, panel in _panels(timed, axes):
        _draw_lines(ax, panel, impl_order(timed), "seconds", n_x)
    axes[0].set_ylabel("seconds per gradient step")
    return axes


def plot_speedup_vs_m(results: pd.DataFrame, axes: Sequence[Axes]) -> Sequence[Axes]:
    """Speedup over the double loop against m, one panel per n_x, with the notes' 10x and 300x marked."""
    table = speedups(results)
    table = table[table.impl != BASELINE]
    impls = impl_order(table)
    styles = impl_styles(impls)
    for ax, n_x, panel in _panels(table, axes):
        for factor, (color, text) in CLAIM_STYLE.items():
            ax.axhline(factor, color=color, linewidth=1.2, linestyle=":", label=text)
        for impl in impls:
            rows = panel[panel.impl == impl]
            if rows.empty:
                continue
            _draw_series(
                ax, rows.assign(status=np.where(rows.extrapolated, "extrapolated", "measured")), "m", "speedup", impl
            )
            measured = rows[~rows.extrapolated]
            ax.vlines(measured.m, measured.speedup_low, measured.speedup_high, color=styles[impl][0], alpha=0.6)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set(xscale="log", yscale="log", title=f"n_x = {n_x} features", xlabel="m (examples)")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("speedup over the Python double loop (x)")
    return axes


def plot_speedup_heatmap(results: pd.DataFrame, impl: str, ax: Axes, norm: LogNorm) -> Axes:
    """Speedup of `impl` over the double loop on the m x n_x grid, with the 10x and 300x contours."""
    table = speedups(results)
    rows = table[table.impl == impl]
    ms, nxs = sorted(table.m.unique()), sorted(table.n_x.unique())
    grid = rows.pivot_table(index="n_x", columns="m", values="speedup").reindex(index=nxs, columns=ms)
    flags = rows.pivot_table(index="n_x", columns="m", values="extrapolated", aggfunc="any").reindex(
        index=nxs, columns=ms
    )
    values = grid.to_numpy(float)
    ax.imshow(values, origin="lower", aspect="auto", cmap="viridis", norm=norm)
    middle = np.sqrt(float(norm.vmin or 1.0) * float(norm.vmax or 1.0))  # dark colors below, light above
    for (i, j), value in np.ndenumerate(values):
        if np.isnan(value):
            ax.text(j, i, "n/a", ha="center", va="center", color="grey", fontsize=8)
            continue
        text = f"{'~' if flags.iat[i, j] else ''}{value:.3g}x"
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if value < middle else "black")
    if min(values.shape) >= 2 and np.isfinite(values).sum() >= 4:
        contours = ax.contour(
            np.log10(values), levels=[1.0, np.log10(300.0)], colors=["tab:orange", "tab:red"], linewidths=2
        )
        ax.clabel(contours, fmt={1.0: "10x", np.log10(300.0): "300x"}, fontsize=8)
    ax.set_xticks(range(len(ms)), [f"{m:.0e}".replace("e+0", "e") for m in ms])
    ax.set_yticks(range(len(nxs)), [str(n) for n in nxs])
    label = rows.label.iloc[0] if not rows.empty else impl
    ax.set(title=label, xlabel="m (examples)", ylabel="n_x (features)")
    ax.label_outer()
    return ax


def plot_bandwidth(results: pd.DataFrame, axes: Sequence[Axes]) -> Sequence[Axes]:
    """Achieved GB/s of X per step (fastest round) against m, per n_x, under the streaming-read limit."""
    table = read_limit(results)
    for ax, n_x, panel in _panels(table, axes):
        limit = panel.drop_duplicates("m").sort_values("m")
        ax.plot(
            limit.m,
            limit.read_gbytes_per_s,
            color="black",
            linestyle="--",
            linewidth=2,
            label="one streaming read of X (limit)",
        )
        _draw_lines(ax, panel, impl_order(table), "best_gbytes_per_s", n_x)
    axes[0].set_ylabel("GB/s of X per gradient step (fastest round)")
    return axes


def plot_training(results: pd.DataFrame, costs: pd.DataFrame, axes: Sequence[Axes]) -> Sequence[Axes]:
    """Left: seconds per training run per implementation. Right: cost per iteration (curves coincide)."""
    runs = results[results.kind == "train"]
    impls = impl_order(runs)
    styles, labels = impl_styles(impls), _labels(runs)
    colors = {impl: styles[impl][0] for impl in impls}
    time_ax, cost_ax = axes
    ordered = runs.set_index("impl").reindex(impls)
    measured = ordered.status == "measured"
    time_ax.barh(
        [labels[i] for i in impls],
        ordered.seconds,
        color=[colors[i] for i in impls],
        hatch=["" if ok else "//" for ok in measured],
        alpha=1.0,
    )
    for y, (_, row) in enumerate(ordered.iterrows()):
        if pd.notna(row.seconds):
            note = "" if row.status == "measured" else " (extrapolated)"
            time_ax.text(row.seconds, y, f" {row.seconds:.3g} s{note}", va="center", fontsize=8)
    time_ax.set(xscale="log", xlabel="seconds per training run", title="Training time")
    time_ax.invert_yaxis()
    for k, impl in enumerate(impls):
        curve = costs[costs.impl == impl]
        if not curve.empty:
            cost_ax.plot(
                curve.iteration,
                curve.cost,
                color=colors[impl],
                label=labels[impl],
                linestyle=["-", "--", ":", "-."][k % 4],
                linewidth=2,
            )
    cost_ax.set(xlabel="iteration", ylabel="cost J (cross-entropy)", title="Cost per iteration (identical for all)")
    cost_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    cost_ax.legend(fontsize=8)
    return axes
