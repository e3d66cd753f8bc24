"""The cost model: recovering known costs, intervals that follow the noise, predict's CSV and its refusals."""

import io
import json
from contextlib import redirect_stdout

import numpy as np
import pandas as pd
import pytest

from bench.analysis import model
from bench.analysis.analyse import with_model_times
from bench.commands import main as cli
from bench.measure.machine import read_caches
from bench.records.results import tidy
from tests.synthetic import measured_case, run_of, skipped_case

CACHES = model.Caches(l1d_bytes=32 * 1024, l2_bytes=512 * 1024, l3_bytes=32 * 1024**2)
SIZES = [(m, n_x) for m in (100, 300, 1_000, 3_000, 10_000, 30_000, 100_000) for n_x in (1, 10, 100, 1_000)]


def cost(m: float, n_x: float, per_element_by_level: dict[str, float]) -> float:
    """2 us per call, 30 ns per example, and a per-element cost that depends on where X fits (smooth steps)."""
    shares = CACHES.shares(np.array([8 * m * n_x]))[0]
    per_element = sum(share * per_element_by_level[level] for share, level in zip(shares, model.LEVELS))
    return 2e-6 + 30e-9 * m + per_element * m * n_x


def cases_of(per_element: dict[str, float], noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        ("impl", 1, "float64", m, n_x, 8 * m * n_x, cost(m, n_x, per_element) * np.exp(noise * rng.standard_normal()))
        for m, n_x in SIZES
    ]
    return pd.DataFrame(rows, columns=["impl", "threads", "dtype", "m", "n_x", "bytes_x", "seconds"])


STEP = {"L2": 0.2e-9, "L3": 0.4e-9, "memory": 1.0e-9}  # a cache step: X in memory costs 5x X in L2


def test_the_fit_recovers_known_costs_including_a_cache_step() -> None:
    fitted = model.fit_model(cases_of(STEP, noise=0.01), CACHES)
    assert fitted.terms.element_levels == ("L2", "L3", "memory")
    assert fitted.coefficient("call")[0] == pytest.approx(2e-6, rel=0.05)
    assert fitted.coefficient("example")[0] == pytest.approx(30e-9, rel=0.05)
    for level, expected in STEP.items():
        assert fitted.element_cost(level)[0] == pytest.approx(expected, rel=0.05)
    assert fitted.loo_within == 1.0 and fitted.loo_error < 0.05


def test_one_cost_per_element_is_kept_where_the_levels_do_not_differ() -> None:
    flat = {"L2": 0.5e-9, "L3": 0.5e-9, "memory": 0.5e-9}
    fitted = model.fit_model(cases_of(flat, noise=0.01), CACHES)
    assert fitted.terms.element_levels == ()
    assert fitted.element_cost("memory")[0] == pytest.approx(0.5e-9, rel=0.05)


def test_intervals_widen_as_the_measurements_scatter() -> None:
    def width(noise: float) -> float:
        value, low, high = model.fit_model(cases_of(STEP, noise=noise), CACHES).coefficient("example")
        return (high - low) / value

    assert width(0.01) < width(0.05) < width(0.2)
    value, low, high = model.fit_model(cases_of(STEP, noise=0.05), CACHES).coefficient("example")
    assert low <= value <= high


def test_predictions_of_unseen_sizes_carry_an_interval_that_holds_the_truth() -> None:
    fitted = model.fit_model(cases_of(STEP, noise=0.03), CACHES)
    predicted, low, high = fitted.predict([2_000, 50_000], [30, 300])
    truth = [cost(2_000, 30, STEP), cost(50_000, 300, STEP)]
    assert np.all(low <= predicted) and np.all(predicted <= high)
    np.testing.assert_allclose(predicted, truth, rtol=0.1)


def test_a_model_needs_four_sizes_over_two_m_and_two_n_x() -> None:
    cases = cases_of(STEP)
    with pytest.raises(model.TooFewCasesError, match=r"at least 4 measured sizes .* the run has 3"):
        model.fit_model(cases.head(3), CACHES)
    with pytest.raises(model.TooFewCasesError, match=r"2 of n_x; the run has 7 \(7 m, 1 n_x\)"):
        model.fit_model(cases[cases.n_x == 10], CACHES)


def test_a_cache_step_is_smooth_and_charges_every_byte_once() -> None:
    shares = CACHES.shares(np.array([1e3, CACHES.l2_bytes, 4 * CACHES.l2_bytes, CACHES.l3_bytes, 1e12]))
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert shares[0, 0] > 0.99 and shares[-1, 2] > 0.99  # tiny X in L2, huge X in memory
    assert shares[1, 0] == pytest.approx(0.5) and shares[3, 2] == pytest.approx(0.5, abs=0.01)  # half at the edge
    assert shares[2, 1] > 0.99  # 4x L2 but far below L3
    np.testing.assert_allclose(model.Caches().shares(np.array([10.0])), [[0, 0, 1]])  # sizes unknown: memory


