"""Charts of a run. Each function draws frames it is given on axes it is given and returns them.

Nothing here computes: the report hands down rows of `bench.analysis`
(one setting at a time) and saves the figures. Measured points are filled
markers on solid lines (dash-dot for float32); extrapolated points
(predicted from smaller sizes, never timed) are hollow markers on dashed lines.
"""

import itertools
from collections.abc import Sequence
from typing import Any, Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D
from matplotlib.ticker import FormatStrFormatter, MaxNLocator

from bench.analysis import CLAIMS, NARROW, WIDE, dtypes_in
from impls import IMPLEMENTATIONS

CLAIM_COLORS = ("tab:orange", "tab:red", "tab:purple", "tab:brown")
CLAIM_STYLE = {
    claim.factor: (color, f"notes: {claim.factor:g}x ({claim.short})")
    for claim, color in zip(CLAIMS, CLAIM_COLORS, strict=False)
}
MARKERS = "osD^vP*X"
# Styles of their own, whether or not the library is installed where the report is drawn.
OWN_STYLES = {"jax_peer": ("darkcyan", "h")}
DTYPE_LINES: dict[str, Literal["-", "-."]] = {WIDE: "-", NARROW: "-."}


def impl_styles(impls: Sequence[str]) -> dict[str, tuple[Any, str]]:
    """One stable (color, marker) per implementation: OWN_STYLES, else by registry order, then any others."""
    order = [i for i in list(IMPLEMENTATIONS) + sorted(set(impls) - set(IMPLEMENTATIONS)) if i not in OWN_STYLES]
    palette = plt.get_cmap("tab10")
    styles = {name: (palette(i % 10), MARKERS[i % len(MARKERS)]) for i, name in enumerate(order)}
    return styles | OWN_STYLES


def _labels(rows: pd.DataFrame) -> dict[str, str]:
    return dict(zip(rows.impl, rows.label, strict=False))


def impl_order(rows: pd.DataFrame) -> list[str]:
    """Implementations present in `rows`: registry order first, then any others."""
    present = list(dict.fromkeys(rows.impl))
    return [i for i in IMPLEMENTATIONS if i in present] + [i for i in present if i not in IMPLEMENTATIONS]


def legend_handles(
    rows: pd.DataFrame, impls: Sequence[str], dtypes: Sequence[str] = (WIDE,), extrapolated: bool = True
) -> list[Line2D]:
    """Legend entries naming implementations as users know them, plus the extrapolated and float32 styles."""
    styles, labels = impl_styles(impls), _labels(rows)
    handles = [Line2D([], [], color=styles[i][0], marker=styles[i][1], label=labels.get(i, i)) for i in impls]
    if NARROW in dtypes:
        handles.append(Line2D([], [], color="grey", linestyle=DTYPE_LINES[NARROW], label=f"{NARROW} (X, w, Y)"))
    if extrapolated:
        handles.append(
            Line2D(
                [],
                [],
                color="grey",
                linestyle="--",
                marker="o",
                markerfacecolor="white",
                label="extrapolated (not timed)",
            )
        )
    return handles


def _draw_series(
    ax: Axes, rows: pd.DataFrame, x: str, y: str, impl: str, extrapolated: pd.Series, dtype: str = WIDE
) -> None:
    """A line through all points, dashed into extrapolated ones; hollow markers where extrapolated."""
    color, marker = impl_styles([impl])[impl]
    rows = rows.assign(dashed=extrapolated.to_numpy()).sort_values(x)
    measured = rows[~rows.dashed]
    ax.plot(
        measured[x], measured[y], color=color, marker=marker, linestyle=DTYPE_LINES[dtype], label=rows.label.iloc[0]
    )
    if rows.dashed.any():
        # Connect the last measured point to the extrapolated ones with a dashed line; only those are hollow.
        predicted = rows[rows.dashed]
        tail = pd.concat([measured.tail(1), predicted]).sort_values(x)
        ax.plot(tail[x], tail[y], color=color, linestyle="--")
        ax.plot(predicted[x], predicted[y], color=color, linestyle="none", marker=marker, markerfacecolor="white")


