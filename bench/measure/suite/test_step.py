"""The benchmark suite: one timed gradient step per implementation x threads x dtype x m x n_x, and training.

Run inside a worker process of `python -m bench run`, whose plugin
(bench/measure/sweep.py) supplies the parameters and the `sweep` fixture. A step's
timed calls happen in `sweep.measure_step`, with the other steps of its size, and
everything else around them; a training run's, here, after `sweep.start_train`.
"""

from typing import Any

import pytest

from bench.records.schema import WIDE
from impls import train


def test_step(
    sweep: Any, request: pytest.FixtureRequest, impl: str, threads: int, dtype: str, m: int, n_x: int
) -> None:
    """One step, timed in paired trials beside the loops its speedups divide it by (bench/measure/trials.py), with
    the worker's other steps of its size."""
    sweep.measure_step(request.node)


def test_train(benchmark: Any, sweep: Any, request: pytest.FixtureRequest, impl: str, threads: int, dtype: str) -> None:
    """`train` for a fixed number of iterations: the loop that vectorization keeps."""
    X, Y, extra, slow = sweep.start_train(request.node)
    benchmark.group = "train m={train_m} n_x={train_n_x} iterations={iterations}".format(**extra)
    benchmark.group += "" if dtype == WIDE else f" {dtype}"
    benchmark.extra_info.update(extra)
    result = sweep.time(benchmark, slow, train, impl, X, Y, alpha=0.5, iterations=extra["iterations"])
    benchmark.extra_info["costs"] = result.costs.tolist()
    sweep.finish(benchmark)
