"""Benchmark inputs, the memory guard, and the crash-safe journal."""

import json

import numpy as np
import pytest

from bench.measure.problems import make_problem, memory_refusal
from bench.records import journal
from bench.records.results import load_run, tidy
from bench.text import human_bytes
from tests.synthetic import measured_case, skipped_case


def test_problems_are_seeded_per_size_and_validated() -> None:
    a, b = make_problem(50, 4), make_problem(50, 4)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.X.shape == (4, 50) and a.Y.shape == (1, 50) and a.w.shape == (4, 1)
    assert a.X.flags.c_contiguous and set(np.unique(a.Y)) <= {0.0, 1.0}
    assert not np.array_equal(make_problem(50, 5).X[:4], a.X)


def test_memory_guard_refuses_before_allocating_and_says_why() -> None:
    message = memory_refusal(10**7, 1000, available=16 * 10**9)
    assert message is not None
    assert "m=10000000 n_x=1000 needs about 161 GB (X is 80 GB)" in message
    assert "only 16 GB of memory is available" in message
    assert memory_refusal(1000, 100, available=16 * 10**9) is None


def test_sizes_read_as_people_write_them() -> None:
    assert [human_bytes(n) for n in (512, 8e5, 8e8, 161.3e9, 8e12, 8e15)] == [
        "512 B",
        "800 kB",
        "800 MB",
        "161 GB",
        "8 TB",
        "8,000 TB",
    ]


def test_journal_survives_a_torn_last_line_and_keeps_the_latest_record_per_pass(tmp_path) -> None:
    first = measured_case("double_loop", 100, 10, 1.0)
    again = measured_case("double_loop", 100, 10, 2.0)
    journal.append(tmp_path, {"kind": "case", "pass": 1, "benchmark": first})
    journal.append(tmp_path, {"kind": "case", "pass": 1, "benchmark": again})  # a resumed pass replaces it
    with open(tmp_path / journal.JOURNAL_NAME, "a") as torn:
        torn.write('{"kind": "case", "bench')  # the crash came mid-write
    records = journal.read(tmp_path)
    assert len(records) == 2
    (by_pass,) = journal.pass_records(records).values()
    assert by_pass[1]["stats"]["median"] == again["stats"]["median"]


def test_passes_merge_into_one_record_with_stats_over_all_rounds() -> None:
    passes = {p: measured_case("numba_fused", 100, 10, 0.001 * p, spread=0.0, rounds=4, passes=1) for p in (1, 2, 3)}
    merged = journal.merge_passes(passes)
    assert merged["stats"]["rounds"] == 12 and merged["stats"]["median"] == 0.002
    assert merged["stats"]["data"] == [0.001] * 4 + [0.002] * 4 + [0.003] * 4
    assert [(p["pass"], p["median"], p["rounds"]) for p in merged["extra_info"]["passes"]] == [
        (1, 0.001, 4),
        (2, 0.002, 4),
        (3, 0.003, 4),
    ]
    assert merged["extra_info"]["failed_passes"] == []
    assert merged["stats"]["iterations"] == 1  # pytest-benchmark compare needs it


def test_the_merged_read_is_the_best_of_the_passes_reads_as_the_step_min_is() -> None:
    passes = {
        p: measured_case("numba_fused", 100, 10, 0.001, read_s=r, passes=1)
        for p, r in ((1, 3e-4), (2, 1e-4), (3, 2e-4))
    }
    merged = journal.merge_passes(passes)
    assert [p["read_s"] for p in merged["extra_info"]["passes"]] == [3e-4, 1e-4, 2e-4]
    assert merged["extra_info"]["read_s"] == 1e-4


def test_a_case_pass_one_did_not_measure_stays_unmeasured_and_a_failed_later_pass_is_named() -> None:
    skipped = skipped_case("double_loop", 10**6, 100)
    assert journal.merge_passes({1: skipped}) is skipped
    measured = measured_case("double_loop", 100, 10, 0.01, passes=1)
    merged = journal.merge_passes({1: measured, 2: skipped_case("double_loop", 100, 10, status="failed")})
    assert merged["stats"]["rounds"] == measured["stats"]["rounds"]
    assert merged["extra_info"]["failed_passes"] == [{"pass": 2, "status": "failed", "reason": "failed for the test"}]


def test_an_interrupted_run_is_read_from_its_journal(tmp_path) -> None:
    journal.append(tmp_path, {"kind": "case", "benchmark": measured_case("double_loop", 100, 10, 1.0)})
    run = load_run(tmp_path)
    assert run["run"] == {"interrupted": True}
    assert tidy(run).status.tolist() == ["measured"]


def test_benchmark_json_is_rebuilt_from_the_journal(tmp_path) -> None:
    journal.append(tmp_path, {"kind": "case", "pass": 1, "benchmark": measured_case("double_loop", 100, 10, 1.0)})
    journal.append(tmp_path, {"kind": "worker", "impl": "double_loop", "threads": 1, "readback": {"numba_threads": 1}})
    path = journal.write_benchmark_json(tmp_path, {"cpu": {}}, {"id": "x"}, {"profile": "p"}, "5.3.1")
    output = json.loads(path.read_text())
    assert set(output) >= {"machine_info", "commit_info", "benchmarks", "datetime", "version", "skipped", "run"}
    assert len(output["benchmarks"]) == 1
    assert output["machine_info"]["thread_settings"] == {"1": {"numba_threads": 1}}


def test_streaming_read_reads_the_whole_array() -> None:
    from bench.measure.bandwidth import _parallel_sum, streaming_read

    for n in (1, 5, 4 * 7 + 3, 1000):
        x = np.arange(n, dtype=np.float64)
        assert _parallel_sum(x, 2) == x.sum()  # every element once, remainder included
    reading = streaming_read(np.ones((3, 5)), repeats=2)
    assert reading.nbytes == 120
    assert reading.gbytes_per_s > 0  # a finite, positive time was taken


@pytest.mark.parametrize(("budget_s", "reads"), [(0.0, 3), (60.0, 7)])
def test_streaming_read_stops_after_its_time_budget(
    monkeypatch: pytest.MonkeyPatch, budget_s: float, reads: int
) -> None:
    from bench.measure import bandwidth

    sizes: list[int] = []
    real_sum = bandwidth._parallel_sum
    monkeypatch.setattr(
        bandwidth, "_parallel_sum", lambda flat, threads: sizes.append(flat.size) or real_sum(flat, threads)
    )
    monkeypatch.setattr(bandwidth, "READ_BUDGET_S", budget_s)
    bandwidth.streaming_read(np.ones((10, 100)), repeats=7)
    assert sizes.count(1000) == reads  # whole reads: the minimum once over budget, all repeats within it
