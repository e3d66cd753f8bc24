"""Workers forked from a warm fork server: each one measured, crashed or hung alone, the server going on."""

import os
import sys
from pathlib import Path

import pytest

from bench.measure.plan import CaseSpec
from bench.measure.process import ForkServers
from bench.measure.threads import all_cores, thread_environment
from bench.measure.worker import WorkerSpec
from impls import IMPLEMENTATIONS
from tests.fake_worker import CRASH_M, HANG_M

ROOT = str(Path(__file__).parent.parent)  # where `tests` is a package


def _spec(*m: int, threads: int = 1) -> WorkerSpec:
    cases = [CaseSpec("step", "fully_vectorized", threads, size, 2) for size in m]
    return WorkerSpec(("fully_vectorized",), threads, 1, cases, True, 30.0, 10, 2, 0.001, 2, "unused", [], False)


@pytest.fixture
def fake_servers():  # type: ignore[no-untyped-def]
    servers = ForkServers("tests.fake_worker")
    environment = os.environ | {"PYTHONPATH": os.pathsep.join([ROOT, *sys.path])}
    yield servers, environment
    servers.close()


def _measured(events: list[dict]) -> list[str]:
    return [event["benchmark"]["param"] for event in events if event["event"] == "case"]


def test_workers_forked_from_one_server_each_measure_their_cases(fake_servers) -> None:
    servers, environment = fake_servers
    for m in ((10, 20), (30,)):
        events: list[dict] = []
        ended = servers.run_worker(_spec(*m), environment, 10, events.append)
        assert (ended.returncode, ended.current) == (0, None), ended.stderr
        assert _measured(events) == [f"fully_vectorized-threads=1-m={size}-n_x=2" for size in m]
        assert all(event["event"] != "pid" for event in events)  # the server's own word, not the manager's
    assert len(servers._servers) == 1  # the second worker was forked by the first's server


def test_a_crashed_worker_gives_its_exit_code_and_stderr_and_the_server_goes_on(fake_servers) -> None:
    servers, environment = fake_servers
    events: list[dict] = []
    ended = servers.run_worker(_spec(10, CRASH_M, 20), environment, 10, events.append)
    assert ended.returncode == 1 and ended.current == f"fully_vectorized-threads=1-m={CRASH_M}-n_x=2"
    assert "segmentation fault (pretend)" in ended.stderr
    assert _measured(events) == ["fully_vectorized-threads=1-m=10-n_x=2"]
    again: list[dict] = []
    assert servers.run_worker(_spec(20), environment, 10, again.append).returncode == 0
    assert _measured(again) == ["fully_vectorized-threads=1-m=20-n_x=2"]


def test_a_hung_worker_is_killed_and_the_server_goes_on(fake_servers) -> None:
    servers, environment = fake_servers
    ended = servers.run_worker(_spec(HANG_M), environment, 1.0, lambda event: None)
    assert ended.returncode is None and ended.current == f"fully_vectorized-threads=1-m={HANG_M}-n_x=2"
    events: list[dict] = []
    assert servers.run_worker(_spec(20), environment, 10, events.append).returncode == 0
    assert _measured(events) == ["fully_vectorized-threads=1-m=20-n_x=2"]


def test_a_server_that_cannot_start_its_workers_says_why() -> None:
    servers = ForkServers("no_such_worker_module")
    try:
        ended = servers.run_worker(_spec(10), dict(os.environ), 10, lambda event: None)
    finally:
        servers.close()
    assert ended.returncode not in (0, None) and "No module named 'no_such_worker_module'" in ended.stderr


def test_closing_ends_every_server(fake_servers) -> None:
    servers, environment = fake_servers
    servers.run_worker(_spec(10), environment, 10, lambda event: None)
    processes = [server.process for server in servers._servers.values()]
    servers.close()
    assert processes and all(process.poll() is not None for process in processes)


@pytest.mark.slow
@pytest.mark.parametrize("threads", sorted({1, all_cores()}))
@pytest.mark.parametrize("impl", sorted({"sklearn_peer", "jax_peer"} & set(IMPLEMENTATIONS)))
def test_a_real_worker_forked_from_a_server_reads_back_the_threads_it_asked_for(tmp_path, impl, threads) -> None:
    """As a worker started on its own does (tests/test_threads.py): pools sized before numpy and the peer's library
    loaded in the server (`Implementation.imports`), and started after the fork, in the worker."""
    case = CaseSpec("step", impl, threads, 20, 3)
    spec = WorkerSpec((impl,), threads, 1, [case], True, 30.0, 10, 2, 0.001, 2, str(tmp_path), [], False)
    servers = ForkServers()
    try:
        for _ in range(2):  # the second worker of a server is forked alike
            events: list[dict] = []
            imports = IMPLEMENTATIONS[impl].imports
            ended = servers.run_worker(spec, thread_environment(threads), 120, events.append, imports)
            assert ended.returncode == 0, ended.stderr
            worker = next(e for e in events if e["event"] == "worker")
            assert worker["mismatches"] == []
            assert {pool["num_threads"] for pool in worker["readback"]["threadpools"]} == {threads}
            assert worker["readback"]["numba_threads"] == threads
            assert worker["readback"]["xla_threads"] == (threads if impl == "jax_peer" else None)
            record = next(e for e in events if e["event"] == "case")["benchmark"]
            assert record["extra_info"]["status"] == "measured"
        assert len(servers._servers) == 1
    finally:
        servers.close()


def test_a_server_whose_imports_start_a_thread_forks_nothing(fake_servers, tmp_path) -> None:
    servers, environment = fake_servers
    (tmp_path / "spins.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
    )
    environment = environment | {"PYTHONPATH": os.pathsep.join([str(tmp_path), environment["PYTHONPATH"]])}
    events: list[dict] = []
    ended = servers.run_worker(_spec(10), environment, 10, events.append, imports=("spins",))
    assert ended.returncode == 2 and "not forking: importing spins started threads" in ended.stderr
    assert events == []
