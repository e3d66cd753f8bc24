"""Charts drawn on Axes: styles from the run itself, legends that match lines, verdict colours, cache marks."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

from bench.analysis import model
from bench.analysis.claims import CLAIMS, DOES_NOT_HOLD, HOLDS, UNDECIDED
from bench.analysis.explain import ModelSpeedup
from bench.reporting import model_plots, plots


def rows(impls: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (impl, impl.replace("_", " ") + " label", m, 10, "float64", 1e-6 * m, "measured")
            for impl in impls
            for m in (100, 1000)
        ],
        columns=["impl", "label", "m", "n_x", "dtype", "seconds", "status"],
    )


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_every_implementation_of_a_run_gets_its_own_look_even_if_unregistered() -> None:
    impls = ["double_loop", "retired_kernel", *(f"impl_{i}" for i in range(14))]
    styles = plots.Styles.of(rows(impls))
    looks = {(to_rgba(styles.colors[i]), styles.markers[i]) for i in impls}
    assert len(looks) == len(impls) and len({to_rgba(styles.colors[i]) for i in impls}) == len(impls)
    assert styles.labels["retired_kernel"] == "retired kernel label"  # the run's label, not the registry's
    assert styles.order(rows(["impl_3", "double_loop"])) == ["double_loop", "impl_3"]  # the run's order


def test_a_line_has_the_colour_and_marker_of_its_legend_entry() -> None:
    table = rows(["fully_vectorized", "retired_kernel", "double_loop"])
    styles = plots.Styles.of(table)
    _, axes = plt.subplots(1, 1, squeeze=False)
    plots.plot_time_vs_m(table, list(axes[0]), [10], styles)
    legend = {h.get_label(): h for h in styles.handles(styles.order(table))}
    for line in axes[0][0].get_lines():
        entry = legend[line.get_label()]
        assert to_rgba(line.get_color()) == to_rgba(entry.get_color()) and line.get_marker() == entry.get_marker()
    assert len(axes[0][0].get_lines()) == 3


def test_the_claim_map_colours_each_cell_by_its_verdict_and_draws_the_model_edges() -> None:
    claim = CLAIMS[1]
    cells = pd.DataFrame(
        {"m": [100, 1000, 100, 1000], "n_x": [10, 10, 100, 100], "speedup": [50.0, 200.0, 160.0, 420.0],
         "extrapolated": [False, False, False, True], "verdict": [DOES_NOT_HOLD, HOLDS, UNDECIDED, "extrapolated"]}
    )  # fmt: skip
    m, n_x = np.logspace(2, 3, 11), np.logspace(1, 2, 11)
    speedup = 50 * np.outer(n_x / 10, m / 100) ** 0.6
    grid = ModelSpeedup(claim, "1 thread", m, n_x, speedup, speedup * 0.9, speedup * 1.1)
    _, ax = plt.subplots()
    model_plots.plot_claim_map(cells, claim, ax, grid)
    mesh = ax.collections[0]
    colours = [tuple(c) for c in mesh.to_rgba(np.ravel(mesh.get_array()))]
    expected = [model_plots.VERDICT_COLORS[v] for v in (DOES_NOT_HOLD, HOLDS, UNDECIDED, "extrapolated")]
    assert colours == [to_rgba(c) for c in expected]  # row n_x = 10 first, then n_x = 100
    texts = sorted(t.get_text() for t in ax.texts)
    assert "~420x" in texts and "50x" in texts and "150x" in texts  # the model's lower edge is labelled
    handles = {h.get_label() for h in model_plots.verdict_legend()}
    assert {HOLDS, DOES_NOT_HOLD, UNDECIDED, "extrapolated", "exceeded"} <= handles


def test_time_per_element_marks_the_caches_and_draws_each_model() -> None:
    caches = model.Caches(32 * 1024, 512 * 1024, 32 * 1024**2)
    sizes = [(m, n_x) for m in (100, 1000, 10_000, 100_000) for n_x in (10, 100)]
    table = pd.DataFrame(
        [
            ("fully_vectorized", "numpy", m, n, 8 * m * n, 2e-5 + 1e-9 * m * n, "measured", 1, "float64")
            for m, n in sizes
        ],
        columns=["impl", "label", "m", "n_x", "bytes_x", "seconds", "status", "threads", "dtype"],
    )
    fitted = model.fit_model(table, caches)
    _, ax = plt.subplots()
    model_plots.plot_time_per_element(table, [fitted], caches, ax, plots.Styles.of(table))
    marked = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert marked == [32 * 1024, 512 * 1024, 32 * 1024**2]
    points, curve = (line for line in ax.get_lines() if line.get_linestyle() != ":")
    assert list(points.get_xdata()) == [8 * m * 100 for m in (100, 1000, 10_000, 100_000)]  # n_x = 100: in L2 at m=100
    np.testing.assert_allclose(points.get_ydata()[-1], (2e-5 + 1e-2) / 1e7 * 1e9)
    assert to_rgba(points.get_color()) == to_rgba(curve.get_color())
