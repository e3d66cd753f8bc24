"""Reports and charts are written from synthetic runs, including awkward ones."""

import json

import pytest

from bench import journal
from bench.cli import main
from bench.report import build_report
from tests.synthetic import claim_grid, measured_case, run_of, skipped_case, train_case


def write_run(tmp_path, cases):
    (tmp_path / journal.BENCHMARK_JSON_NAME).write_text(json.dumps(run_of(cases)))
    return tmp_path


FULL = (
    claim_grid(12.0, 280.0, [(100, 10), (1000, 10), (100, 100), (1000, 100)])
    + [
        measured_case("numba_fused", m, n_x, 1e-9 * m * n_x, read_s=0.8e-9 * m * n_x)
        for m, n_x in [(100, 10), (1000, 10), (100, 100), (1000, 100)]
    ]
    + [
        skipped_case("double_loop", 10_000, 100, predicted_s=0.1),
        measured_case("fully_vectorized", 10_000, 100, 3e-4, spread=0.0),
        train_case("double_loop", 0.5, [0.69, 0.6, 0.5]),
        train_case("fully_vectorized", 0.001, [0.69, 0.6, 0.5]),
    ]
)


@pytest.mark.parametrize(
    "cases",
    [
        FULL,
        claim_grid(12.0, 280.0, [(100, 10)]),  # a single size
        [measured_case("fully_vectorized", 100, 10, 1e-4), skipped_case("double_loop", 100, 10, predicted_s=1.0)],
        [measured_case("numba_fused", 100, 10, 1e-4)],  # no baseline at all
    ],
    ids=["full", "single_size", "baseline_extrapolated", "no_baseline"],
)
def test_report_is_written(tmp_path, cases) -> None:
    report = build_report(write_run(tmp_path, cases))
    text = report.read_text()
    assert "## Do the notes' claims hold here?" in text
    assert "one loop removed (features vectorized) is ~10x faster" in text
    assert (tmp_path / "results.csv").exists()
    for chart in ("time_vs_m.png",):
        assert (tmp_path / chart).stat().st_size > 10_000


def test_full_report_has_every_chart_verdict_and_skip(tmp_path) -> None:
    text = build_report(write_run(tmp_path, FULL)).read_text()
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["bandwidth.png", "speedup_heatmap.png", "speedup_vs_m.png", "time_vs_m.png", "training.png"]
    for png in pngs:
        assert f"]({png})" in text
    assert "**holds everywhere measured**" in text
    assert "| extrapolated |" in text and "extrapolated for the test" in text
    # The largest X (m=10000, n_x=100) has one measured step, timed at twice its read.
    assert "**fully vectorized**, takes 0.3 ms at best (median 0.3 ms): **2.00x** the time of reading X once" in text
    assert "OPENBLAS_CORETYPE=Haswell" in text
    assert "~" in text  # extrapolated speedups are marked


def test_report_command_rebuilds_and_reports_missing_runs(tmp_path, capsys) -> None:
    assert main(["report", str(write_run(tmp_path, FULL))]) == 0
    assert (tmp_path / "report.md").exists()
    assert main(["report", str(tmp_path / "missing")]) == 2
