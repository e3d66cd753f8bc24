"""Charts that explain the speedups with the cost models (bench/analysis/model.py, bench/analysis/explain.py).

`plot_claim_map`: where a claim holds - each measured cell coloured by its
verdict, the models' boundaries drawn smooth over them. `plot_time_per_element`:
nanoseconds per element of X against X's size, with the cache sizes marked, so
that the steps where X outgrows a cache show. Like bench/reporting/plots.py, these only
draw what they are handed.
"""

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bench.analysis.claims import DOES_NOT_HOLD, EXCEEDED, EXTRAPOLATED, HOLDS, UNDECIDED, Claim
from bench.analysis.explain import ModelSpeedup
from bench.analysis.model import Caches, CostModel
from bench.reporting.plots import Styles
from bench.text import human_bytes

# One colour per verdict, told apart without reading the numbers; extrapolated cells are white and hatched.
VERDICT_COLORS = {
    HOLDS: "#4daf4a",
    EXCEEDED: "#377eb8",
    DOES_NOT_HOLD: "#e41a1c",
    UNDECIDED: "#d9d9d9",
    EXTRAPOLATED: "#ffffff",
}
VERDICT_ORDER = list(VERDICT_COLORS)
# The lower and upper edges of a claim's band (e.g. 150x and 600x), as the models put them.
EDGE_STYLES: tuple[tuple[Literal["solid", "dashed"], str], ...] = (("solid", "lower edge"), ("dashed", "upper edge"))


def _edges(centres: Sequence[float]) -> np.ndarray:
    """Cell edges in log10 space: halfway between neighbouring sizes, half a step beyond the ends."""
    logs = np.log10(np.asarray(centres, float))
    if len(logs) == 1:
        return np.array([logs[0] - 0.25, logs[0] + 0.25])
    middles = (logs[1:] + logs[:-1]) / 2
    return np.concatenate([[2 * logs[0] - middles[0]], middles, [2 * logs[-1] - middles[-1]]])


def verdict_legend() -> list[Any]:
    """Legend entries for the claim map: the verdicts, then the models' band edges."""
    handles: list[Any] = [
        Patch(facecolor=color, edgecolor="grey", hatch="//" if verdict == EXTRAPOLATED else "", label=verdict)
        for verdict, color in VERDICT_COLORS.items()
    ]
    handles += [
        Line2D([], [], color="black", linestyle=style, label=f"cost models: the claim's {edge}")
        for style, edge in EDGE_STYLES
    ]
    return handles


def plot_claim_map(cells: pd.DataFrame, claim: Claim, ax: Axes, model: ModelSpeedup | None = None) -> Axes:
    """The claim's verdict per measured (m, n_x) cell, its speedup written in it, the models' band edges over it.

    `cells`: one setting's speedup rows (bench.analysis.speedups.speedups) for the
    claim's implementation; `model`: the same claim and setting on a fine grid
    (bench.analysis.explain.explain), or None where the models could not be fitted.
    """
    ms, nxs = sorted(cells.m.unique()), sorted(cells.n_x.unique())
    codes = np.full((len(nxs), len(ms)), np.nan)
    for row in cells.itertuples():
        verdict = EXTRAPOLATED if row.extrapolated else row.verdict
        codes[nxs.index(row.n_x), ms.index(row.m)] = VERDICT_ORDER.index(verdict)
        text = f"{'~' if row.extrapolated else ''}{row.speedup:.3g}x"
        ax.text(np.log10(row.m), np.log10(row.n_x), text, ha="center", va="center", fontsize=7)
    colours = ListedColormap(list(VERDICT_COLORS.values()))
    ax.pcolormesh(_edges(ms), _edges(nxs), codes, cmap=colours, vmin=-0.5, vmax=len(VERDICT_ORDER) - 0.5)
    for i, j in zip(*np.nonzero(codes == VERDICT_ORDER.index(EXTRAPOLATED))):
        x0, x1 = _edges(ms)[j : j + 2]
        y0, y1 = _edges(nxs)[i : i + 2]
        ax.fill([x0, x1, x1, x0], [y0, y0, y1, y1], facecolor="none", edgecolor="grey", hatch="//", linewidth=0)
    if model is not None and min(model.speedup.shape) >= 2:
        levels = np.log10(claim.band)
        edges = ax.contour(
            np.log10(model.m), np.log10(model.n_x), np.log10(model.speedup), levels=levels, colors="black",
            linestyles=[style for style, _ in EDGE_STYLES], linewidths=1.6,
        )  # fmt: skip
        ax.clabel(edges, fmt={level: f"{10**level:g}x" for level in levels}, fontsize=8)
    ax.set_xticks(np.log10(ms), [_power(m) for m in ms], fontsize=8)
    ax.set_yticks(np.log10(nxs), [str(n) for n in nxs], fontsize=8)
    ax.set(xlabel="m (examples)", ylabel="n_x (features)", title=f"{claim.short}: ~{claim.factor:g}x claimed")
    return ax


def _power(value: float) -> str:
    """1000 -> '1e3', 3000 -> '3e3': compact tick labels for half-decade grids."""
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def element_n_x(steps: pd.DataFrame, caches: Caches) -> int:
    """The largest n_x whose smallest measured X fits in L2 (the largest n_x if none does, or if L2 is unknown)."""
    smallest = steps.groupby("n_x").bytes_x.min()
    fits = smallest[smallest <= (caches.l2_bytes or 0)]
    return int(fits.index.max() if len(fits) else smallest.index.max())


def plot_time_per_element(
    steps: pd.DataFrame, models: Sequence[CostModel], caches: Caches, ax: Axes, styles: Styles
) -> Axes:
    """Nanoseconds per element of X against the bytes of X at one n_x, with the cache sizes marked.

    `steps`: one setting's measured steps (bench.analysis `steps` rows);
    `models`: the setting's model per implementation, drawn as lines through
    the same n_x; `styles`: the run's colour, marker and label per implementation. The n_x is
    the largest whose smallest X still fits in L2, so the chart spans every
    level; there the per-element cost dominates, and a step up where X
    outgrows a cache shows the cost of bringing X from further away.
    """
    rows = steps[steps.status == "measured"]
    n_x = element_n_x(rows, caches)
    rows = rows[rows.n_x == n_x]
    for model in models:
        points = rows[rows.impl == model.impl].sort_values("m")
        if points.empty:
            continue
        color, marker, label = styles.colors[model.impl], styles.markers[model.impl], styles.labels[model.impl]
        ax.plot(
            points.bytes_x,
            points.seconds / (points.m * n_x) * 1e9,
            color=color,
            marker=marker,
            linestyle="none",
            label=label,
        )
        m = np.logspace(np.log10(points.m.min()), np.log10(points.m.max()), 200)
        predicted = model.predict(m, n_x)[0]
        ax.plot(m * n_x * model.itemsize, predicted / (m * n_x) * 1e9, color=color, linewidth=1.2)
    for name, size in (("L1d", caches.l1d_bytes), ("L2", caches.l2_bytes), ("L3", caches.l3_bytes)):
        if size:
            ax.axvline(size, color="grey", linestyle=":", linewidth=1)
            ax.annotate(f"{name} {human_bytes(size)}", (size, 1), xycoords=("data", "axes fraction"),
                        rotation=90, va="top", ha="right", fontsize=8, color="grey")  # fmt: skip
    ax.set(xscale="log", yscale="log", xlabel=f"bytes of X (n_x = {n_x}, m varies)", ylabel="ns per element of X")
    ax.grid(True, which="major", alpha=0.3)
    return ax
