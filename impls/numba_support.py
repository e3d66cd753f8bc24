"""What the numba implementations share: the compiled core math and warm-up."""

import numba
import numpy as np

from impls.core import StepFunction, dz_and_loss_scalar

# The core's own scalar math, compiled: numba kernels use exactly the same formulas.
dz_and_loss_compiled = numba.njit(dz_and_loss_scalar, cache=True)


def compile_with_tiny_problem(step: StepFunction) -> None:
    """Call `step` once on a 2 x 3 problem of the benchmark's dtypes and layout.

    numba compiles one machine-code version per argument type signature;
    float64 C-contiguous arrays and a float b are the only ones the project
    uses, so this one call compiles (or loads from cache) everything, and a
    benchmark that calls it first never times compilation.
    """
    X = np.arange(6.0).reshape(2, 3)
    step(X, np.array([[0.0, 1.0, 1.0]]), np.zeros((2, 1)), 0.0)
