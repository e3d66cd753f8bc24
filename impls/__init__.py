"""Interchangeable implementations of one logistic-regression gradient step.

`IMPLEMENTATIONS` maps a stable name to an `Implementation`: first the
three the course notes describe, then compiled ones (numba), then peers
from other libraries where installed. Each module registers itself on import.
"""

import importlib
import importlib.util
import warnings

from impls.core import (
    IMPLEMENTATIONS,
    Gradient,
    Implementation,
    Problem,
    TrainResult,
    get_implementation,
    relative_error,
    train,
    validate,
)

# Importing a module registers its implementation: this order is the registry's.
for _module in ("double_loop", "features_vectorized", "fully_vectorized", "numba_loop", "numba_fused"):
    importlib.import_module(f"impls.{_module}")

if importlib.util.find_spec("sklearn") is not None:  # the peer is optional: pip install -e .[peers]
    try:
        importlib.import_module("impls.sklearn_peer")
    except ImportError as error:
        warnings.warn(f"sklearn_peer not registered: {error}", stacklevel=2)

__all__ = [
    "IMPLEMENTATIONS",
    "Gradient",
    "Implementation",
    "Problem",
    "TrainResult",
    "get_implementation",
    "relative_error",
    "train",
    "validate",
]
