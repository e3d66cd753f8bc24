"""The notes' two-loop gradient step, as written: numpy arrays indexed element by element.

The course notes' "logistic regression on m examples", for n_x features:

    J = 0;  dw = zeros((n_x, 1));  db = 0
    for i = 1 to m:
        z_i = sum_j w_j x_ji + b
        a_i = sigmoid(z_i)
        J += -(y_i log(a_i) + (1 - y_i) log(1 - a_i))
        dz_i = a_i - y_i
        for j = 1 to n_x:  dw_j += x_ji dz_i
        db += dz_i
    J /= m;  dw /= m;  db /= m

typed in as a student would: `w[j, 0] * X[j, i]` on the numpy arrays, the
notes' `sigmoid` (`1 / (1 + np.exp(-z))`) and `np.log` on numpy scalars.
Neither optimized nor slowed down: it is the loop the notes' ~300x is
measured against. `double_loop` is the same algorithm written carefully
(Python lists, `math`, the stable cost), 3 to 6 times faster.

Numerically naive (impls/notes_math.py): it agrees with the careful
implementations to 1e-9 only for |z| <= 15; `np.log(1 - a)` is -inf once
`a` rounds to 1 (z > 36.7), and `np.exp(-z)` overflows for z < -709.8.
"""

import numpy as np

from impls.core import Gradient, Implementation, register
from impls.notes_math import SAFE_ABS_Z, sigmoid


def step(X: np.ndarray, Y: np.ndarray, w: np.ndarray, b: float) -> Gradient:
    """One gradient step: the notes' loop over examples and loop over features, element by element."""
    n_x, m = X.shape
    J = 0.0
    dw = np.zeros((n_x, 1))
    db = 0.0
    for i in range(m):
        z_i = 0.0
        for j in range(n_x):
            z_i += w[j, 0] * X[j, i]
        z_i += b
        a_i = sigmoid(z_i)
        J += -(Y[0, i] * np.log(a_i) + (1 - Y[0, i]) * np.log(1 - a_i))
        dz_i = a_i - Y[0, i]
        for j in range(n_x):
            dw[j, 0] += X[j, i] * dz_i
        db += dz_i
    J /= m
    dw /= m
    db /= m
    return Gradient(dw, float(db), float(J))


IMPL = register(
    Implementation(
        name="notes_double_loop",
        label="double loop (notes, as written)",
        description="the notes' two loops as written: numpy elements, np.exp and np.log on scalars (naive math)",
        loops_removed=0,
        step=step,
        safe_abs_z=SAFE_ABS_Z,
    )
)
