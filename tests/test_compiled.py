"""Compiled implementations: thread count does not change results; warm-up compiles."""

import numba
import pytest

from impls import IMPLEMENTATIONS, numba_fused, numba_loop, relative_error
from tests.conftest import random_problem

COMPILED = [impl for impl in IMPLEMENTATIONS.values() if impl.compiled]


def test_numba_implementations_are_registered() -> None:
    assert {"numba_loop", "numba_fused"} <= {impl.name for impl in COMPILED}


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs at least 2 numba threads")
@pytest.mark.parametrize("impl", COMPILED, ids=lambda impl: impl.name)
def test_results_do_not_depend_on_thread_count(impl) -> None:
    problem = random_problem(n_x=20, m=9000, seed=6)  # many blocks, so threads split the work
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = impl.step(*problem)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = impl.step(*problem)
    finally:
        numba.set_num_threads(before)
    assert relative_error(many, one) <= 1e-12


@pytest.mark.parametrize(
    ("impl", "kernel"),
    [
        (IMPLEMENTATIONS["numba_loop"], numba_loop._double_loop),
        (IMPLEMENTATIONS["numba_fused"], numba_fused._fused),
    ],
    ids=["numba_loop", "numba_fused"],
)
def test_warmup_compiles_what_a_benchmark_calls(impl, kernel) -> None:
    impl.warmup()
    compiled = list(kernel.signatures)
    assert compiled
    impl.step(*random_problem(n_x=3, m=40, seed=7))  # validated benchmark-style input
    assert list(kernel.signatures) == compiled, "the timed call would have compiled a new signature"
