"""The notes' vectorized step: no explicit loop, numpy/BLAS on whole arrays.

    Z = w.T X + b;  A = sigmoid(Z);  dZ = A - Y
    dw = X dZ.T / m;  db = sum(dZ) / m

Each line is one or two calls into compiled numpy loops or BLAS; the time goes
into reading X twice (two matrix-vector products) and into the elementwise
work on the m values of Z.
"""

import numpy as np

from impls.core import Gradient, Implementation, dz_and_loss, register


def step(X: np.ndarray, Y: np.ndarray, w: np.ndarray, b: float) -> Gradient:
    """One gradient step on whole arrays: two matrix-vector products (BLAS)."""
    m = X.shape[1]
    Z = w.T @ X + b
    dZ, loss = dz_and_loss(Z, Y)
    return Gradient(X @ dZ.T / m, float(dZ.sum()) / m, float(loss.sum()) / m)


IMPL = register(
    Implementation(
        name="fully_vectorized",
        label="fully vectorized (numpy)",
        description="no explicit loop: numpy/BLAS over examples and features",
        loops_removed=2,
        step=step,
        parallel=True,  # BLAS matrix-vector products
        float32=True,  # numpy keeps float32 arrays float32 (b and m are Python numbers)
    )
)
