"""Reports and charts are written from synthetic runs, including awkward and old-format ones."""

import json

import pandas as pd
import pytest

from bench.commands.main import main
from bench.records import journal
from bench.reporting.build import SPEEDUPS_CSV_COLUMNS, build_report
from tests.synthetic import (
    claim_grid,
    measured_case,
    old_format,
    run_of,
    skipped_case,
    skipped_train_case,
    train_case,
    two_baseline_grid,
)

SIZES = [(100, 10), (1000, 10), (100, 100), (1000, 100)]


def write_run(tmp_path, cases_or_run):
    run = cases_or_run if isinstance(cases_or_run, dict) else run_of(cases_or_run)
    (tmp_path / journal.BENCHMARK_JSON_NAME).write_text(json.dumps(run))
    return tmp_path


FULL = (
    claim_grid(12.0, 280.0, SIZES)
    + [measured_case("fully_vectorized", m, n_x, 1e-7 * m * n_x / 500, spread=0.0, threads=2) for m, n_x in SIZES]
    + [
        measured_case("numba_fused", m, n_x, 1e-9 * m * n_x, read_s=0.8e-9 * m * n_x, threads=threads)
        for m, n_x in SIZES
        for threads in (1, 2)
        if (m, n_x, threads) != (1000, 10, 2)
    ]
    # numba_fused with 2 threads is 3x slower than with 1 at m=1000, n_x=10: oversubscribed.
    + [measured_case("numba_fused", 1000, 10, 3e-5, read_s=8e-6, threads=2, pass_spread=0.02)]
    + [
        skipped_case("double_loop", 10_000, 100, predicted_s=0.1),
        measured_case("fully_vectorized", 10_000, 100, 3e-4, spread=0.0, threads=2),
        train_case("double_loop", 0.5, [0.69, 0.6, 0.5]),
        train_case("fully_vectorized", 0.001, [0.69, 0.6, 0.5]),
        train_case("fully_vectorized", 0.0008, [0.69, 0.6, 0.5], threads=2),
    ]
)


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> tuple:
    """FULL's report, built once for the tests that read it: (run directory, report.md's text)."""
    directory = write_run(tmp_path_factory.mktemp("full"), FULL)
    return directory, build_report(directory).read_text()


@pytest.mark.parametrize(
    ("cases", "verdict"),
    [
        (claim_grid(12.0, 280.0, [(100, 10)]), "**holds everywhere measured**: 280x to 280x"),  # a single size
        (
            [measured_case("fully_vectorized", 100, 10, 1e-4), skipped_case("double_loop", 100, 10, predicted_s=1.0)],
            "**not measured**: no measured pairs",  # the only pair has an extrapolated side
        ),
        ([measured_case("numba_fused", 100, 10, 1e-4)], "**not measured**: no measured pairs"),  # no baseline
        (old_format(run_of(claim_grid(12.0, 280.0, SIZES))), "**undecided everywhere measured**: 280x to 280x"),
    ],
    ids=["single_size", "baseline_extrapolated", "no_baseline", "old_format"],
)
def test_report_is_written(tmp_path, cases, verdict) -> None:
    text = build_report(write_run(tmp_path, cases)).read_text()
    both_loops = [line for line in text.splitlines() if line.startswith("| both loops removed")]
    assert any(verdict in line for line in both_loops)  # a one-pass run has no interval: undecided, not holds
    assert (tmp_path / "results.csv").exists() and (tmp_path / "speedups.csv").exists()
    assert (tmp_path / "time_vs_m.png").stat().st_size > 10_000


