"""The memory-bandwidth reference: how long one parallel streaming read of an array takes.

Every gradient step reads all of X at least once, so the time of a plain
parallel sum over X (no arithmetic worth the name, all threads, the same
`prange` machinery as `numba_fused`) is the floor a step can approach. Each
thread reads its share as four interleaved streams: with a single stream
per core the same read took 1.7x longer on the reference machine, and a
floor that a step can beat is no floor.
"""

import time
from collections.abc import Callable
from typing import NamedTuple

import numba
import numpy as np

STREAMS = 4  # concurrent streams per thread: one stream per core leaves bandwidth unused here
# Reads stop after this many seconds once MIN_REPEATS are done: three reads of an 800 MB X (40 ms each) instead of
# seven save 0.2 s per case in every worker and pass, and a sweep keeps the best read over its passes anyway.
READ_BUDGET_S = 0.1
MIN_REPEATS = 3


@numba.njit(parallel=True, fastmath={"reassoc", "contract"}, cache=True)
def _parallel_sum(flat, n_threads):  # type: ignore[no-untyped-def]
    n = flat.size
    partial = np.zeros(n_threads)
    for t in numba.prange(n_threads):
        start, stop = t * n // n_threads, (t + 1) * n // n_threads
        q = (stop - start) // STREAMS
        a = flat[start : start + q]
        b = flat[start + q : start + 2 * q]
        c = flat[start + 2 * q : start + 3 * q]
        d = flat[start + 3 * q : start + 4 * q]
        total = 0.0
        for i in range(q):
            total += a[i] + b[i] + c[i] + d[i]
        for i in range(start + STREAMS * q, stop):
            total += flat[i]
        partial[t] = total
    return partial.sum()


class StreamingRead(NamedTuple):
    """Best time of one full read of an array, and the bandwidth it implies."""

    seconds: float
    nbytes: int
    threads: int

    @property
    def gbytes_per_s(self) -> float:
        return self.nbytes / self.seconds / 1e9


def read_call(array: np.ndarray) -> Callable[[], float]:
    """One parallel streaming read of `array` in its own dtype, as a call without arguments, compiled first."""
    if array.dtype not in (np.float64, np.float32) or not array.flags.c_contiguous:
        raise ValueError(
            f"need a C-contiguous float64 or float32 array; got {array.dtype}, C-contiguous={array.flags.c_contiguous}"
        )
    flat = array.reshape(-1)
    threads = numba.get_num_threads()
    _parallel_sum(flat[:16], threads)  # compile (or load from cache) for this dtype, outside the timing
    return lambda: _parallel_sum(flat, threads)


def streaming_read(array: np.ndarray, repeats: int = 7) -> StreamingRead:
    """Time one parallel streaming read of `array` (`read_call`): the best of `repeats` reads, or of the first
    MIN_REPEATS or more that take READ_BUDGET_S."""
    read = read_call(array)
    best = float("inf")
    began = time.perf_counter()
    for done in range(repeats):
        if done >= MIN_REPEATS and time.perf_counter() - began > READ_BUDGET_S:
            break
        start = time.perf_counter()
        read()
        best = min(best, time.perf_counter() - start)
    return StreamingRead(best, array.nbytes, numba.get_num_threads())
