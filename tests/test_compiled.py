"""Compiled implementations: the fused kernel on awkward shapes and in float32, thread counts, warm-up."""

import re

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impls import IMPLEMENTATIONS, Problem, numba_fused, numba_loop, relative_error, validate
from impls.core import dz_and_loss_scalar
from impls.numba_support import dz_and_loss_vectorizable
from tests.conftest import random_problem

COMPILED = [impl for impl in IMPLEMENTATIONS.values() if impl.compiled]
reference_step = IMPLEMENTATIONS["fully_vectorized"].step
BLOCK = numba_fused.block_size()  # examples per block, float64


def test_numba_implementations_are_registered() -> None:
    assert {"numba_loop", "numba_fused"} <= {impl.name for impl in COMPILED}


def as_float32(problem: Problem) -> Problem:
    X, Y, w, b = problem
    return Problem(X.astype(np.float32), Y.astype(np.float32), w.astype(np.float32), b)


def as_float64(problem: Problem) -> Problem:
    X, Y, w, b = problem
    return Problem(X.astype(np.float64), Y.astype(np.float64), w.astype(np.float64), b)


AWKWARD = {
    "m_not_a_multiple_of_the_block": random_problem(n_x=7, m=3 * BLOCK + 17, seed=8),  # n_x not a multiple of 4
    "z_near_1000": random_problem(n_x=6, m=2 * BLOCK + 1, seed=9, z_scale=1000.0),
    "blocks_all_of_one_size": random_problem(n_x=9, m=4 * BLOCK, seed=16),  # each pass 2 with the next pass 1
    "m_is_1": random_problem(n_x=5, m=1, seed=10),
    "n_x_is_1": random_problem(n_x=1, m=BLOCK + 3, seed=11),
    "n_x_is_4_rows_exactly": random_problem(n_x=4, m=BLOCK - 1, seed=12),
    "wide": random_problem(n_x=1001, m=700, seed=13),
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", AWKWARD)
def test_fused_kernel_agrees_on_awkward_shapes(name: str) -> None:
    problem = AWKWARD[name]
    assert relative_error(numba_fused.step(*problem), reference_step(*problem), problem) <= 1e-9


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    "problem",
    [
        *AWKWARD.values(),
        random_problem(n_x=3, m=200_000, seed=14),
        random_problem(n_x=1000, m=3000, seed=15),
        validate(np.full((2, 200_000), 0.1), np.zeros((1, 200_000)), [[1.0], [0.5]], 0.0),  # no cancellation
    ],
    ids=[*AWKWARD, "long_mean", "long_dot", "constant_rows"],
)
def test_fused_kernel_in_float32_agrees_with_float64(problem: Problem) -> None:
    # The same numbers in float32 and in float64: what is left is float32 arithmetic.
    single = as_float32(problem)
    got = numba_fused.step(*single)
    assert got.dw.dtype == np.float32 and np.isfinite(got.dw).all()
    exact = as_float64(single)
    # The suite asks ~1e-4 of float32; measured: 5e-8 on random data, 2e-6 on constant rows (block sums).
    assert relative_error(got, reference_step(*exact), exact) <= 1e-5
    assert any(signature[0].dtype == numba.float32 for signature in numba_fused._fused.signatures)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs at least 2 numba threads")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("impl", COMPILED, ids=lambda impl: impl.name)
def test_results_do_not_depend_on_thread_count(impl, dtype) -> None:
    problem = random_problem(n_x=20, m=9000, seed=6)  # many blocks, so threads split the work
    if dtype == np.float32:
        problem = as_float32(problem)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = impl.step(*problem)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = impl.step(*problem)
    finally:
        numba.set_num_threads(before)
    assert relative_error(many, one) <= 1e-12


@settings(deadline=None)  # the first example compiles
@given(
    z=st.one_of(
        st.floats(-40, 40), st.floats(-1e4, 1e4), st.sampled_from([0.0, -0.0, 88.0, -104.0, 745.2, -745.2, 1e30])
    ),
    y=st.sampled_from([0.0, 1.0]),
)
def test_vectorizable_math_is_the_core_math(z: float, y: float) -> None:
    # Same formulas as impls.core, only exp and log1p differ (within 1 ulp each): no drift between the two.
    want_dz, want_loss = dz_and_loss_scalar(z, y)
    dz, loss = dz_and_loss_vectorizable(z, y)
    assert dz == pytest.approx(want_dz, rel=1e-15, abs=0.0)
    assert loss == pytest.approx(want_loss, rel=1e-15, abs=0.0)
    dz32, loss32 = dz_and_loss_vectorizable(np.float32(z), np.float32(y))
    want_dz32, want_loss32 = dz_and_loss_scalar(float(np.float32(z)), y)
    assert dz32 == pytest.approx(want_dz32, rel=3e-7, abs=1e-45)
    assert loss32 == pytest.approx(want_loss32, rel=3e-7, abs=1e-45)


@pytest.mark.parametrize(("dtype", "llvm_type"), [(np.float64, "double"), (np.float32, "float")])
def test_fused_per_example_math_is_vectorized(dtype, llvm_type) -> None:
    # The kernel's own per-example loop, compiled afresh (cached code cannot be inspected):
    # SIMD divisions, and no call left to a scalar exp or log.
    per_example = numba.njit(fastmath=numba_fused.FASTMATH, error_model="numpy")(numba_fused._per_example.py_func)
    z = np.linspace(-5, 5, 64)
    per_example(z, np.zeros(64, dtype), np.empty(64, dtype))
    llvm_ir = per_example.inspect_llvm(per_example.signatures[0])
    assert re.search(rf"fdiv [^\n]*<\d+ x {llvm_type}>", llvm_ir), "the per-example loop was not vectorized"
    assert not re.search(r"call [^\n]*@(exp|log|log1p|expf|logf)\b", llvm_ir)


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