def _panels(rows: pd.DataFrame, axes: Sequence[Axes], n_xs: Sequence[int]) -> list[tuple[Axes, int, pd.DataFrame]]:
    """One panel per n_x, in the order of `n_xs`, so that panels line up across a figure's rows."""
    return [(ax, n_x, rows[rows.n_x == n_x]) for ax, n_x in zip(axes, n_xs, strict=False)]


def _log_panel(ax: Axes, n_x: int) -> None:
    ax.set(xscale="log", yscale="log", title=f"n_x = {n_x} features", xlabel="m (examples)")
    ax.grid(True, which="major", alpha=0.3)


def plot_time_vs_m(steps: pd.DataFrame, axes: Sequence[Axes], n_xs: Sequence[int]) -> Sequence[Axes]:
    """Seconds per gradient step against m, one panel per n_x, log-log. `steps`: one setting's timed steps."""
    for ax, n_x, panel in _panels(steps, axes, n_xs):
        for impl, dtype in itertools.product(impl_order(steps), DTYPE_LINES):
            rows = panel[(panel.impl == impl) & (panel.dtype == dtype)]
            if not rows.empty:
                _draw_series(ax, rows, "m", "seconds", impl, rows.status != "measured", dtype)
        _log_panel(ax, n_x)
    axes[0].set_ylabel("seconds per gradient step")
    return axes


def plot_speedup_vs_m(pairs: pd.DataFrame, axes: Sequence[Axes], n_xs: Sequence[int]) -> Sequence[Axes]:
    """Speedup against m, one panel per n_x, with the notes' claims and 95% interval bars.

    `pairs`: one setting's rows of `bench.analysis.speedups`, baseline left out.
    """
    styles = impl_styles(impl_order(pairs))
    for ax, n_x, panel in _panels(pairs, axes, n_xs):
        for factor, (color, text) in CLAIM_STYLE.items():
            ax.axhline(factor, color=color, linewidth=1.2, linestyle=":", label=text)
        for impl in impl_order(pairs):
            rows = panel[panel.impl == impl]
            if rows.empty:
                continue
            _draw_series(ax, rows, "m", "speedup", impl, rows.extrapolated)
            bars = rows[rows.speedup_low.notna()]
            ax.vlines(bars.m, bars.speedup_low, bars.speedup_high, color=styles[impl][0], alpha=0.6, linewidth=2)
        ax.axhline(1.0, color="black", linewidth=0.8)
        _log_panel(ax, n_x)
    axes[0].set_ylabel("speedup over the Python double loop (x)")
    return axes


def plot_speedup_heatmap(pairs: pd.DataFrame, impl: str, ax: Axes, norm: LogNorm) -> Axes:
    """Speedup of `impl` on the m x n_x grid of `pairs` (one setting's speedups), with the claims' contours."""
    rows = pairs[pairs.impl == impl]
    ms, nxs = sorted(pairs.m.unique()), sorted(pairs.n_x.unique())
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
        factors = sorted(CLAIM_STYLE)
        contours = ax.contour(
            np.log10(values),
            levels=np.log10(factors),
            colors=[CLAIM_STYLE[f][0] for f in factors],
            linewidths=2,
        )
        ax.clabel(contours, fmt={np.log10(f): f"{f:g}x" for f in factors}, fontsize=8)
    ax.set_xticks(range(len(ms)), [f"{m:.0e}".replace("e+0", "e") for m in ms])
    ax.set_yticks(range(len(nxs)), [str(n) for n in nxs])
    label = rows.label.iloc[0] if not rows.empty else impl
    ax.set(title=label, xlabel="m (examples)", ylabel="n_x (features)")
    ax.label_outer()
    return ax


