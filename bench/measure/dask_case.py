"""A dask_array case inside a benchmark worker: its cluster, its data (in memory or generated), its floor, its memory.

Cluster. One per worker process, started (or joined) at its first dask case,
before anything is timed. By default a LocalCluster inside the worker: one
dask worker with as many threads as the case's thread count. Threads, not
processes: at m = 1e6, n_x = 100 on this 2-core machine (busy at the time),
two one-thread worker processes took 0.4 to 0.7 s per step, one worker with
two threads 0.2 s, computing on X where it already is. Its tasks call BLAS with
one thread each, as dask's own worker processes do (it starts them with
OPENBLAS_NUM_THREADS=1 and the like: distributed.nanny.pre-spawn-environ),
so that its threads and BLAS's do not fight for the cores; the case records
it (`dask_cluster.task_blas_threads`). With
`python -m bench run --dask-scheduler tcp://HOST:PORT` (SCHEDULER_VARIABLE in
the worker's environment) it joins that cluster instead, whatever its size;
every machine of the cluster needs this project installed.

Data. A size that passes the memory guard of every implementation
(bench/measure/problems.py) uses their X and Y, split into chunks and handed to the
workers before timing (no copy when they run in this process), and is
checked against `fully_vectorized` on the same data. A size past memory is
generated inside the tasks (bench/measure/dask_data.py) and checked against
`fully_vectorized` over the same chunks, one at a time, in this process.
Its memory bound is a task's working set (a chunk of X and the step's
temporaries) per worker thread: a chunk setting that would not fit a
worker's memory, or this machine's, is refused with the sizes. Past memory
the budget does not apply: such a size is asked for on purpose (the full
profile, --m), its time cannot be predicted from sizes held in memory, and
it is timed in exactly the minimum rounds; the manager is told how long to
wait for it, from one chunk timed first.

Floor. The same graph with each task only reading (past memory: generating
and reading) its chunk of X: the least this step can cost on dask. Best of
3 calls (as many as the step's fewest rounds: best against best), up to 7
while they take under FLOOR_PATIENCE_S, in pass 1. Sizes in memory also get
the streaming read that every implementation gets (`read_s`).

Memory. Peak resident memory of this process and, when they are other
processes, of each worker, from the start of the case to its end
(bench/measure/peak_memory.py).
"""

from __future__ import annotations

import atexit
import math
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from bench.measure import dask_data, peak_memory
from bench.measure.bandwidth import streaming_read
from bench.measure.case import NotMeasured, PreparedCase, check_agreement
from bench.measure.plan import CaseSpec
from bench.measure.problems import PreparedSize, aligned_copy, available_memory, memory_refusal
from bench.text import human_bytes
from impls import IMPLEMENTATIONS, Gradient, Problem
from impls.dask_array import BLOCK_EXAMPLES, CHUNK_BYTES, chunk_examples, chunkwise_sum

if TYPE_CHECKING:
    from bench.measure.prepare import CasePreparer

SCHEDULER_VARIABLE = "BENCH_DASK_SCHEDULER"  # address of an existing cluster's scheduler
CHUNK_VARIABLE = "BENCH_DASK_CHUNK_MB"  # MB of X per chunk
CONNECT_TIMEOUT_S = 5.0
WORKER_SHARE = 0.5  # of a worker's memory limit that a size may plan to use (dask starts spilling at 0.6)
FLOOR_CALLS = (3, 7)  # at least, at most
FLOOR_PATIENCE_S = 3.0  # no calls past the least once this long was spent on the floor
NOT_CHECKED = Gradient(np.empty((0, 1)), math.nan, math.nan)  # later passes time data that pass 1 checked


class SchedulerUnreachableError(RuntimeError):
    """No dask scheduler answered at the address given."""


