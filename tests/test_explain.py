"""The models' account of a claim: the limits in numbers and the boundary in words, on a known synthetic case."""

import numpy as np
import pandas as pd
import pytest

from bench.analysis import explain, model
from bench.analysis.claims import ALL_CORES, CLAIMS, DOES_NOT_HOLD, HOLDS, ONE_THREAD

CACHES = model.Caches()  # sizes unknown: one cost per element
SIZES = [(m, n_x) for m in (100, 1_000, 10_000, 100_000, 1_000_000) for n_x in (10, 100, 1_000) if m * n_x <= 10**8]
FULLY = CLAIMS[1]  # ~300x: holds from 150x


def fitted(impl: str, seconds, threads: int = 1) -> model.CostModel:
    rows = [(impl, threads, "float64", m, n_x, 8 * m * n_x, seconds(m, n_x)) for m, n_x in SIZES]
    cases = pd.DataFrame(rows, columns=["impl", "threads", "dtype", "m", "n_x", "bytes_x", "seconds"])
    return model.fit_model(cases, CACHES)


def known_models() -> dict:
    """Loop: 60 ns per element. Vectorized: 20 us per call and 0.2 ns per element, so the speedup is
    60 E / (20e3 + 0.2 E) for E = m * n_x elements: 150x (the claim's lower edge) exactly at E = 1e5."""
    models = [
        fitted("double_loop", lambda m, n_x: 60e-9 * m * n_x),
        fitted("fully_vectorized", lambda m, n_x: 20e-6 + 0.2e-9 * m * n_x),
        fitted("fully_vectorized", lambda m, n_x: 40e-6 + 0.1e-9 * m * n_x, threads=2),
    ]
    return {(m.impl, m.threads, m.dtype): m for m in models}


def sizes() -> pd.DataFrame:
    return pd.DataFrame(SIZES, columns=["m", "n_x"])


def test_the_model_boundary_lies_where_the_synthetic_costs_put_it() -> None:
    found = explain.explain(known_models(), "double_loop", sizes(), claims=(FULLY,))[("fully_vectorized", ONE_THREAD)]
    grid = found.grid
    elements = grid.m[None, :] * grid.n_x[:, None]
    np.testing.assert_allclose(grid.speedup, 60 * elements / (20e3 + 0.2 * elements), rtol=1e-6)
    verdict = grid.verdict
    assert (verdict[elements < 0.9e5] == DOES_NOT_HOLD).all()
    assert (verdict[elements > 1.1e5] == HOLDS).all()
    # in words, at each measured n_x: the boundary at m = 1e5 / n_x
    assert found.boundaries[0].startswith("n_x = 10: does not hold for m < 1e4 (")
    assert found.boundaries[1].startswith("n_x = 100: does not hold for m < 1e3 (")
    assert "holds for m >= 1.2e3 (161x to 300x)" in found.boundaries[1]  # 150x at m = 1e3 itself: undecided


def test_the_limits_are_said_in_plain_units() -> None:
    found = explain.explain(known_models(), "double_loop", sizes(), claims=(FULLY,))
    why = found[("fully_vectorized", ONE_THREAD)].why
    assert why[0] == "Per element of X, the limit at large m and n_x: double_loop 60 ns against 0.2 ns (300x)."
    assert "double_loop 0 ns against 0 ns" in why[1]
    assert len(why) == 2  # no per-call sentence: the vectorized model has no per-example cost to compare with


def test_all_cores_is_explained_only_for_a_model_with_more_threads() -> None:
    found = explain.explain(known_models(), "double_loop", sizes())
    assert (FULLY.impl, ALL_CORES) in found
    assert found[(FULLY.impl, ALL_CORES)].why == []  # the limits are said once, for 1 thread
    one_thread_only = {key: m for key, m in known_models().items() if key[1] == 1}
    assert (FULLY.impl, ALL_CORES) not in explain.explain(one_thread_only, "double_loop", sizes())


def test_a_missing_model_leaves_the_claim_unexplained() -> None:
    models = {key: m for key, m in known_models().items() if key[0] != "double_loop"}
    assert explain.explain(models, "double_loop", sizes()) == {}


def test_an_interval_that_straddles_an_edge_is_undecided() -> None:
    claim = FULLY
    grid = explain.ModelSpeedup(
        claim, ONE_THREAD, np.array([1.0, 2.0, 3.0]), np.array([1.0]),
        speedup=np.array([[100.0, 160.0, 700.0]]), low=np.array([[90.0, 140.0, 650.0]]),
        high=np.array([[110.0, 170.0, 750.0]]),
    )  # fmt: skip
    assert grid.verdict.tolist() == [[DOES_NOT_HOLD, "undecided", "exceeded"]]
    assert (
        explain.along_m(grid, 0)
        == "does not hold for m < 2 (100x), undecided for m = 2 (160x), exceeded for m >= 3 (700x)"
    )


@pytest.mark.parametrize("setting", [ONE_THREAD, ALL_CORES])
def test_setting_model_picks_the_threads_a_setting_runs_with(setting: str) -> None:
    chosen = explain.setting_model(known_models(), "fully_vectorized", setting)
    assert chosen is not None and chosen.threads == (1 if setting == ONE_THREAD else 2)
