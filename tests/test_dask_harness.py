"""The harness around dask_array, without dask: its sizes in the profiles, the memory guard's limit, peak memory,
and its report section on synthetic runs."""

import numpy as np
import pytest

from bench.commands.main import build_parser
from bench.measure import peak_memory
from bench.measure.plan import WorkerKey, worker_cases
from bench.measure.problems import MEMORY_LIMIT_VARIABLE, available_memory, memory_refusal
from bench.measure.profiles import PROFILES, with_overrides
from bench.records import results
from bench.reporting import dask_section
from bench.reporting.build import analyse_run
from bench.reporting.markdown import render_markdown
from tests.synthetic import measured_case, run_of

GIB = 2**30


def step_sizes(impl: str, grid) -> list[tuple[int, int]]:
    return [(case.m, case.n_x) for case in worker_cases(WorkerKey(impl, 1), grid) if case.kind == "step"]


def test_default_measures_dask_at_three_sizes_in_memory_and_full_adds_one_past_it() -> None:
    assert step_sizes("dask_array", PROFILES["quick"]) == [(10_000, 100)]
    assert step_sizes("dask_array", PROFILES["default"]) == [(10_000, 100), (100_000, 100), (1_000_000, 100)]
    assert all(case.kind == "step" for case in worker_cases(WorkerKey("dask_array", 1), PROFILES["default"]))
    full = step_sizes("dask_array", PROFILES["full"])
    assert full[-1] == (40_000_000, 100) and (40_000_000, 100) not in step_sizes("fully_vectorized", PROFILES["full"])
    # X of 32 GB is past a 24 GiB machine for the in-memory implementations, with the sizes in the reason
    reason = memory_refusal(40_000_000, 100, available=24 * GIB)
    assert reason is not None and "(X is 32 GB)" in reason and "only 25.8 GB of memory is available" in reason
    assert list(dict.fromkeys(step_sizes("fully_vectorized", PROFILES["default"]))) == PROFILES["default"].sizes()


def test_explicit_sizes_are_asked_of_every_implementation_dask_included() -> None:
    args = build_parser().parse_args(["run", "--profile", "full", "--m", "4e7", "--n-x", "100"])
    grid = with_overrides(PROFILES[args.profile], args.m, args.n_x)  # as `run` builds its grid (bench.sweep)
    assert step_sizes("dask_array", grid) == step_sizes("fully_vectorized", grid) == [(40_000_000, 100)]
    assert with_overrides(PROFILES[args.profile]).impl_sizes  # the profile's own


def test_the_memory_guard_limit_can_be_lowered(monkeypatch) -> None:
    monkeypatch.delenv(MEMORY_LIMIT_VARIABLE, raising=False)
    assert available_memory() > 10**6
    monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, "1e6")
    assert available_memory() == 10**6
    reason = memory_refusal(1000, 100)
    assert reason is not None and "but only 1 MB of memory is available" in reason


def test_peak_memory_covers_what_was_allocated_since_the_reset() -> None:
    if not peak_memory.reset_peak():
        pytest.skip("this system cannot reset a process's peak resident memory (Linux /proc/self/clear_refs)")
    before = peak_memory.peak_rss()
    assert before is not None
    block = np.ones(64 * 2**20 // 8)  # 64 MiB, touched
    during = peak_memory.peak_rss()
    del block
    assert during is not None and during >= before + 60 * 2**20
    peak_memory.reset_peak()
    after = peak_memory.peak_rss()
    assert after is not None and after < during  # the block is gone and the peak starts again


def dask_case(m: int, n_x: int, seconds: float, threads: int, **info) -> dict:
    case = measured_case("dask_array", m, n_x, seconds, spread=0.0, threads=threads, passes=2)
    case["extra_info"] |= {
        "dask_data": "in memory",
        "dask_chunks": 1,
        "dask_chunk_bytes": 8 * m * n_x,
        "dask_cluster": {"workers": 1, "threads_per_worker": threads, "in_process": True, "scheduler": "inproc://x"},
        "peak_rss_bytes": 400e6,
        **info,
    }
    return case


RUN = run_of(
    [
        measured_case("fully_vectorized", 10_000, 100, 5e-4, spread=0.0, passes=2),
        dask_case(10_000, 100, 0.02, 1, dask_floor_s=0.016),
        dask_case(
            40_000_000,
            100,
            30.0,
            2,
            dask_data="generated",
            dask_chunks=489,
            dask_chunk_bytes=65_536_000,
            dask_floor_s=20.0,
            peak_rss_bytes=1e9,
            worker_peak_rss_bytes={"tcp://a": 2e9, "tcp://b": 3e9},
            dask_cluster={"workers": 2, "threads_per_worker": 4, "in_process": False, "scheduler": "tcp://s:8786"},
        ),
    ]
)


def test_the_dask_table_sets_each_case_beside_its_floor_numpy_and_memory() -> None:
    table = dask_section.dask_cases(RUN, results.tidy(RUN))
    assert list(table.m) == [10_000, 40_000_000]
    small, large = table.iloc[0], table.iloc[1]
    assert small.numpy_s == pytest.approx(5e-4) and small.floor_s == 0.016 and np.isnan(large.numpy_s)
    assert large.worker_peak_rss_bytes == 5e9 and large.cluster == "2 workers x 4 threads, tcp://s:8786"
    text = dask_section.section(table)
    assert "| generated | 489 x 65.5 MB |" in text
    assert "| 1.25x " in text  # 20 ms best step over a 16 ms floor
    assert "| 40.00x " in text  # 20 ms against numpy's 0.5 ms
    assert "1 GB + workers 5 GB (0.19x X)" in text  # 6 GB for X of 32 GB
    assert "At the smallest size in memory (m = 10000, n_x = 100, threads = 1) the floor takes 16 ms" in text


def test_the_report_has_a_dask_section_only_when_the_run_has_dask_cases() -> None:
    with_dask = render_markdown(RUN, analyse_run(RUN), {})
    assert "## dask_array: its floor, numpy's step and its memory" in with_dask
    assert with_dask.index("## dask_array") < with_dask.index("## Not measured")
    without = run_of([measured_case("fully_vectorized", 100, 10, 1e-4)])
    assert "## dask_array" not in render_markdown(without, analyse_run(without), {})