def test_full_report_has_every_chart_verdict_and_skip(full) -> None:
    tmp_path, text = full
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == [
        "bandwidth.png",
        "speedup_heatmap.png",
        "speedup_heatmap_1_thread.png",
        "speedup_vs_m.png",
        "speedup_vs_m_compiled_and_peers.png",  # numba_fused: not one of the notes' implementations
        "time_per_element.png",
        "time_vs_m.png",
        "time_vs_m_compiled_and_peers.png",
        "training.png",
    ]
    for png in pngs:
        assert f"]({png})" in text
    assert "| extrapolated |" in text and "extrapolated for the test" in text
    # The largest X (m=10000, n_x=100) has one measured step, timed at twice its read.
    prose = " ".join(text.split())  # report.md wraps its paragraphs
    assert "**fully vectorized**, takes 0.3 ms at best (median 0.3 ms): **2.00x** the time of reading X once" in prose
    assert "OPENBLAS_CORETYPE=Haswell" in text
    workers = [line for line in text.splitlines() if line.startswith("| workers with")]
    assert [line.split("|")[2].strip() for line in workers] == [
        "openblas 0.3 (libopenblas, 1 thread); numba 1 thread",
        "openblas 0.3 (libopenblas, 2 threads); numba 2 threads",
    ]
    assert "~333x" in text  # the double loop at m=10000, n_x=100 is predicted (0.1 s), so its speedup is marked


def test_verdicts_are_given_per_setting(full) -> None:
    _, text = full
    verdicts = [line for line in text.splitlines() if line.startswith("| both loops removed")]
    # 280x with one thread holds; 500x with two threads lies within 2x of 300x as well: both hold, both named.
    assert [line.split(" | ")[1].strip() for line in verdicts] == [
        "vectorization alone (1 thread)",
        "as installed (all cores)",
    ]
    assert all("**holds everywhere measured**" in line for line in verdicts)
    assert "### Vectorization alone (1 thread)" in text and "### As installed (all cores: 2 threads)" in text
    assert "| fully_vectorized (2 threads)" in text and "500x [500, 500]" in text and "280x [280, 280]" in text


def test_report_names_the_case_slower_with_all_cores(full) -> None:
    _, text = full
    section = text.split("## Slower with all cores than with one")[1].split("## float32 against float64")[0]
    named = [line for line in section.splitlines() if line.startswith(("| numba fused", "| fully"))]
    assert len(named) == 1
    assert [cell.strip() for cell in named[0].split("|")[1:6]] == ["numba fused (step)", "float64", "1000", "10", "2"]
    assert "**1** are slower with all cores beyond their interval" in section
    assert "not noise" in section and "8 ms" in section


def test_no_slower_case_means_no_finding(tmp_path) -> None:
    cases = [c for c in FULL if not (c["name"].startswith("test_step[numba_fused-threads=2-m=1000-n_x=10]"))]
    section = build_report(write_run(tmp_path, cases)).read_text().split("## Slower with all cores")[1]
    assert "**0** are slower with all cores beyond their interval" in section
    assert "not noise" not in section.split("## Charts")[0]


def test_csv_files_have_their_columns(full) -> None:
    tmp_path, _ = full
    speedups = pd.read_csv(tmp_path / "speedups.csv", keep_default_na=False)
    assert list(speedups.columns) == SPEEDUPS_CSV_COLUMNS
    features = speedups[(speedups.impl == "features_vectorized") & (speedups.m == 100) & (speedups.n_x == 10)]
    assert sorted(features.setting) == ["1 thread", "all cores"] and set(features.verdict) == {"holds"}
    fully = speedups[
        (speedups.impl == "fully_vectorized") & (speedups.kind == "step") & (speedups.m == 100) & (speedups.n_x == 10)
    ]
    assert dict(zip(fully.setting, fully.threads)) == {"1 thread": 1, "all cores": 2}
    results = pd.read_csv(tmp_path / "results.csv")
    required = [
        "kind",
        "impl",
        "label",
        "m",
        "n_x",
        "threads",
        "dtype",
        "status",
        "seconds",
        "seconds_low",
        "seconds_high",
        "passes",
    ]
    assert set(required) <= set(results.columns)
    assert len(results) == len(FULL) and set(results.passes[results.status == "measured"]) == {3}


