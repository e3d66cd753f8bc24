"""Thread counts as a dimension of the benchmark: asked for before any library loads, read back after.

Every library brings a thread pool (OpenBLAS in numpy and again in scipy,
OpenMP in scikit-learn and numba, XLA's in JAX). Most read their size from
the environment when the library loads, so a worker gets them in its
environment at start; XLA reads it from the CPU affinity (`cores_for`). The
worker checks with threadpoolctl, numba and its own thread names that it
got what was asked.
"""

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Every variable a pool in this suite (or a peer's) reads its size from.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


# What a run records of its environment: the variables that size thread pools or choose BLAS kernels.
ENVIRONMENT_PREFIXES = ("OPENBLAS", "OMP_", "MKL_", "NUMBA_", "BLIS_", "GOTO_")


def relevant_environment() -> dict[str, str]:
    """The variables of this process that size thread pools or choose BLAS kernels."""
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith(ENVIRONMENT_PREFIXES)}


def all_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    return len(os.sched_getaffinity(0))


def parse_threads(text: str) -> tuple[int, ...]:
    """'1,all' -> (1, all_cores()); sorted, without repeats. Raises ValueError on bad input.

    More threads than cores is allowed (it is a setting worth measuring) but
    warned about: it oversubscribes the machine.
    """
    cores = all_cores()
    counts = set()
    for part in text.split(","):
        part = part.strip().lower()
        if part == "all":
            counts.add(cores)
            continue
        try:
            count = int(part)
        except ValueError:
            raise ValueError(f"thread counts are positive integers or 'all', e.g. 1,all; got {part!r}") from None
        if count < 1:
            raise ValueError(f"a thread count must be at least 1; got {count}")
        if count > cores:
            warnings.warn(
                f"{count} threads on {cores} cores oversubscribes the machine: threads will wait for each other",
                stacklevel=2,
            )
        counts.add(count)
    return tuple(sorted(counts))


def thread_environment(threads: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment (default: this process's) with every pool sized to `threads`."""
    environment = dict(os.environ if base is None else base)
    environment.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    return environment


@contextmanager
def cores_for(threads: int) -> Iterator[None]:
    """Keep this process on `threads` of its cores while libraries start their pools, when that is fewer than all.

    XLA (JAX) sizes its CPU thread pool from the CPU affinity when its client
    starts, and no flag bounds it (jax-ml/jax#1539; with JAX 0.10,
    `--xla_cpu_multi_thread_eigen=false` still left four threads busy on two
    cores); threads started meanwhile keep that affinity. The other pools
    are sized by THREAD_VARIABLES whatever the affinity. The main thread
    gets its cores back afterwards, as in every other worker.
    """
    cores = sorted(os.sched_getaffinity(0))
    if threads >= len(cores):
        yield
        return
    os.sched_setaffinity(0, cores[-threads:])  # the last ones: the first core takes most interrupts
    try:
        yield
    finally:
        os.sched_setaffinity(0, cores)


XLA_POOL_THREAD = "tf_XLAEigen"  # the name XLA's CPU client gives its pool's threads


def _xla_threads() -> int | None:
    """Threads in XLA's CPU pool when JAX has started it in this process, else None."""
    if "jax" not in sys.modules:
        return None
    names = []
    for thread in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{thread}/comm", encoding="utf-8") as comm:
                names.append(comm.read().strip())
        except FileNotFoundError:  # a thread that ended while we looked
            continue
    return names.count(XLA_POOL_THREAD) or None


def read_back() -> dict[str, Any]:
    """The thread pools loaded in this process, numba's and XLA's thread counts, as they are now."""
    import numba
    from threadpoolctl import threadpool_info

    pools = [
        {key: pool.get(key) for key in ("user_api", "internal_api", "prefix", "version", "num_threads", "architecture")}
        for pool in threadpool_info()
    ]
    return {"threadpools": pools, "numba_threads": numba.get_num_threads(), "xla_threads": _xla_threads()}


def mismatches(readback: dict[str, Any], threads: int) -> list[str]:
    """Each pool whose size is not `threads`, as a sentence; empty when all match."""
    problems = [
        f"{pool['internal_api']} ({pool['prefix']}) has {pool['num_threads']} threads"
        for pool in readback["threadpools"]
        if pool["num_threads"] != threads
    ]
    if readback["numba_threads"] != threads:
        problems.append(f"numba has {readback['numba_threads']} threads")
    if readback.get("xla_threads") not in (None, threads):
        problems.append(f"XLA (JAX) has {readback['xla_threads']} threads")
    return problems
