"""What the numba implementations share: the core's stable math, compiled two ways, and warm-up."""

import numba
import numpy as np

from impls.core import StepFunction, dz_and_loss_scalar, validate
from impls.simd_math import exp_minus_abs, float_format, log1p_unit

# The core's own scalar math, compiled: numba_loop uses exactly the same formulas, with libm's exp and log.
dz_and_loss_compiled = numba.njit(dz_and_loss_scalar, cache=True)


# inline="always": numba inlines this into the caller's loop itself, where LLVM's inliner would find
# it too big once exp and log1p are inlined into it, and leave a call that stops vectorization.
@numba.njit(cache=True, error_model="numpy", fastmath={"contract"}, inline="always")
def dz_and_loss_vectorizable(z, y):  # type: ignore[no-untyped-def]
    """`impls.core.dz_and_loss_scalar` with `impls.simd_math`'s exp and log1p, in z's type.

    The same formulas, so that a loop over examples vectorizes: with
    s = 1 - 2y, dz = s sigmoid(s z) = s (1 or e) / (1 + e) and
    loss = log1p(e) + max(s z, 0), e = exp(-|z|). s is a select on y, so
    that a float64 y does not turn float32 math into float64.
    `error_model="numpy"`: 1 + e >= 1 is never 0, and Python's check for a
    division by zero would be a branch that stops vectorization.
    tests/test_compiled.py checks it against the core's.
    """
    f = float_format(z)
    s = -f.one if y != 0 else f.one
    sz = s * z
    e = exp_minus_abs(z)
    dz = s * (f.one if sz >= f.zero else e) / (f.one + e)
    return dz, log1p_unit(e) + max(sz, f.zero)


def compile_with_tiny_problem(step: StepFunction) -> None:
    """Call `step` on a 2 x 3 problem as `validate` hands it over, from float64 and from float32 data.

    numba compiles one machine-code version per argument type signature.
    Going through `validate` compiles (or loads from cache) exactly the
    signatures a benchmark calls, whatever dtypes validation keeps, so a
    benchmark that calls this first never times compilation.
    """
    for dtype in (np.float64, np.float32):
        X = np.arange(6.0, dtype=dtype).reshape(2, 3)
        step(*validate(X, np.array([[0.0, 1.0, 1.0]], dtype=dtype), np.zeros((2, 1), dtype=dtype), 0.0))
