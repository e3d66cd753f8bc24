"""Thread counts: parsing, the worker's environment, and a real worker reading its pools back."""

import json
import os
import threading

import pytest

from bench.measure.plan import CaseSpec
from bench.measure.process import WORKER_COMMAND, run_worker
from bench.measure.threads import THREAD_VARIABLES, all_cores, cores_for, mismatches, parse_threads, thread_environment
from bench.measure.worker import WorkerSpec
from impls import IMPLEMENTATIONS, UNAVAILABLE


def test_threads_parse_all_and_numbers_sorted_without_repeats() -> None:
    cores = all_cores()
    assert parse_threads("1,all") == tuple(sorted({1, cores}))
    assert parse_threads("all,1,1") == tuple(sorted({1, cores}))
    assert parse_threads(" ALL ") == (cores,)


@pytest.mark.parametrize(
    ("text", "message"), [("0", "at least 1"), ("abc", "positive integers or 'all'"), ("1,", "''")]
)
def test_bad_thread_counts_are_explained(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_threads(text)


def test_more_threads_than_cores_warns_that_it_oversubscribes() -> None:
    with pytest.warns(UserWarning, match="oversubscribes"):
        assert parse_threads(str(all_cores() + 1)) == (all_cores() + 1,)


def test_the_environment_sets_every_pool() -> None:
    environment = thread_environment(3, {"PATH": "/bin", "OMP_NUM_THREADS": "8"})
    assert environment["PATH"] == "/bin"
    assert {environment[name] for name in THREAD_VARIABLES} == {"3"}


def test_mismatches_name_each_pool_that_differs() -> None:
    readback = {
        "threadpools": [
            {"internal_api": "openblas", "prefix": "libopenblas", "num_threads": 2},
            {"internal_api": "openmp", "prefix": "libgomp", "num_threads": 1},
        ],
        "numba_threads": 2,
    }
    assert mismatches(readback, 1) == ["openblas (libopenblas) has 2 threads", "numba has 2 threads"]
    assert mismatches(readback | {"numba_threads": 1}, 1) == ["openblas (libopenblas) has 2 threads"]
    no_blas = {"threadpools": [], "numba_threads": 1}
    assert mismatches(no_blas | {"xla_threads": 2}, 1) == ["XLA (JAX) has 2 threads"]
    assert mismatches(no_blas | {"xla_threads": None}, 1) == []  # JAX not loaded


@pytest.mark.skipif(all_cores() < 2, reason="needs 2 cores to restrict to fewer")
def test_pools_started_with_fewer_threads_than_cores_keep_that_many_cores() -> None:
    cores = os.sched_getaffinity(0)
    started, done = threading.Event(), threading.Event()
    pool = threading.Thread(target=lambda: (started.set(), done.wait()))
    with cores_for(1):
        assert len(os.sched_getaffinity(0)) == 1
        pool.start()  # as XLA starts its pool: it inherits the affinity
        started.wait()
    try:
        assert os.sched_getaffinity(0) == cores  # the main thread has every core back
        assert pool.native_id is not None and len(os.sched_getaffinity(pool.native_id)) == 1
    finally:
        done.set()
        pool.join()
    with cores_for(all_cores()):
        assert os.sched_getaffinity(0) == cores  # all cores: nothing to restrict


@pytest.mark.slow
@pytest.mark.parametrize("threads", sorted({1, all_cores()}))
def test_a_worker_gets_the_threads_it_was_asked_for(tmp_path, threads: int) -> None:
    """A real worker of the parallel peer (numpy's and scipy's OpenBLAS, OpenMP, numba) reads its pools back."""
    case = CaseSpec("step", "sklearn_peer", threads, 20, 3)
    spec = WorkerSpec(("sklearn_peer",), threads, 1, [case], True, 30.0, 10, 2, 0.001, 2, str(tmp_path), [], False)
    events: list[dict] = []
    ended = run_worker(WORKER_COMMAND, spec, thread_environment(threads), 120, events.append)
    assert ended.returncode == 0, ended.stderr
    worker = next(e for e in events if e["event"] == "worker")
    assert worker["mismatches"] == []
    pools = worker["readback"]["threadpools"]
    assert {pool["internal_api"] for pool in pools} >= {"openblas", "openmp"}  # numpy, scipy and sklearn loaded
    assert {pool["num_threads"] for pool in pools} == {threads}
    assert worker["readback"]["numba_threads"] == threads
    record = next(e for e in events if e["event"] == "case")["benchmark"]
    assert record["extra_info"]["threads"] == threads and record["extra_info"]["status"] == "measured"
    assert set(record["extra_info"]["pools"].values()) == {threads}  # recorded with the case
    assert json.dumps(record)  # what the journal stores


@pytest.mark.slow
def test_a_worker_refuses_to_measure_with_the_wrong_threads(tmp_path) -> None:
    if all_cores() < 2:
        pytest.skip("needs 2 cores to ask for a count the environment contradicts")
    spec = WorkerSpec(
        ("fully_vectorized",),
        1,
        1,
        [CaseSpec("step", "fully_vectorized", 1, 20, 3)],
        True,
        30.0,
        10,
        2,
        0.001,
        2,
        str(tmp_path),
        [],
        False,
    )
    events: list[dict] = []
    ended = run_worker(WORKER_COMMAND, spec, thread_environment(2), 120, events.append)  # pools of 2, asked for 1
    assert ended.returncode == 3 and "asked for 1 threads" in ended.stderr
    assert not [e for e in events if e["event"] == "case"]


@pytest.mark.slow
@pytest.mark.skipif("jax_peer" not in IMPLEMENTATIONS, reason=f"JAX not usable here: {UNAVAILABLE.get('jax_peer')}")
@pytest.mark.parametrize("threads", sorted({1, all_cores()}))
def test_a_jax_worker_reads_back_xla_with_the_threads_it_asked_for(tmp_path, threads: int) -> None:
    case = CaseSpec("step", "jax_peer", threads, 20, 3, "float32")
    spec = WorkerSpec(("jax_peer",), threads, 1, [case], True, 30.0, 10, 2, 0.001, 2, str(tmp_path), [], False)
    events: list[dict] = []
    ended = run_worker(WORKER_COMMAND, spec, thread_environment(threads), 120, events.append)
    assert ended.returncode == 0, ended.stderr
    worker = next(e for e in events if e["event"] == "worker")
    assert worker["readback"]["xla_threads"] == threads and worker["mismatches"] == []
    record = next(e for e in events if e["event"] == "case")["benchmark"]
    assert record["extra_info"]["pools"]["xla"] == threads and record["extra_info"]["status"] == "measured"