def test_an_old_run_renders_and_says_it_cannot_decide(tmp_path) -> None:
    text = build_report(write_run(tmp_path, old_format(run_of(claim_grid(12.0, 280.0, SIZES))))).read_text()
    assert "written before isolated workers and passes" in text
    assert "**undecided everywhere measured**" in text and "**not measured**" in text
    assert "### As installed (all cores: 2 threads)" in text and "### Vectorization alone" not in text
    assert "| BLAS and OpenMP thread pools" in text
    assert not (tmp_path / "speedup_heatmap_1_thread.png").exists() and (tmp_path / "speedup_heatmap.png").exists()


def test_report_command_prints_verdicts_per_setting_and_reports_missing_runs(tmp_path, capsys) -> None:
    assert main(["report", str(write_run(tmp_path, FULL))]) == 0
    assert (tmp_path / "report.md").exists()
    err = capsys.readouterr().err
    claim = "both loops removed (fully vectorized) is ~300x faster"
    assert f"{claim}, vectorization alone (1 thread), against double_loop: holds" in err
    assert f"{claim}, as installed (all cores), against double_loop: holds" in err
    assert f"{claim}, as installed (all cores), against notes_double_loop: not measured" in err
    assert main(["report", str(tmp_path / "missing")]) == 2


# The notes' loop is 4x slower than the careful loop at n_x = 10 and 5x at n_x = 100; the notes' vectorized
# steps are 3.5x and 1250x faster than their own loop, the careful ones 12x and 250x faster than theirs.
TWO_BASELINES = (
    two_baseline_grid(4.0, (12.0, 250.0), (3.5, 1250.0), SIZES[:2])
    + two_baseline_grid(5.0, (12.0, 250.0), (3.5, 1250.0), SIZES[2:])
    + [
        train_case("double_loop", 0.5, [0.69, 0.6, 0.5]),
        skipped_train_case("notes_double_loop", 2.0),  # over budget: predicted, never timed
        train_case("fully_vectorized", 0.001, [0.69, 0.6, 0.5]),
    ]
)


@pytest.fixture(scope="module")
def two_baselines(tmp_path_factory) -> tuple:
    directory = write_run(tmp_path_factory.mktemp("two_baselines"), TWO_BASELINES)
    return directory, build_report(directory).read_text()


def test_the_headline_gives_each_baselines_answer_and_the_loop_form(two_baselines) -> None:
    _, text = two_baselines
    paragraph = next(p for p in text.split("\n\n") if p.startswith("**Two baselines, two answers**"))
    headline = " ".join(paragraph.split())  # its wrapped lines joined
    setting, careful, notes = headline.split(" Against ")
    assert setting == "**Two baselines, two answers**, vectorization alone (1 thread)."
    assert careful.startswith("the careful loop (`double_loop`): ")
    assert "~10x **holds everywhere measured** (12x to 12x, median 12x)" in careful
    assert "~300x **holds everywhere measured** (250x to 250x, median 250x)" in careful
    assert notes.startswith("the notes' loop as written (`notes_double_loop`): ")
    assert "~10x **does not hold anywhere measured** (3.5x to 3.5x, median 3.5x)" in notes
    assert "~300x **holds or is exceeded everywhere measured** (1250x to 1250x, median 1250x)" in notes
    assert "makes the notes' loop **4x to 5x slower** than the careful one (median 4.5x over 4 measured sizes)" in notes


def test_verdicts_stand_side_by_side(two_baselines) -> None:
    _, text = two_baselines
    header = next(line for line in text.splitlines() if line.startswith("| claim "))
    assert [cell.strip() for cell in header.split("|")[3:6]] == [
        "dtype",
        "against the careful loop (`double_loop`)",
        "against the notes' loop as written (`notes_double_loop`)",
    ]
    rows = [line for line in text.splitlines() if line.startswith("| one loop removed")]
    assert len(rows) == 2  # one per setting
    assert all("**holds everywhere measured**" in row and "**does not hold anywhere measured**" in row for row in rows)


