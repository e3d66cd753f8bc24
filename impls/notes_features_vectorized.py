"""The notes' one-loop gradient step, as written: the feature loop replaced by numpy.

The course notes' first vectorization, dw becoming a vector:

    J = 0;  dw = zeros((n_x, 1));  db = 0
    for i = 1 to m:
        z_i = w.T x_i + b
        a_i = sigmoid(z_i)
        J += -(y_i log(a_i) + (1 - y_i) log(1 - a_i))
        dz_i = a_i - y_i
        dw += x_i dz_i
        db += dz_i
    J /= m;  dw /= m;  db /= m

typed in as a student would: `np.dot(w.T, X[:, i])` (a 1-element array, so
z_i, a_i, dz_i and J are 1-element arrays too), `dw += X[:, [i]] * dz_i`
(the column x_i kept 2-D), the notes' `sigmoid` and `np.log`. Neither
optimized nor slowed down. `features_vectorized` is the same loop written
carefully (a 1-D view per example, Python floats, the stable cost).

Numerically naive (impls/notes_math.py): it agrees with the careful
implementations to 1e-9 only for |z| <= 15; `np.log(1 - a)` is -inf once
`a` rounds to 1 (z > 36.7), and `np.exp(-z)` overflows for z < -709.8.
"""

import numpy as np

from impls.core import Gradient, Implementation, register
from impls.notes_math import SAFE_ABS_Z, sigmoid


def step(X: np.ndarray, Y: np.ndarray, w: np.ndarray, b: float) -> Gradient:
    """One gradient step: the notes' loop over examples, numpy over the features of each."""
    n_x, m = X.shape
    J = 0.0
    dw = np.zeros((n_x, 1))
    db = 0.0
    for i in range(m):
        z_i = np.dot(w.T, X[:, i]) + b
        a_i = sigmoid(z_i)
        J += -(Y[0, i] * np.log(a_i) + (1 - Y[0, i]) * np.log(1 - a_i))
        dz_i = a_i - Y[0, i]
        dw += X[:, [i]] * dz_i
        db += dz_i
    J /= m
    dw /= m
    db /= m
    return Gradient(dw, float(np.squeeze(db)), float(np.squeeze(J)))


IMPL = register(
    Implementation(
        name="notes_features_vectorized",
        label="features vectorized (notes, as written)",
        description="the notes' one loop as written: np.dot per example, np.exp and np.log (naive math)",
        loops_removed=1,
        step=step,
        safe_abs_z=SAFE_ABS_Z,
    )
)
