"""A peer, not ours: scikit-learn's own logistic loss and gradient.

`LinearModelLoss(HalfBinomialLoss(), fit_intercept=True)` with no
regularization computes exactly our J, dw and db (mean over examples of
log(1 + e^z) - y z and its gradient), on the transposed layout
(n_samples, n_features): `X.T` is a view, so nothing is copied. It uses
scikit-learn's Cython loss on OpenMP threads, as LogisticRegression does.

scikit-learn is imported at the first step (or warm-up), not when the
registry loads: it takes over a second, which every benchmark worker of
another implementation would otherwise pay.
"""

import functools
from importlib import metadata
from typing import Any

import numpy as np

from impls.core import Gradient, Implementation, register


@functools.cache
def _loss() -> tuple[Any, int]:
    """scikit-learn's loss object and its OpenMP thread count (read from the environment once)."""
    try:
        from sklearn._loss.loss import HalfBinomialLoss
        from sklearn.linear_model._linear_loss import LinearModelLoss
        from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
    except ImportError as error:  # the peer uses private modules, which may move
        raise ImportError(
            "sklearn_peer needs scikit-learn (pip install -e .[peers]) with the private "
            f"LinearModelLoss and HalfBinomialLoss of versions 1.1 to 1.9: {error}"
        ) from error
    return LinearModelLoss(base_loss=HalfBinomialLoss(), fit_intercept=True), _openmp_effective_n_threads()


def _warmup() -> None:
    _loss()


def step(X: np.ndarray, Y: np.ndarray, w: np.ndarray, b: float) -> Gradient:
    """One gradient step by scikit-learn's LinearModelLoss.loss_gradient."""
    loss, n_threads = _loss()
    # The intercept last, as scikit-learn keeps it; in X's dtype, or X @ coef would promote X to float64.
    coef = np.append(w[:, 0], b).astype(X.dtype)
    cost, gradient = loss.loss_gradient(coef, X.T, Y[0], n_threads=n_threads)
    return Gradient(gradient[:-1].reshape(-1, 1), float(gradient[-1]), float(cost))


IMPL = register(
    Implementation(
        name="sklearn_peer",
        label="scikit-learn (peer)",
        description=f"scikit-learn {metadata.version('scikit-learn')} LinearModelLoss (a peer library, for reference)",
        loops_removed=2,
        step=step,
        peer=True,
        parallel=True,  # OpenMP loss loop and BLAS products
        float32=True,  # its Cython loss has float32 loops
        imports=("sklearn._loss.loss", "sklearn.linear_model._linear_loss", "sklearn.utils._openmp_helpers"),
        warmup=_warmup,
    )
)
