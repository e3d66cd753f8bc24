"""Benchmark inputs, the memory guard, and the crash-safe journal."""

import json

import numpy as np

from bench import journal
from bench.problems import make_problem, memory_refusal
from bench.results import load_run, tidy
from tests.synthetic import measured_case


def test_problems_are_seeded_per_size_and_validated() -> None:
    a, b = make_problem(50, 4), make_problem(50, 4)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.X.shape == (4, 50) and a.Y.shape == (1, 50) and a.w.shape == (4, 1)
    assert a.X.flags.c_contiguous and set(np.unique(a.Y)) <= {0.0, 1.0}
    assert not np.array_equal(make_problem(50, 5).X[:4], a.X)


def test_memory_guard_refuses_before_allocating_and_says_why() -> None:
    message = memory_refusal(10**7, 1000, available=16 * 10**9)
    assert message is not None
    assert "m=10000000 n_x=1000 needs about 161.3 GB (X is 80.0 GB)" in message
    assert "only 16.0 GB of memory is available" in message
    assert memory_refusal(1000, 100, available=16 * 10**9) is None


def test_journal_survives_a_torn_last_line_and_keeps_the_latest_case(tmp_path) -> None:
    first = measured_case("double_loop", 100, 10, 1.0)
    again = measured_case("double_loop", 100, 10, 2.0)
    journal.append(tmp_path, {"kind": "case", "benchmark": first})
    journal.append(tmp_path, {"kind": "case", "benchmark": again})
    with open(tmp_path / journal.JOURNAL_NAME, "a") as torn:
        torn.write('{"kind": "case", "bench')  # the crash came mid-write
    records = journal.read(tmp_path)
    assert len(records) == 2
    latest = journal.latest_cases(records)
    assert list(latest.values())[0]["stats"]["median"] == again["stats"]["median"]


def test_an_interrupted_run_is_read_from_its_journal(tmp_path) -> None:
    journal.append(tmp_path, {"kind": "case", "benchmark": measured_case("double_loop", 100, 10, 1.0)})
    run = load_run(tmp_path)
    assert run["run"] == {"interrupted": True}
    assert tidy(run).status.tolist() == ["measured"]


def test_benchmark_json_is_rebuilt_from_the_journal(tmp_path) -> None:
    journal.append(tmp_path, {"kind": "case", "benchmark": measured_case("double_loop", 100, 10, 1.0)})
    journal.append(tmp_path, {"kind": "bandwidth", "reading": {"m": 100, "n_x": 10, "seconds": 1e-6}})
    path = journal.write_benchmark_json(tmp_path, {"cpu": {}}, {"id": "x"}, {"profile": "p"}, "5.3.1")
    output = json.loads(path.read_text())
    assert set(output) >= {"machine_info", "commit_info", "benchmarks", "datetime", "version", "skipped", "bandwidth"}
    assert len(output["benchmarks"]) == 1
    reading = {"m": 100, "n_x": 10, "seconds": 1e-6}
    assert output["bandwidth"] == [reading]


def test_streaming_read_reads_the_whole_array() -> None:
    from bench.bandwidth import _parallel_sum, streaming_read

    for n in (1, 5, 4 * 7 + 3, 1000):
        x = np.arange(n, dtype=np.float64)
        assert _parallel_sum(x, 2) == x.sum()  # every element once, remainder included
    reading = streaming_read(np.ones((3, 5)), repeats=2)
    assert reading.nbytes == 120
    assert reading.gbytes_per_s > 0  # a finite, positive time was taken