def connect(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> Any:
    """A Client of the scheduler at `address`; SchedulerUnreachableError within `timeout_s` if none answers."""
    from distributed import Client

    try:
        return Client(address, timeout=timeout_s)
    except (OSError, TimeoutError, ValueError) as error:
        raise SchedulerUnreachableError(
            f"no dask scheduler answers at {address!r} within {timeout_s:g} s ({error}); start one "
            "(`dask scheduler`, then `dask worker ADDRESS` on each machine) or leave out --dask-scheduler "
            "to run on a local cluster"
        ) from None


def check_scheduler(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> str:
    """Connect to `address` and describe its cluster in a line; SchedulerUnreachableError if none answers."""
    client = connect(address, timeout_s)
    try:
        cluster = describe(client)
    finally:
        client.close()
    return f"{cluster['workers']} workers, {cluster['threads']} threads"


def chunk_bytes_setting() -> float:
    """Bytes of X per chunk: CHUNK_VARIABLE's MB when set, else dask_array's default."""
    text = os.environ.get(CHUNK_VARIABLE)
    return CHUNK_BYTES if not text else float(text) * 1e6


def describe(client: Any) -> dict[str, Any]:
    """The cluster as a record: scheduler, whether it runs in this process, workers, threads, memory limits."""
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    limits = [worker.get("memory_limit") or 0 for worker in workers]
    in_process = client.scheduler.address.startswith("inproc://")
    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"] if in_process else []
    return {
        "scheduler": client.scheduler.address,
        "in_process": in_process,
        "task_blas_threads": max(blas, default=None),  # of a cluster in this process; others' workers set their own
        "workers": len(limits),
        "threads": sum(worker["nthreads"] for worker in workers),
        "threads_per_worker": max((worker["nthreads"] for worker in workers), default=0),
        "memory_limit_bytes": min((limit for limit in limits if limit), default=0),  # the smallest; 0: none
        "memory_limit_total_bytes": sum(limits),
    }


@dataclass
class Session:
    """This worker's cluster, and the futures of the data it holds for the current case."""

    client: Any
    local_cluster: Any | None  # the LocalCluster started here; None when joined
    info: dict[str, Any]
    futures: list[Any] = field(default_factory=list)

    def release(self) -> None:
        """Let the workers drop the data held for the previous case."""
        self.client.cancel(self.futures)
        self.futures = []

    def close(self) -> None:
        self.release()
        self.client.close()
        if self.local_cluster is not None:
            self.local_cluster.close()


_session: Session | None = None


def session(threads: int) -> Session:
    """This process's cluster: joined (SCHEDULER_VARIABLE) or started here with `threads` threads, once."""
    global _session
    if _session is None:
        address = os.environ.get(SCHEDULER_VARIABLE)
        if address:
            client, local_cluster = connect(address), None
        else:
            from distributed import Client, LocalCluster

            # In process (inproc:// addresses); the HTTP servers it still starts listen on loopback only.
            local_cluster = LocalCluster(
                n_workers=1,
                threads_per_worker=threads,
                processes=False,
                dashboard_address="127.0.0.1:0",
                worker_dashboard_address="127.0.0.1:0",
            )
            client = Client(local_cluster)
            threadpool_limits(1, user_api="blas")  # for the rest of this worker process, which runs only dask
        _session = Session(client, local_cluster, describe(client))
        atexit.register(close_session)  # before distributed's own: held data is released, not reported lost
    return _session


def close_session() -> None:
    """Release this process's data on the cluster and leave it (a local cluster stops)."""
    global _session
    if _session is not None:
        _session.close()
        _session = None
    atexit.unregister(close_session)


def task_bytes(n_x: int, examples: int) -> int:
    """Working memory of one task: its chunk of X, one block being generated, Y and the step's temporaries."""
    return 8 * (n_x * examples + n_x * BLOCK_EXAMPLES + 12 * examples)


def chunk_refusal(n_x: int, examples: int, cluster: dict[str, Any]) -> str | None:
    """Why a chunk of `examples` examples would not fit a worker of `cluster`, or None."""
    limit = cluster["memory_limit_bytes"]
    need = cluster["threads_per_worker"] * task_bytes(n_x, examples)
    if not limit or need <= WORKER_SHARE * limit:
        return None
    return (
        f"chunks of {human_bytes(8 * n_x * examples)} of X ({examples} examples at n_x={n_x}) need about "
        f"{human_bytes(need)} per worker ({cluster['threads_per_worker']} threads), more than "
        f"{WORKER_SHARE:.0%} of a worker's memory limit of {human_bytes(limit)}: lower --dask-chunk-mb"
    )


def past_memory_refusal(m: int, n_x: int, examples: int, cluster: dict[str, Any]) -> str | None:
    """Why generated data at (m, n_x) would not fit this machine, or None: a local cluster's tasks and the
    reference's chunk share its memory."""
    tasks = cluster["threads"] if cluster["in_process"] else 0
    need = (tasks + 1) * task_bytes(n_x, examples)
    available = available_memory()
    if need <= 0.8 * available:
        return None
    return (
        f"m={m} n_x={n_x} (X is {human_bytes(8 * m * n_x)}) generated in chunks of {examples} examples needs "
        f"about {human_bytes(need)} at once but only {human_bytes(available)} of memory is available"
    )


def fits_on_workers(m: int, n_x: int, cluster: dict[str, Any]) -> bool:
    """Whether the workers can hold a copy of X and Y: always when they share this process's."""
    total = cluster["memory_limit_total_bytes"]
    return cluster["in_process"] or not total or 8 * (n_x + 1) * m <= WORKER_SHARE * total


def hold(cluster: Session, problem: Problem, examples: int) -> Problem:
    """X and Y chunked along examples on the workers (views, when they run in this process), before timing."""
    import dask.array as da
    from distributed import wait

    X, Y, w, b = problem
    n_x, m = X.shape
    bounds = dask_data.chunk_bounds(m, examples)
    xs = cluster.client.scatter([X[:, a:z] for a, z in bounds], hash=False)
    ys = cluster.client.scatter([Y[:, a:z] for a, z in bounds], hash=False)
    empty = np.empty((0, 0))
    Xd = da.concatenate([da.from_delayed(f, (n_x, z - a), np.float64, meta=empty) for f, (a, z) in zip(xs, bounds)], 1)
    Yd = da.concatenate([da.from_delayed(f, (1, z - a), np.float64, meta=empty) for f, (a, z) in zip(ys, bounds)], 1)
    Xd, Yd = cluster.client.persist([Xd, Yd])  # the step's graph then starts from one key per chunk
    wait([Xd, Yd])
    cluster.futures = [*xs, *ys, Xd, Yd]
    return Problem(Xd, Yd, w, b)


def read_chunk(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The floor's task: read the chunk of X once (a sum), nothing else."""
    return np.array([[X.sum()]])


def floor(problem: Problem) -> tuple[float, int]:
    """Best seconds of the floor graph on `problem`'s X, and the number of calls it took."""
    import dask

    best, spent, calls = math.inf, 0.0, 0
    least, most = FLOOR_CALLS
    while calls < most and (calls < least or spent < FLOOR_PATIENCE_S):
        start = time.perf_counter()
        dask.compute(chunkwise_sum(read_chunk, problem.X, problem.Y, 1))
        elapsed = time.perf_counter() - start
        best, spent, calls = min(best, elapsed), spent + elapsed, calls + 1
    return best, calls


def one_chunk_s(m: int, n_x: int, examples: int) -> float:
    """Seconds to generate and step one chunk in this process: the unit of a past-memory case's estimate."""
    from impls.dask_array import chunk_gradient

    stop = min(examples, m)
    start = time.perf_counter()
    X, Y = dask_data.x_chunk(m, n_x, 0, stop), dask_data.y_chunk(m, n_x, 0, stop)
    chunk_gradient(X, Y, *dask_data.parameters(m, n_x))
    return time.perf_counter() - start


def reset_peaks(cluster: Session) -> None:
    peak_memory.reset_peak()
    if not cluster.info["in_process"]:
        cluster.client.run(peak_memory.reset_peak)


def after_timing() -> dict[str, Any]:
    """The memory a dask case took, for its record: this process's peak, and each worker process's."""
    assert _session is not None, "after_timing follows a prepared dask case"
    peaks: dict[str, Any] = {"peak_rss_bytes": peak_memory.peak_rss()}
    if not _session.info["in_process"]:
        peaks["worker_peak_rss_bytes"] = _session.client.run(peak_memory.peak_rss)
    return peaks


def prepare(preparer: CasePreparer, case: CaseSpec) -> PreparedCase:
    """Everything before a dask case's timing: cluster, data, agreement, floor; NotMeasured when refused."""
    impl = IMPLEMENTATIONS[case.impl]
    impl.warmup()
    cluster = session(case.threads)
    cluster.release()  # the previous case's data: one size in memory at a time
    reset_peaks(cluster)
    m, n_x = case.m, case.n_x
    examples = min(chunk_examples(n_x, chunk_bytes_setting()), m)
    refusal = chunk_refusal(n_x, examples, cluster.info)
    if refusal:
        raise NotMeasured("refused", refusal)
    in_memory = memory_refusal(m, n_x) is None and fits_on_workers(m, n_x, cluster.info)
    extra: dict[str, Any] = {
        "compiled": impl.compiled,
        "peer": impl.peer,
        "dask_data": "in memory" if in_memory else "generated",
        "dask_chunks": -(-m // examples),
        "dask_chunk_bytes": 8 * n_x * examples,
        "dask_cluster": cluster.info,
    }
    checked_on: Problem | None = None
    if in_memory:
        preparer.check_budget(case)
        size = preparer.size(m, n_x, case.dtype)
        # X and Y copied out of the size cache's mapping (problems.mapped) into this process's memory: on the
        # mapping, every default run's dask cases at m = 1e6 failed in pass 3 ("scheduler-connection-lost"),
        # with a copy none did (cause not found; 1.2-2.3 s of copying a pass for each of dask's two processes).
        own = size.problem._replace(X=aligned_copy(size.problem.X), Y=aligned_copy(size.problem.Y))
        problem, reference, checked_on = hold(cluster, own, examples), size.reference, own
        extra["read_s"] = streaming_read(own.X).seconds
    else:
        refusal = past_memory_refusal(m, n_x, examples, cluster.info)
        if refusal:
            raise NotMeasured("refused", refusal)
        problem = Problem(*dask_data.generated_arrays(m, n_x, examples), *dask_data.parameters(m, n_x))
        chunk_s = one_chunk_s(m, n_x, examples)
        per_call_s = chunk_s * extra["dask_chunks"] / cluster.info["threads"]
        reference_s = chunk_s * extra["dask_chunks"] if preparer.first_pass else 0.0
        preparer.announce(2 * (reference_s + per_call_s * (preparer.calls + FLOOR_CALLS[0])))
        extra["estimated_s"] = per_call_s
        reference = dask_data.chunkwise_reference(m, n_x, examples) if preparer.first_pass else NOT_CHECKED
    if preparer.first_pass:
        extra = check_agreement(impl.step(*problem), reference, checked_on, case.dtype, extra)
        extra["dask_floor_s"], extra["dask_floor_calls"] = floor(problem)
    return PreparedCase(impl, PreparedSize(m, n_x, problem, reference), tuple(problem), extra)