def test_caches_are_read_from_sysfs(tmp_path) -> None:
    for index, (level, kind, size) in enumerate(
        [("1", "Data", "32K"), ("1", "Instruction", "32K"), ("2", "Unified", "512K"), ("3", "Unified", "32768K")]
    ):
        folder = tmp_path / f"index{index}"
        folder.mkdir()
        for name, text in (("level", level), ("type", kind), ("size", size)):
            (folder / name).write_text(text + "\n")
    assert read_caches(tmp_path) == {"L1d": 32 * 1024, "L2": 512 * 1024, "L3": 32 * 1024**2}
    assert read_caches(tmp_path / "absent") == {}


def test_an_extrapolated_step_takes_the_time_its_model_predicts() -> None:
    sizes = [size for size in SIZES if size != (100_000, 1_000)]  # every level measured, but not this size
    cases = [measured_case("fully_vectorized", m, n_x, cost(m, n_x, STEP), spread=0.0) for m, n_x in sizes]
    skipped = skipped_case("fully_vectorized", 100_000, 1_000, predicted_s=1.0)  # the sweep's rule of thumb
    results = tidy(run_of([*cases, skipped]))
    fitted, _ = model.fit_models(results, CACHES)
    row = with_model_times(results, fitted).query("m == 100_000 and n_x == 1_000").iloc[0]
    assert row.seconds == pytest.approx(cost(100_000, 1_000, STEP), rel=0.05) and row.predicted_s == 1.0
    assert with_model_times(results, {}).query("m == 100_000 and n_x == 1_000").seconds.iloc[0] == 1.0


def synthetic_run(tmp_path, caches: bool = True):
    cases = [measured_case("fully_vectorized", m, n_x, cost(m, n_x, STEP), spread=0.0) for m, n_x in SIZES]
    cases += [measured_case("double_loop", m, n_x, 1e-6 * m + 150e-9 * m * n_x, spread=0.0) for m, n_x in SIZES[:3]]
    run = run_of(cases)
    if caches:
        run["machine_info"]["caches"] = {"L1d": CACHES.l1d_bytes, "L2": CACHES.l2_bytes, "L3": CACHES.l3_bytes}
    (tmp_path / "benchmark.json").write_text(json.dumps(run))
    return tmp_path


def predict(*argv: str) -> tuple[int, str]:
    output = io.StringIO()
    with redirect_stdout(output):
        code = cli.main(["predict", *argv])
    return code, output.getvalue()


def test_predict_prints_a_csv_for_any_size(tmp_path) -> None:
    code, text = predict(str(synthetic_run(tmp_path)), "--m", "2000,1e9", "--n-x", "30", "--impl", "fully_vectorized")
    assert code == 0
    table = pd.read_csv(io.StringIO(text))
    assert list(table.columns) == [*model.PREDICTION_COLUMNS, "beyond_measured"]
    assert table.m.tolist() == [2_000, 10**9] and set(table.impl) == {"fully_vectorized"}
    assert table.predicted_s[0] == pytest.approx(cost(2_000, 30, STEP), rel=0.05)
    assert table.beyond_measured.tolist() == [False, True]
    assert (table.predicted_low <= table.predicted_s).all() and (table.predicted_s <= table.predicted_high).all()


def test_predict_names_what_it_cannot_do(tmp_path, capsys) -> None:
    run_dir = str(synthetic_run(tmp_path))
    assert predict(run_dir, "--m", "100", "--n-x", "10", "--impl", "sklearn_peer")[0] == 2
    assert "'sklearn_peer' is not in this run; it has: double_loop, fully_vectorized" in capsys.readouterr().err
    assert predict(run_dir, "--m", "100", "--n-x", "10", "--impl", "double_loop")[0] == 2
    assert "double_loop (1 thread(s), float64): a cost model needs at least 4" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        predict(run_dir, "--m", "0", "--n-x", "10")
    assert "sizes must be at least 1" in capsys.readouterr().err


def test_predict_on_a_run_without_cache_sizes_fits_one_cost_per_element(tmp_path, capsys) -> None:
    code, text = predict(str(synthetic_run(tmp_path, caches=False)), "--m", "1000", "--n-x", "10")
    assert code == 0 and len(pd.read_csv(io.StringIO(text))) == 1
    err = capsys.readouterr().err
    assert "records no cache sizes" in err and "not predicted: double_loop" in err
