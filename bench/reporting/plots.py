"""Charts of a run. Each function draws frames it is given on axes it is given and returns them.

Nothing here computes: the report hands down rows of `bench.analysis`
(one setting at a time) and saves the figures. Measured points are filled
markers on solid lines (dash-dot for float32); extrapolated points
(predicted from smaller sizes, never timed) are hollow markers on dashed lines.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FormatStrFormatter, MaxNLocator

from bench.analysis.claims import CLAIMS
from bench.analysis.ratios import fastest_by_shape
from bench.records.schema import NARROW, WIDE, dtypes_in

CLAIM_COLORS = ("tab:orange", "tab:red", "tab:purple", "tab:brown")
CLAIM_STYLE = {
    claim.factor: (color, f"notes: {claim.factor:g}x ({claim.short})")
    for claim, color in zip(CLAIMS, CLAIM_COLORS, strict=False)
}
MARKERS = "osD^vP*X"
DTYPE_LINES: dict[str, Literal["-", "-."]] = {WIDE: "-", NARROW: "-."}


# 18 distinct colours: tab10, then Dark2; with 8 markers, no two implementations of a run look alike.
PALETTE = [*plt.get_cmap("tab10")(range(10)), *plt.get_cmap("Dark2")(range(8))]


@dataclass(frozen=True)
class Styles:
    """Colour, marker and label per implementation, from a run's own rows, in the run's order.

    Built once per report (`Styles.of(results)`) and handed to every chart, so
    an implementation looks the same everywhere, whether or not this version
    of the suite still registers it.
    """

    colors: dict[str, Any]
    markers: dict[str, str]
    labels: dict[str, str]

    @classmethod
    def of(cls, rows: pd.DataFrame) -> "Styles":
        order = list(dict.fromkeys(rows.impl))
        labels = dict(zip(rows.impl, rows.label, strict=True))
        return cls(
            colors={impl: PALETTE[i % len(PALETTE)] for i, impl in enumerate(order)},
            markers={impl: MARKERS[i % len(MARKERS)] for i, impl in enumerate(order)},
            labels={impl: labels[impl] for impl in order},
        )

    def order(self, rows: pd.DataFrame) -> list[str]:
        """The implementations present in `rows`, in the run's order."""
        present = set(rows.impl)
        return [impl for impl in self.labels if impl in present]

    def handles(self, impls: Sequence[str], dtypes: Sequence[str] = (WIDE,), extrapolated: bool = True) -> list[Line2D]:
        """Legend entries naming implementations as users know them, plus the float32 and extrapolated styles."""
        handles = [Line2D([], [], color=self.colors[i], marker=self.markers[i], label=self.labels[i]) for i in impls]
        if NARROW in dtypes:
            handles.append(Line2D([], [], color="grey", linestyle=DTYPE_LINES[NARROW], label=f"{NARROW} (X, w, Y)"))
        if extrapolated:
            label = "extrapolated (not timed)"
            handles.append(
                Line2D([], [], color="grey", linestyle="--", marker="o", markerfacecolor="white", label=label)
            )
        return handles