def plot_bandwidth(limits: pd.DataFrame, axes: Sequence[Axes], n_xs: Sequence[int]) -> Sequence[Axes]:
    """Achieved GB/s of X per step (fastest round) against m, per n_x, under the setting's fastest read.

    `limits`: one setting's rows of `bench.analysis.read_limit`.
    """
    for ax, n_x, panel in _panels(limits, axes, n_xs):
        floor = panel.groupby("m").floor_gbytes_per_s.max()  # either dtype's X: bytes per second either way
        ax.plot(floor.index, floor.to_numpy(), color="black", linestyle="--", linewidth=2)
        for impl, dtype in itertools.product(impl_order(limits), DTYPE_LINES):
            rows = panel[(panel.impl == impl) & (panel.dtype == dtype)]
            if not rows.empty:
                _draw_series(ax, rows, "m", "best_gbytes_per_s", impl, rows.status != "measured", dtype)
        _log_panel(ax, n_x)
    axes[0].set_ylabel("GB/s of X per gradient step (fastest round)")
    return axes


def plot_dtype_ratio(ratios: pd.DataFrame, axes: Sequence[Axes], n_xs: Sequence[int]) -> Sequence[Axes]:
    """float32 time / float64 time against m, one panel per n_x, with 95% interval bars and the 0.5 of half the bytes.

    `ratios`: one setting's rows of `bench.analysis.dtype_ratios`.
    """
    styles = impl_styles(impl_order(ratios))
    for ax, n_x, panel in _panels(ratios, axes, n_xs):
        ax.axhline(0.5, color="black", linewidth=1.2, linestyle=":")
        ax.axhline(1.0, color="black", linewidth=0.8)
        for impl in impl_order(ratios):
            rows = panel[panel.impl == impl].sort_values("m")
            if rows.empty:
                continue
            color, marker = styles[impl]
            ax.plot(rows.m, rows.ratio, color=color, marker=marker, label=rows.label.iloc[0])
            bars = rows[rows.ratio_low.notna()]
            ax.vlines(bars.m, bars.ratio_low, bars.ratio_high, color=color, alpha=0.6, linewidth=2)
        _log_panel(ax, n_x)
        # Around the ratios themselves: an interval from two passes can span decades and hide them.
        ax.set_ylim(min(0.4, ratios.ratio.min() / 1.3), max(1.3, ratios.ratio.max() * 1.3))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
    axes[0].set_ylabel("float32 time / float64 time")
    return axes


def _bar_label(row: Any) -> str:
    threads = f", {row.threads} thread{'s' if row.threads > 1 else ''}" if row.parallel else ""
    dtype = "" if row.dtype == WIDE else f", {row.dtype}"
    return f"{row.label}{threads}{dtype}"


def plot_training(runs: pd.DataFrame, costs: pd.DataFrame, axes: Sequence[Axes]) -> Sequence[Axes]:
    """Left: seconds per training run, per implementation and thread count. Right: cost per iteration.

    `runs`: the run's training rows (bench.results.tidy, kind "train").
    """
    impls = impl_order(runs)
    styles, labels = impl_styles(impls), _labels(runs)
    colors = {impl: styles[impl][0] for impl in impls}
    time_ax, cost_ax = axes
    ordered = runs.assign(order=runs.impl.map(impls.index)).sort_values(["order", "threads", "dtype"])
    measured = ordered.status == "measured"
    time_ax.barh(
        [_bar_label(row) for row in ordered.itertuples()],
        ordered.seconds,
        xerr=[(ordered.seconds - ordered.seconds_low).fillna(0), (ordered.seconds_high - ordered.seconds).fillna(0)],
        error_kw={"ecolor": "black", "capsize": 3, "alpha": 0.7},
        color=[colors[i] for i in ordered.impl],
        hatch=["" if ok else "//" for ok in measured],
        alpha=1.0,
    )
    for y, row in enumerate(ordered.itertuples()):
        if pd.notna(row.seconds):
            note = "" if row.status == "measured" else " (extrapolated)"
            time_ax.text(row.seconds, y, f" {row.seconds:.3g} s{note}", va="center", fontsize=8)
    time_ax.set(xscale="log", xlabel="seconds per training run", title="Training time")
    time_ax.invert_yaxis()
    for k, impl in enumerate(impls):
        curve = costs[costs.impl == impl]
        # The same curve at every thread count, and in float32 up to its rounding: one per implementation.
        curve = curve[(curve.threads == curve.threads.min()) & (curve["dtype"] == dtypes_in(curve)[0])]
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