def test_the_loop_form_table_has_the_ratio_per_size(two_baselines) -> None:
    _, text = two_baselines
    section = text.split("## The loop's form alone")[1].split("\n## ")[0]
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in section.splitlines() if line.startswith("|")]
    assert rows[0] == ["dtype", "n_x", "m = 1e2", "m = 1e3"]
    assert rows[2:] == [["float64", "10", "4x [4, 4]", "4x [4, 4]"], ["float64", "100", "5x [5, 5]", "5x [5, 5]"]]


def test_each_baseline_has_its_speedup_tables_heatmaps_and_csv_rows(two_baselines) -> None:
    directory, text = two_baselines
    for chart in ("speedup_heatmap_notes_1_thread.png", "speedup_heatmap_notes.png"):
        assert (directory / chart).stat().st_size > 10_000 and f"]({chart})" in text
    notes_section = text.split("## Speedup over the notes' loop as written (`notes_double_loop`)")[1]
    assert "| double_loop" in notes_section.split("### As installed")[0]  # the careful loop, over the notes' loop
    speedups = pd.read_csv(directory / "speedups.csv", keep_default_na=False)
    assert speedups.columns[0] == "baseline" and set(speedups.baseline) == {"double_loop", "notes_double_loop"}
    row = speedups[
        (speedups.baseline == "notes_double_loop")
        & (speedups.impl == "notes_fully_vectorized")
        & (speedups.m == 100)
        & (speedups.n_x == 10)
    ]
    assert list(row.speedup) == pytest.approx([1250.0, 1250.0]) and set(row.verdict) == {"exceeded"}
    careful = speedups[(speedups.baseline == "double_loop") & (speedups.impl == "notes_double_loop")]
    assert sorted(careful.speedup.round(3).unique()) == [0.2, 0.25] and set(careful.verdict) == {""}


def test_training_over_an_extrapolated_loop_is_marked(two_baselines) -> None:
    _, text = two_baselines
    careful, notes = (
        text.split(f"## Speedup over {title}")[1].split("### Training")[1].split("\n## ")[0]
        for title in ("the careful loop", "the notes' loop as written")
    )
    assert "| notes double loop | 1 | ~2 s | ~0.25x |" in " ".join(careful.split())
    assert "| fully vectorized | 1 | 0.001 s [0.001, 0.001] | ~2000x |" in " ".join(notes.split())
    assert "| double loop | 1 | 0.5 s [0.5, 0.5] | ~4x |" in " ".join(notes.split())


KNOWN_SIZES = [(m, n_x) for m in (100, 1_000, 10_000, 100_000) for n_x in (10, 100, 1_000) if m * n_x <= 10**7]


def test_the_why_section_says_where_the_models_put_a_known_boundary(tmp_path) -> None:
    """Loop: 60 ns per element; vectorized: 20 us per call + 0.2 ns per element. The speedup,
    60 E / (20e3 + 0.2 E) for E = m n_x elements, crosses 150x (the ~300x claim's lower edge) at E = 1e5."""
    cases = [measured_case("double_loop", m, n, 60e-9 * m * n, spread=0.0) for m, n in KNOWN_SIZES]
    cases += [measured_case("fully_vectorized", m, n, 20e-6 + 0.2e-9 * m * n, spread=0.0) for m, n in KNOWN_SIZES]
    text = build_report(write_run(tmp_path, cases)).read_text()
    why = text.split("## Why: a cost model per implementation")[1].split("\n## ")[0]
    rows = {
        line.split("|")[1].strip(): line
        for line in why.splitlines()
        if line.startswith("| double_loop ") or line.startswith("| fully_vectorized ")
    }
    assert "| 60 [60, 60] " in rows["double_loop"] and "| 20 [20, 20] " in rows["fully_vectorized"]
    assert "| 0 [0, 0] " in rows["double_loop"]  # no cost per call, and none per example
    assert "double_loop 60 ns against 0.2 ns (300x)" in why
    # the boundary at m = 1e5 / n_x, between the measured sizes
    assert "n_x = 10: does not hold for m < 1e4 (" in why
    assert "n_x = 100: does not hold for m < 1e3 (" in why and "holds for m >= 1.1e3 (" in why
    assert "within 1.5x" in why and "| 100% of 11 " in rows["fully_vectorized"]


