"""dask_array on a real dask.distributed cluster on 127.0.0.1: agreement, generated data, past memory, faults."""

import math
import os
import socket
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed", reason="dask_array needs the extra 'scale': pip install -e .[scale]")

import dask
from distributed import Client, LocalCluster, get_task_stream

from bench.measure import dask_case, dask_data
from bench.measure.case import NotMeasured
from bench.measure.plan import CaseSpec
from bench.measure.prepare import CasePreparer
from bench.measure.problems import MEMORY_LIMIT_VARIABLE
from impls import IMPLEMENTATIONS, relative_error, validate
from impls.core import AGREEMENT_RTOL
from impls.dask_array import BLOCK_EXAMPLES, as_chunked, chunkwise_sum, step
from tests.conftest import random_problem

reference_step = IMPLEMENTATIONS["fully_vectorized"].step
REPO = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def client():
    """A small cluster on 127.0.0.1: one worker, two threads, in this process; the default scheduler meanwhile."""
    cluster = LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address="127.0.0.1:0",
        memory_limit="4GB",
    )
    with Client(cluster) as client:
        yield client
    cluster.close()


@pytest.fixture
def joined(client, monkeypatch):
    """The benchmark's dask cases join the test cluster, as with --dask-scheduler; their session is closed after."""
    monkeypatch.setenv(dask_case.SCHEDULER_VARIABLE, client.scheduler.address)
    yield client
    dask_case.close_session()  # leaves the test cluster running: it was joined, not started


def awkward(name: str):
    """Problems over several chunks of BLOCK_EXAMPLES examples, with the suite's awkward corners."""
    m = 2 * BLOCK_EXAMPLES + 5
    if name == "one_example":
        return random_problem(n_x=3, m=1, seed=1)
    if name == "one_feature":
        return random_problem(n_x=1, m=m, seed=2)
    if name == "z_near_1000":
        return random_problem(n_x=4, m=m, seed=3, z_scale=1000.0)
    X, _, w, b = random_problem(n_x=4, m=m, seed=4, z_scale=30.0)
    return validate(X, np.ones((1, m)), w, b)  # all labels the same


@pytest.mark.slow
@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", ["one_example", "one_feature", "z_near_1000", "all_same_labels"])
def test_agrees_with_fully_vectorized_chunk_by_chunk_on_the_cluster(client, name: str) -> None:
    problem = awkward(name)
    X, Y = as_chunked(problem.X, problem.Y, chunk_bytes=1)  # one block per chunk: 3 chunks where m allows
    with get_task_stream(client) as tasks:
        got = step(X, Y, problem.w, problem.b)
    assert len(tasks.data) >= X.numblocks[1]  # every chunk's task ran on the cluster
    assert type(got.db) is float and got.dw.shape == problem.w.shape and math.isfinite(got.cost)
    assert relative_error(got, reference_step(*problem), problem) <= 1e-9


def test_chunks_must_be_along_examples_only() -> None:
    import dask.array as da

    X, Y, _, _ = random_problem(n_x=4, m=10)
    with pytest.raises(ValueError, match="chunked along examples"):
        as_chunked(da.from_array(X, chunks=(2, 10)), Y)


@pytest.mark.slow
def test_generated_data_is_the_same_for_any_chunking(client) -> None:
    m, n_x = 3 * BLOCK_EXAMPLES + 100, 3
    one_block, three_blocks = (
        dask_data.generated_arrays(m, n_x, BLOCK_EXAMPLES),
        dask_data.generated_arrays(m, n_x, 3 * BLOCK_EXAMPLES),
    )
    assert one_block[0].numblocks[1] == 4 and three_blocks[0].numblocks[1] == 2
    X1, Y1, X3, Y3 = dask.compute(*one_block, *three_blocks)
    np.testing.assert_array_equal(X1, X3)
    np.testing.assert_array_equal(Y1, Y3)
    np.testing.assert_array_equal(dask_data.x_chunk(m, n_x, BLOCK_EXAMPLES, m), X1[:, BLOCK_EXAMPLES:])
    assert X1.shape == (n_x, m) and set(np.unique(Y1)) == {0.0, 1.0}
    assert abs(X1.mean()) < 0.05 and abs(X1.var() - 1) < 0.05  # the variance of make_problem's features
    assert not np.array_equal(dask_data.x_chunk(m + 1, n_x, 0, 10), X1[:, :10])  # each size has its own data


def test_a_generated_chunk_must_start_a_block() -> None:
    with pytest.raises(ValueError, match="start a block of 8192 examples; got start 100"):
        dask_data.x_chunk(10**6, 2, 100, 200)


