"""The notes' "one loop remaining": a loop over examples, numpy over features.

    for i in range(m):
        z_i = w.T x_i + b               # numpy dot over the n_x features
        a_i = sigmoid(z_i);  dz_i = a_i - y_i
        dw += x_i dz_i;  db += dz_i     # numpy over the n_x features
    dw /= m;  db /= m

x_i is column i of X (a strided view); each numpy call costs microseconds of
dispatch, which is what the per-example loop keeps paying. The vectors are in
X's dtype (float32 stays float32); the per-example scalars are Python floats.
"""

import numpy as np

from impls.core import Gradient, Implementation, dz_and_loss_scalar, register


def step(X: np.ndarray, Y: np.ndarray, w: np.ndarray, b: float) -> Gradient:
    """One gradient step with a loop over examples and vector math over features."""
    n_x, m = X.shape
    weights = w[:, 0]
    dw = np.zeros(n_x, X.dtype)
    db = 0.0
    cost = 0.0
    for x_i, y_i in zip(X.T, Y[0].tolist()):  # x_i: column i of X, a view
        z = float(weights @ x_i) + b
        dz, loss = dz_and_loss_scalar(z, y_i)
        cost += loss
        dw += x_i * dz
        db += dz
    return Gradient(dw.reshape(n_x, 1) / m, db / m, cost / m)


IMPL = register(
    Implementation(
        name="features_vectorized",
        label="features vectorized (1 loop)",
        description="loop over examples, numpy over features (one loop removed); scalars in Python floats",
        loops_removed=1,
        step=step,
        float32=True,
    )
)
