"""The seed's baseline: explicit Python loops over examples and over features.

    for i in range(m):
        z_i = sum_j w_j x_ji + b
        a_i = sigmoid(z_i);  dz_i = a_i - y_i
        dw_j += x_ji dz_i  (for j in range(n_x));  db += dz_i
    dw /= m;  db /= m

Scalar math only, no numpy arithmetic inside the loops. The arrays become
Python lists once per step (part of the timed work, as it would be in real
code), because indexing numpy arrays element by element is about 3x slower
and a slow baseline would inflate every speedup the project reports. Python
floats are float64: a float32 problem is computed in float64 too, and is
measured anyway, as the baseline of float32 speedups.
"""

import numpy as np

from impls.core import Gradient, Implementation, dz_and_loss_scalar, register


def step(X: np.ndarray, Y: np.ndarray, w: np.ndarray, b: float) -> Gradient:
    """One gradient step with a loop over examples and a loop over features."""
    n_x, m = X.shape
    examples = X.T.tolist()  # one list of n_x floats per example
    labels = Y[0].tolist()
    weights = w[:, 0].tolist()
    dw = [0.0] * n_x
    db = 0.0
    cost = 0.0
    for x_i, y_i in zip(examples, labels):
        z = b
        for w_j, x_ji in zip(weights, x_i):
            z += w_j * x_ji
        dz, loss = dz_and_loss_scalar(z, y_i)
        cost += loss
        for j in range(n_x):
            dw[j] += x_i[j] * dz
        db += dz
    return Gradient(np.array(dw).reshape(n_x, 1) / m, db / m, cost / m)


IMPL = register(
    Implementation(
        name="double_loop",
        label="double loop (Python)",
        description="Python loops over examples and features, scalar math in Python floats (float64; the baseline)",
        loops_removed=0,
        step=step,
    )
)