def test_the_chunkwise_reference_is_fully_vectorized_on_the_whole_data() -> None:
    m, n_x = 2 * BLOCK_EXAMPLES + 7, 3
    X, Y = dask_data.x_chunk(m, n_x, 0, m), dask_data.y_chunk(m, n_x, 0, m)
    problem = validate(X, Y, *dask_data.parameters(m, n_x))
    got = dask_data.chunkwise_reference(m, n_x, BLOCK_EXAMPLES)
    assert relative_error(got, reference_step(*problem), problem) <= 1e-12


def preparer(tmp_path: Path, announced: list[float] | None = None) -> CasePreparer:
    record = announced.append if announced is not None else (lambda seconds: None)
    return CasePreparer(tmp_path / "cache", budget_s=100.0, calls=10, first_pass=True, announce=record)


@pytest.mark.slow
def test_a_size_in_memory_runs_on_the_others_data_held_by_the_workers(joined, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(dask_case.CHUNK_VARIABLE, "0.1")  # one block per chunk
    prep = preparer(tmp_path)
    case = prep.step_case(CaseSpec("step", "dask_array", 2, 3 * BLOCK_EXAMPLES, 5))
    info = case.extra_info
    assert info["dask_data"] == "in memory" and info["dask_chunks"] == 3
    assert info["dask_cluster"]["scheduler"] == joined.scheduler.address and info["dask_cluster"]["threads"] == 2
    assert info["agreement_error"] <= AGREEMENT_RTOL["float64"] and info["read_s"] > 0
    assert info["dask_floor_s"] > 0 and 3 <= info["dask_floor_calls"] <= 7
    got = case.impl.step(*case.size.problem)
    assert relative_error(got, case.size.reference, prep.size(3 * BLOCK_EXAMPLES, 5, "float64").problem) <= 1e-9
    memory = prep.after_timing(CaseSpec("step", "dask_array", 2, 3 * BLOCK_EXAMPLES, 5))
    assert memory["peak_rss_bytes"] > 8 * 3 * BLOCK_EXAMPLES * 5
    assert set(memory["worker_peak_rss_bytes"]) == set(joined.scheduler_info()["workers"])


@pytest.mark.slow
def test_past_the_memory_limit_dask_generates_its_data_and_the_others_are_refused(joined, tmp_path, monkeypatch):
    m, n_x = 20_000, 5  # X of 800 kB; fully_vectorized needs 4.2 MB
    monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, "3e6")
    monkeypatch.setenv(dask_case.CHUNK_VARIABLE, "0.1")  # one block per chunk: 1.4 MB per task
    with pytest.raises(NotMeasured) as refused:
        preparer(tmp_path).step_case(CaseSpec("step", "fully_vectorized", 1, m, n_x))
    assert refused.value.status == "refused"
    assert "needs about 4.16 MB (X is 800 kB) but only 3 MB of memory is available" in refused.value.reason
    announced: list[float] = []
    case = preparer(tmp_path, announced).step_case(CaseSpec("step", "dask_array", 2, m, n_x))
    info = case.extra_info
    assert info["dask_data"] == "generated" and info["dask_chunks"] == 3 and "read_s" not in info
    assert info["agreement_error"] <= AGREEMENT_RTOL["float64"] and info["dask_floor_s"] > 0
    assert len(announced) == 1 and announced[0] > 0
    assert not (tmp_path / "cache").exists()  # X was never made whole
    np.testing.assert_array_equal(case.size.problem.w, dask_data.parameters(m, n_x)[0])


@pytest.mark.slow
def test_a_chunk_that_would_not_fit_a_worker_is_refused_before_any_data(joined, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(dask_case.CHUNK_VARIABLE, "2000")  # 2.5e6 examples at n_x = 100: 2.2 GB per task
    with pytest.raises(NotMeasured) as refused:
        preparer(tmp_path).step_case(CaseSpec("step", "dask_array", 2, 3_000_000, 100))
    assert refused.value.status == "refused"
    assert refused.value.reason.startswith("chunks of 2 GB of X (2498560 examples at n_x=100) need about 4.49 GB")
    assert "memory limit of 4 GB: lower --dask-chunk-mb" in refused.value.reason
    assert not (tmp_path / "cache").exists()


def test_past_memory_needs_room_for_the_tasks_on_this_machine(monkeypatch) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, "1e7")
    cluster = {"in_process": True, "threads": 2}  # two tasks and the reference's chunk share this machine
    reason = dask_case.past_memory_refusal(10**7, 100, BLOCK_EXAMPLES, cluster)
    assert reason is not None and "X is 8 GB" in reason and "needs about 41.7 MB at once" in reason
    assert "only 10 MB of memory is available" in reason
    assert dask_case.past_memory_refusal(10**7, 1, BLOCK_EXAMPLES, cluster) is None  # 3 tasks of 0.9 MB


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_scheduler_that_does_not_answer_is_a_clear_error_within_seconds() -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    start = time.monotonic()
    with pytest.raises(dask_case.SchedulerUnreachableError, match=f"no dask scheduler answers at '{address}'"):
        dask_case.connect(address, timeout_s=1.0)
    assert time.monotonic() - start < 10


