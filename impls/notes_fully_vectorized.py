"""The notes' vectorized gradient step, as written: no explicit loop.

The course notes' vectorized logistic regression:

    Z = np.dot(w.T, X) + b
    A = sigmoid(Z)
    J = -1/m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    dZ = A - Y
    dw = 1/m * np.dot(X, dZ.T)
    db = 1/m * np.sum(dZ)

with the notes' `sigmoid` (`1 / (1 + np.exp(-Z))`). Neither optimized nor
slowed down. `fully_vectorized` is the same step with the stable cost and dZ
(impls/core.py): the same two matrix-vector products, different elementwise
work on the m values of Z.

Numerically naive (impls/notes_math.py): it agrees with the careful
implementations to 1e-9 only for |z| <= 15; `np.log(1 - A)` is -inf once
an `A` rounds to 1 (z > 36.7), and `np.exp(-Z)` overflows for z < -709.8.
"""

import numpy as np

from impls.core import Gradient, Implementation, register
from impls.notes_math import SAFE_ABS_Z, sigmoid


def step(X: np.ndarray, Y: np.ndarray, w: np.ndarray, b: float) -> Gradient:
    """One gradient step on whole arrays, the notes' lines one for one."""
    m = X.shape[1]
    Z = np.dot(w.T, X) + b
    A = sigmoid(Z)
    J = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    dZ = A - Y
    dw = 1 / m * np.dot(X, dZ.T)
    db = 1 / m * np.sum(dZ)
    return Gradient(dw, float(db), float(J))


IMPL = register(
    Implementation(
        name="notes_fully_vectorized",
        label="fully vectorized (notes, as written)",
        description="the notes' vectorized lines as written: numpy/BLAS, np.exp and np.log (naive math)",
        loops_removed=2,
        step=step,
        parallel=True,  # BLAS matrix-vector products
        safe_abs_z=SAFE_ABS_Z,
    )
)
