"""The vectorizable exp and log1p: error in ulps against libm over their whole range, and vectorization."""

import math
import re

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impls.simd_math import F32, F64, exp_minus_abs, float_format, log1p_unit

DTYPES = [np.float64, np.float32]
BITS = {np.float64: np.int64, np.float32: np.int32}
KERNEL_FLAGS = {"fastmath": {"reassoc", "contract"}, "error_model": "numpy"}  # numba_fused's: the hostile case
ULP_BOUND = 1  # measured: at most 1 ulp from the correctly rounded value, subnormal results included


# Applied inside a loop compiled as the fused kernel is, so these tests see the code the kernel runs.
@numba.njit(**KERNEL_FLAGS)
def exp_minus_abs_all(z, out):  # type: ignore[no-untyped-def]
    for i in range(z.size):
        out[i] = exp_minus_abs(z[i])


@numba.njit(**KERNEL_FLAGS)
def log1p_unit_all(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = log1p_unit(x[i])


def ulps_apart(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """How many representable numbers lie between got and want (both >= 0, same dtype)."""
    assert (got >= 0).all() and (want >= 0).all()
    bits = BITS[got.dtype.type]
    return np.abs(got.view(bits).astype(np.int64) - want.view(bits).astype(np.int64))


def libm_exp_minus_abs(z: np.ndarray) -> np.ndarray:
    """math.exp(-|z|) in float64 (correctly rounded in practice), rounded to z's dtype."""
    return np.array([math.exp(-abs(float(v))) for v in z]).astype(z.dtype)


def libm_log1p(x: np.ndarray) -> np.ndarray:
    return np.array([math.log1p(float(v)) for v in x]).astype(x.dtype)


def exp_arguments(dtype: type[np.floating]) -> np.ndarray:
    """z over the whole range: near 0, typical, the subnormal results, the underflow to 0, the extremes."""
    rng = np.random.default_rng(0)
    info = np.finfo(dtype)
    to_zero = -math.log(float(info.smallest_subnormal))  # 744.4 (float64), 103.3 (float32)
    to_subnormal = -math.log(float(info.smallest_normal))  # 708.4, 87.3
    parts = [
        rng.uniform(-1, 1, 20_000),
        rng.uniform(-to_zero - 5, to_zero + 5, 100_000),
        rng.uniform(to_subnormal, to_zero, 20_000),  # subnormal results
        rng.uniform(to_zero - 1, to_zero + 1, 20_000),  # rounding to the smallest subnormal or to 0
        np.linspace(-1000, 1000, 20_001),
        [0.0, -0.0, 1e-300, np.log(2) / 2, 80.0, 1000.0, -1000.0, float(info.max), -float(info.max)],
    ]
    return np.concatenate([np.asarray(p, dtype=np.float64) for p in parts]).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_exp_minus_abs_is_within_bound_over_the_whole_range(dtype) -> None:
    z = exp_arguments(dtype)
    got = np.empty_like(z)
    exp_minus_abs_all(z, got)
    want = libm_exp_minus_abs(z)
    assert np.isfinite(got).all()
    errors = ulps_apart(got, want)
    worst = int(errors.argmax())
    assert errors.max() <= ULP_BOUND, f"{errors.max()} ulp at z = {z[worst]!r}: {got[worst]!r} vs {want[worst]!r}"
    info = np.finfo(dtype)
    subnormal = (want > 0) & (want < info.smallest_normal)
    assert subnormal.sum() > 1000 and (got[subnormal] > 0).all()  # the range was tested, and not flushed to 0
    assert (got[want == 0] == 0).all() and (want == 0).sum() > 1000


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_exp_minus_abs_ends_are_exact(dtype) -> None:
    z = np.array([0.0, -0.0, 1000.0, float(np.finfo(dtype).max)], dtype=dtype)
    got = np.empty_like(z)
    exp_minus_abs_all(z, got)
    assert got.tolist() == [1.0, 1.0, 0.0, 0.0]


def log1p_arguments(dtype: type[np.floating]) -> np.ndarray:
    """x in [0, 1]: uniform, log-uniform down to the subnormals (x = exp(-|z|)), around sqrt(2) - 1, the ends."""
    rng = np.random.default_rng(1)
    info = np.finfo(dtype)
    lowest_exponent = math.log2(float(info.smallest_subnormal))
    parts = [
        rng.random(100_000),
        2.0 ** rng.uniform(lowest_exponent, 0, 100_000),
        math.sqrt(2) - 1 + rng.uniform(-1e-3, 1e-3, 10_000),  # where u = 1 + x crosses sqrt(2)
        [0.0, 1.0, float(info.smallest_subnormal), float(info.smallest_normal), float(info.eps), 0.5],
    ]
    return np.clip(np.concatenate([np.asarray(p, dtype=np.float64) for p in parts]), 0, 1).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_log1p_unit_is_within_bound_on_zero_to_one(dtype) -> None:
    x = log1p_arguments(dtype)
    got = np.empty_like(x)
    log1p_unit_all(x, got)
    want = libm_log1p(x)
    errors = ulps_apart(got, want)
    worst = int(errors.argmax())
    assert errors.max() <= ULP_BOUND, f"{errors.max()} ulp at x = {x[worst]!r}: {got[worst]!r} vs {want[worst]!r}"
    tiny = x < np.finfo(dtype).eps ** 2
    assert tiny.sum() > 1000 and (got[tiny] == x[tiny]).all()  # log1p(x) = x exactly there, subnormals too


@settings(deadline=None)  # the first example compiles
@given(st.floats(min_value=-1e308, max_value=1e308, allow_nan=False))
def test_exp_minus_abs_float64_property(z: float) -> None:
    want = math.exp(-abs(z))
    got = exp_minus_abs(z)
    assert ulps_apart(np.array([got]), np.array([want]))[0] <= ULP_BOUND


@settings(deadline=None)  # the first example compiles
@given(st.floats(min_value=0.0, max_value=1.0))
def test_log1p_unit_float64_property(x: float) -> None:
    assert ulps_apart(np.array([log1p_unit(x)]), np.array([math.log1p(x)]))[0] <= ULP_BOUND


@settings(deadline=None)  # the first example compiles
@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_exp_minus_abs_float32_property(z: float) -> None:
    z32 = np.float32(z)
    got = np.float32(exp_minus_abs(z32))  # numba returns a float32 result as a Python float, exactly
    assert ulps_apart(np.array([got]), libm_exp_minus_abs(np.array([z32])))[0] <= ULP_BOUND


def test_float_format_follows_the_argument_type() -> None:
    assert float_format(np.float32(1.0)) is F32 and float_format(np.ones(2, np.float32)) is F32
    assert float_format(1.0) is F64 and float_format(np.ones(2)) is F64
    assert all(type(c) is np.float32 for c in (*F32.exp_taylor, *F32.log_r, F32.exp_ln2_lo, F32.lowest))


@pytest.mark.parametrize(("dtype", "llvm_type"), [(np.float64, "double"), (np.float32, "float")])
def test_a_loop_over_them_vectorizes(dtype, llvm_type) -> None:
    # The point of these functions: a loop that calls them becomes SIMD code (here the division in
    # log1p and the bit casts of exp, on vectors), with no call left to a scalar libm function.
    def loop(z, out):  # type: ignore[no-untyped-def]
        for i in range(z.size):
            out[i] = log1p_unit(exp_minus_abs(z[i]))

    compiled = numba.njit(**KERNEL_FLAGS)(loop)
    z = np.linspace(-5, 5, 64, dtype=dtype)
    out = np.empty_like(z)
    compiled(z, out)
    llvm_ir = compiled.inspect_llvm(compiled.signatures[0])
    assert re.search(rf"fdiv [^\n]*<\d+ x {llvm_type}>", llvm_ir), "the loop was not vectorized"
    assert not re.search(r"call [^\n]*@(exp|log|log1p|expf|logf)\b", llvm_ir)
    expected = np.log1p(np.exp(-np.abs(z.astype(np.float64))))
    np.testing.assert_allclose(out, expected, rtol=4 * np.finfo(dtype).eps)