def dtypes_and_jax() -> list:
    """The notes' three and JAX at two sizes, in float64 and float32; float32 numpy at half the time at m = 1e6."""
    cases = claim_grid(12.0, 280.0, [(100, 10), (1_000_000, 100)])
    for m, n_x in [(100, 10), (1_000_000, 100)]:
        base = 1e-7 * m * n_x
        loop = measured_case("double_loop", m, n_x, base, spread=0.0, dtype="float32")
        loop["extra_info"]["result_dtype"] = "float64"  # Python floats
        cases += [
            loop,
            measured_case("features_vectorized", m, n_x, base / 12.0, spread=0.0, dtype="float32"),
            measured_case(
                "fully_vectorized", m, n_x, base / (280.0 * (2 if m > 100 else 1)), spread=0.0, dtype="float32"
            ),
        ]
        cases += [
            measured_case("jax_peer", m, n_x, base / 280.0 * (3 if m == 100 else 0.8), spread=0.0, dtype=d)
            for d in ("float64", "float32")
        ]
    return cases


@pytest.fixture(scope="module")
def with_dtypes(tmp_path_factory) -> tuple:
    directory = write_run(tmp_path_factory.mktemp("dtypes"), dtypes_and_jax())
    return directory, build_report(directory).read_text()


def test_the_dtype_is_a_column_of_both_csv_files(with_dtypes) -> None:
    directory, _ = with_dtypes
    results = pd.read_csv(directory / "results.csv")
    float32 = results[(results.dtype == "float32") & (results.impl == "fully_vectorized") & (results.m == 1_000_000)]
    assert float32.bytes_x.tolist() == [4 * 1_000_000 * 100]
    assert set(results.result_dtype[(results.dtype == "float32") & (results.impl == "double_loop")]) == {"float64"}
    speedups = pd.read_csv(directory / "speedups.csv")
    fully = speedups[
        (speedups.impl == "fully_vectorized") & (speedups.m == 1_000_000) & (speedups.setting == "1 thread")
    ]
    assert dict(zip(fully.dtype, fully.speedup.round(6))) == {"float64": 280.0, "float32": 560.0}


def test_the_report_has_a_verdict_per_dtype_and_a_float32_section(with_dtypes) -> None:
    directory, text = with_dtypes
    verdicts = [line.split(" | ")[1:3] for line in text.splitlines() if line.startswith("| both loops removed")]
    assert [[cell.strip() for cell in v] for v in verdicts] == [
        ["vectorization alone (1 thread)", "float64"],
        ["vectorization alone (1 thread)", "float32"],
        ["as installed (all cores)", "float64"],
        ["as installed (all cores)", "float32"],
    ]
    section = text.split("## float32 against float64")[1].split("## JAX against")[0]
    assert "these returned float64: they compute in float64 whatever they are given: `double_loop`." in section
    cells = [[cell.strip() for cell in line.split("|")[1:-1]] for line in section.splitlines() if line.startswith("|")]
    large = [row for row in cells if row[:2] == ["100", "1000000"]][0]  # 1 thread, first
    # columns: double_loop, features_vectorized, fully_vectorized, jax_peer (registry order)
    assert large[2:] == ["1x [1, 1]", "1x [1, 1]", "0.5x [0.5, 0.5]", "1x [1, 1]"]
    assert (directory / "float32_vs_float64.png").exists() and "](float32_vs_float64.png)" in text


def test_the_report_says_what_jax_gains_or_loses_per_size_range(with_dtypes) -> None:
    _, text = with_dtypes
    section = text.split("## JAX against numpy and the fused kernel")[1].split("\n## ")[0]
    assert "### `jax_peer` against `fully_vectorized`" in section and "against `numba_fused`" not in section
    assert (
        "As installed (float64), the time of the step of jax peer over that of fully vectorized is 3x with X under "
        "1 MB and 0.8x with X of 100 MB or more (medians)."
    ) in " ".join(section.split())  # its wrapped lines joined