@pytest.mark.slow
def test_run_refuses_an_unreachable_scheduler_before_sweeping(tmp_path, capsys) -> None:
    from bench.commands.main import main

    address = f"tcp://127.0.0.1:{free_port()}"
    code = main(["run", "--impl", "dask_array", "--dask-scheduler", address, "--output", str(tmp_path / "run")])
    assert code == 2
    assert f"no dask scheduler answers at '{address}'" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # nothing started


def dies_once(X: np.ndarray, Y: np.ndarray, flag: str) -> np.ndarray:
    """A chunk task whose first run anywhere kills its worker process: a machine lost mid-step."""
    if not os.path.exists(flag):
        Path(flag).touch()
        os._exit(1)
    return np.array([[X.sum()]])


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")  # the lost worker's sockets and semaphores are reported at shutdown
def test_a_worker_lost_during_a_step_costs_a_retry_or_a_clear_failure(tmp_path) -> None:
    from bench.measure.problems import make_problem

    m, n_x = 4 * BLOCK_EXAMPLES, 3
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None, silence_logs=50
    )
    with Client(cluster) as client:
        # Generated data: the lost worker's tasks run again elsewhere, and the result is whole.
        X, Y = dask_data.generated_arrays(m, n_x, BLOCK_EXAMPLES)
        flag = tmp_path / "died"
        (total,) = dask.compute(chunkwise_sum(dies_once, X, Y, 1, flag=str(flag)))
        assert flag.exists()  # a worker did die during the step
        assert total[0] == pytest.approx(dask_data.x_chunk(m, n_x, 0, m).sum(), rel=1e-12)
        # Data held by the workers: a lost worker loses its chunks, and the step fails at once, not hangs.
        session = dask_case.Session(client, None, dask_case.describe(client))
        problem = dask_case.hold(session, make_problem(m, n_x), BLOCK_EXAMPLES)
        assert relative_error(step(*problem), reference_step(*make_problem(m, n_x))) <= 1e-9
        holders = {worker for workers in client.who_has(problem.X).values() for worker in workers}
        client.run(os._exit, 1, workers=sorted(holders)[:1], on_error="ignore")
        start = time.monotonic()
        with pytest.raises(Exception, match=r"lost dependencies|cancelled"):
            step(*problem)
        assert time.monotonic() - start < 30
    cluster.close()


@pytest.mark.slow
def test_missing_dask_names_the_extra(tmp_path) -> None:
    import subprocess

    hide = (
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name in ('dask', 'distributed') else real(name, *a)\n"
        "from bench.commands.main import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    for args in (["--impl", "dask_array"], ["--dask-scheduler", "tcp://127.0.0.1:1", "--impl", "double_loop"]):
        done = subprocess.run(
            [sys.executable, "-c", hide, "run", *args, "--output", str(tmp_path / "run")],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert "dask_array needs the optional extra 'scale', not installed here: pip install -e '.[scale]'" in " ".join(
            done.stderr.split()
        )


@pytest.mark.slow
def test_run_past_the_memory_limit_end_to_end(tmp_path) -> None:
    """`python -m bench run` as a user runs it, with the guard's limit below the size: dask generates its data."""
    import json
    import subprocess

    output = tmp_path / "run"
    arguments = ["--profile", "quick", "--impl", "dask_array", "--m", "20000", "--n-x", "5", "--threads", "1"]
    arguments += ["--passes", "2", "--max-time", "0.01", "--dask-chunk-mb", "0.1", "--output", str(output)]
    environment = os.environ | {MEMORY_LIMIT_VARIABLE: "4e6"}  # X of 800 kB fits a task, not the others' 4.2 MB
    done = subprocess.run(
        [sys.executable, "-m", "bench", "run", *arguments],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environment,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    run = json.loads((output / "benchmark.json").read_text())
    cases = {b["param"]: b for b in run["benchmarks"] + run["skipped"]}
    dask_step = cases["dask_array-threads=1-m=20000-n_x=5"]
    info = dask_step["extra_info"]
    assert info["status"] == "measured" and info["dask_data"] == "generated" and info["dask_chunks"] == 3
    assert info["agreement_error"] <= AGREEMENT_RTOL["float64"] and info["peak_rss_bytes"] > 0
    assert [p["pass"] for p in info["passes"]] == [1, 2]
    assert cases["fully_vectorized-threads=1-m=20000-n_x=5"]["extra_info"]["status"] == "refused"
    assert cases["dask_array-threads=1"]["extra_info"]["status"] == "measured"  # training, on X in memory
    report = (output / "report.md").read_text()
    assert "## dask_array: its floor, numpy's step and its memory" in report
    assert "| generated | 3 x 328 kB" in report
