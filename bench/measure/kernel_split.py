"""Where the fused kernel's time goes: the kernel stopped after each of its parts, against a read of X.

    python -m bench.measure.kernel_split                      # both sizes, float64 and float32, 1 thread and all
    python -m bench.measure.kernel_split --m 1e5 --n-x 1000 --dtype float64 --rounds 50

At each size, in one process, round after round in a rotating order, it times

    read of X   one parallel streaming read of X (`bench.measure.bandwidth`): the floor for any step
    pass 1      `numba_fused`'s kernel stopped after pass 1: z = w.T X + b, block by block, from memory
    + math      ... and the per-example math: dz, db and the cost (exp and log1p)
    + pass 2    ... and pass 2, dw += X dz from cache: the whole kernel
    step        `numba_fused.step`: the kernel, the sums over threads, the dtype cast and the Python call

with 1 thread and with all cores, and prints each one's best round in ms and
as a multiple of the read's best round at the same threads. Best rounds,
because other processes on the machine only ever add time; interleaved,
because the machine's bandwidth drifts by up to 2x within an hour. Each
part's cost is the difference between consecutive rows.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

import numba
import numpy as np
import pandas as pd

from bench.measure.bandwidth import _parallel_sum
from bench.measure.problems import make_problem
from bench.measure.threads import all_cores
from impls import Problem, numba_fused

Key = TypeVar("Key", bound=Hashable)
SIZES = ((1_000_000, 100), (100_000, 1000))  # (m, n_x): 800 MB of float64 X each, far past the caches
PARTS = ("read of X", "pass 1", "+ math", "+ pass 2", "step")


def part_calls(problem: Problem) -> dict[str, Callable[[int], object]]:
    """Each part as a call taking the thread count: the read, the kernel stopped after each part, the step."""
    X, Y, w, b = problem
    flat, y, weights = X.reshape(-1), Y[0], w[:, 0]
    block = numba_fused.block_size(X.itemsize)

    def kernel(parts: int) -> Callable[[int], object]:
        return lambda threads: numba_fused._fused(X, y, weights, b, block, threads, parts)

    return {
        "read of X": lambda threads: _parallel_sum(flat, threads),  # the read kernel itself, timed in our rounds
        "pass 1": kernel(numba_fused.PASS_1),
        "+ math": kernel(numba_fused.MATH),
        "+ pass 2": kernel(numba_fused.PASS_2),
        "step": lambda threads: numba_fused.step(X, Y, w, b),
    }


def best_rounds(calls: dict[Key, Callable[[], object]], rounds: int) -> dict[Key, float]:
    """Best seconds of each call over `rounds` rounds; round r starts at call r (mod len), so none is always first."""
    names = list(calls)
    for call in calls.values():
        call()  # compile, or load from cache, and fault X's pages in: never timed
    best = dict.fromkeys(names, float("inf"))
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            calls[name]()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def split_table(problem: Problem, thread_counts: Sequence[int], rounds: int) -> pd.DataFrame:
    """One row per thread count and part: best_ms and x_read (best over the read's best at those threads)."""
    calls = part_calls(problem)
    before = numba.get_num_threads()

    def at(threads: int, call: Callable[[int], object]) -> Callable[[], object]:
        def timed() -> object:
            numba.set_num_threads(threads)  # numba_fused.step reads it; the others are told
            return call(threads)

        return timed

    try:
        best = best_rounds({(t, part): at(t, call) for t in thread_counts for part, call in calls.items()}, rounds)
    finally:
        numba.set_num_threads(before)
    X = problem.X
    rows = [
        {
            "m": X.shape[1],
            "n_x": X.shape[0],
            "dtype": X.dtype.name,
            "threads": t,
            "part": part,
            "best_ms": best[t, part] * 1e3,
            "x_read": best[t, part] / best[t, "read of X"],
        }
        for t in thread_counts
        for part in PARTS
    ]
    return pd.DataFrame(rows)


def as_dtype(problem: Problem, dtype: np.dtype) -> Problem:
    """The same problem with X, Y and w in `dtype`, as a float32 benchmark case would hold them."""
    X, Y, w, b = problem
    return Problem(X.astype(dtype, copy=False), Y.astype(dtype, copy=False), w.astype(dtype, copy=False), b)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.measure.kernel_split", description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=float, help="examples (with --n-x; default: the two sizes of SIZES)")
    parser.add_argument("--n-x", type=int, help="features")
    parser.add_argument("--dtype", action="append", choices=["float64", "float32"], help="repeatable")
    parser.add_argument("--rounds", type=int, default=30, help="rounds of every part (default 30)")
    args = parser.parse_args(argv)
    if (args.m is None) != (args.n_x is None):
        parser.error("give both --m and --n-x, or neither")
    if args.rounds < 1 or (args.m is not None and (args.m < 1 or args.n_x < 1)):
        parser.error("--rounds, --m and --n-x must be at least 1")
    sizes = SIZES if args.m is None else ((int(args.m), args.n_x),)
    threads = sorted({1, all_cores()})
    for m, n_x in sizes:
        problem = make_problem(m, n_x)
        for dtype in args.dtype or ["float64", "float32"]:
            table = split_table(as_dtype(problem, np.dtype(dtype)), threads, args.rounds)
            print(f"\nm = {m}, n_x = {n_x}, {dtype}, best of {args.rounds} interleaved rounds\n")
            print(table.drop(columns=["m", "n_x", "dtype"]).to_markdown(index=False, floatfmt=".3g"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