def _draw_series(
    ax: Axes, rows: pd.DataFrame, x: str, y: str, styles: Styles, extrapolated: pd.Series, dtype: str = WIDE
) -> None:
    """A line through all points, dashed into extrapolated ones; hollow markers where extrapolated."""
    impl = rows.impl.iloc[0]
    color, marker = styles.colors[impl], styles.markers[impl]
    rows = rows.assign(dashed=extrapolated.to_numpy()).sort_values(x)
    measured = rows[~rows.dashed]
    ax.plot(
        measured[x], measured[y], color=color, marker=marker, linestyle=DTYPE_LINES[dtype], label=styles.labels[impl]
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


def plot_time_vs_m(steps: pd.DataFrame, axes: Sequence[Axes], n_xs: Sequence[int], styles: Styles) -> Sequence[Axes]:
    """Seconds per gradient step against m, one panel per n_x, log-log. `steps`: one setting's timed steps."""
    for ax, n_x, panel in _panels(steps, axes, n_xs):
        for impl, dtype in itertools.product(styles.order(steps), DTYPE_LINES):
            rows = panel[(panel.impl == impl) & (panel.dtype == dtype)]
            if not rows.empty:
                _draw_series(ax, rows, "m", "seconds", styles, rows.status != "measured", dtype)
        _log_panel(ax, n_x)
    axes[0].set_ylabel("seconds per gradient step")
    return axes


def plot_speedup_vs_m(pairs: pd.DataFrame, axes: Sequence[Axes], n_xs: Sequence[int], styles: Styles) -> Sequence[Axes]:
    """Speedup against m, one panel per n_x, with the notes' claims and 95% interval bars.

    `pairs`: one setting's rows of `bench.analysis.speedups.speedups`, baseline left out.
    """
    for ax, n_x, panel in _panels(pairs, axes, n_xs):
        for factor, (color, text) in CLAIM_STYLE.items():
            ax.axhline(factor, color=color, linewidth=1.2, linestyle=":", label=text)
        for impl in styles.order(pairs):
            rows = panel[panel.impl == impl]
            if rows.empty:
                continue
            _draw_series(ax, rows, "m", "speedup", styles, rows.extrapolated)
            bars = rows[rows.speedup_low.notna()]
            ax.vlines(bars.m, bars.speedup_low, bars.speedup_high, color=styles.colors[impl], alpha=0.6, linewidth=2)
        ax.axhline(1.0, color="black", linewidth=0.8)
        _log_panel(ax, n_x)
    axes[0].set_ylabel("speedup over the Python double loop (x)")
    return axes


def plot_bandwidth(limits: pd.DataFrame, axes: Sequence[Axes], n_xs: Sequence[int], styles: Styles) -> Sequence[Axes]:
    """Achieved GB/s of X per step (fastest round) against m, per n_x, under the setting's fastest read.

    `limits`: one setting's rows of `bench.analysis.ratios.read_limit`.
    """
    for ax, n_x, panel in _panels(limits, axes, n_xs):
        floor = panel.groupby("m").floor_gbytes_per_s.max()  # either dtype's X: bytes per second either way
        ax.plot(floor.index, floor.to_numpy(), color="black", linestyle="--", linewidth=2)
        for impl, dtype in itertools.product(styles.order(limits), DTYPE_LINES):
            rows = panel[(panel.impl == impl) & (panel.dtype == dtype)]
            if not rows.empty:
                _draw_series(ax, rows, "m", "best_gbytes_per_s", styles, rows.status != "measured", dtype)
        for fastest in fastest_by_shape(panel).itertuples():  # what is left to the read, m by m
            ax.annotate(
                f"{fastest.read_multiple:.2g}x",
                (fastest.m, fastest.best_gbytes_per_s),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=8,
            )
        _log_panel(ax, n_x)
    axes[0].set_ylabel("GB/s of X per gradient step (fastest round)")
    return axes


def plot_dtype_ratio(ratios: pd.DataFrame, axes: Sequence[Axes], n_xs: Sequence[int], styles: Styles) -> Sequence[Axes]:
    """float32 time / float64 time against m, one panel per n_x, with 95% interval bars and the 0.5 of half the bytes.

    `ratios`: one setting's rows of `bench.analysis.ratios.dtype_ratios`.
    """
    for ax, n_x, panel in _panels(ratios, axes, n_xs):
        ax.axhline(0.5, color="black", linewidth=1.2, linestyle=":")
        ax.axhline(1.0, color="black", linewidth=0.8)
        for impl in styles.order(ratios):
            rows = panel[panel.impl == impl].sort_values("m")
            if rows.empty:
                continue
            color, marker = styles.colors[impl], styles.markers[impl]
            ax.plot(rows.m, rows.ratio, color=color, marker=marker, label=styles.labels[impl])
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


def plot_training(runs: pd.DataFrame, costs: pd.DataFrame, axes: Sequence[Axes], styles: Styles) -> Sequence[Axes]:
    """Left: seconds per training run, per implementation and thread count. Right: cost per iteration.

    `runs`: the run's training rows (bench.records.results.tidy, kind "train").
    """
    impls = styles.order(runs)
    colors, labels = styles.colors, styles.labels
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
