"""The double loop of `double_loop`, compiled by numba.

Same algorithm, same scalar math (the core's `dz_and_loss_scalar`,
compiled), same loop order: examples outside, features inside. It shows how
much of the loop penalty is Python's rather than the loop's. One thread and
strict floating-point order: nothing here is parallelized or vectorized by hand.
"""

import numba
import numpy as np

from impls.core import Gradient, Implementation, register
from impls.numba_support import compile_with_tiny_problem, dz_and_loss_compiled


@numba.njit(cache=True)
def _double_loop(X, y, weights, b):  # type: ignore[no-untyped-def]
    n_x, m = X.shape
    dw = np.zeros(n_x)
    db = 0.0
    cost = 0.0
    for i in range(m):
        z = b
        for j in range(n_x):
            z += weights[j] * X[j, i]
        dz, loss = dz_and_loss_compiled(z, y[i])
        cost += loss
        for j in range(n_x):
            dw[j] += X[j, i] * dz
        db += dz
    return dw / m, db / m, cost / m


def step(X: np.ndarray, Y: np.ndarray, w: np.ndarray, b: float) -> Gradient:
    """One gradient step: the Python double loop, compiled."""
    dw, db, cost = _double_loop(X, Y[0], w[:, 0], b)
    return Gradient(dw.reshape(-1, 1), db, cost)


IMPL = register(
    Implementation(
        name="numba_loop",
        label="double loop, numba",
        description="the double loop compiled by numba (one thread, strict order)",
        loops_removed=0,
        step=step,
        compiled=True,
        warmup=lambda: compile_with_tiny_problem(step),
    )
)
