"""Interchangeable implementations of one logistic-regression gradient step.

`IMPLEMENTATIONS` maps a stable name to an `Implementation`: first the
three the course notes describe, written carefully; then the same three as
the notes write them (`notes_*`: numerically naive, see impls/notes_math.py);
then compiled ones (numba), then peers from other libraries where installed.
Each module registers itself on import.
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
_MODULES = (
    # the notes' three, written carefully
    "double_loop",
    "features_vectorized",
    "fully_vectorized",
    # the notes' three as the notes write them
    "notes_double_loop",
    "notes_features_vectorized",
    "notes_fully_vectorized",
    # compiled
    "numba_loop",
    "numba_fused",
)
for _module in _MODULES:
    importlib.import_module(f"impls.{_module}")

if importlib.util.find_spec("sklearn") is not None:  # the peer is optional: pip install -e .[peers]
    try:
        importlib.import_module("impls.sklearn_peer")
    except ImportError as error:
        warnings.warn(f"sklearn_peer not registered: {error}", stacklevel=2)

# Optional implementations not installed here, and the extra that brings each: for messages that say so.
MISSING_EXTRAS: dict[str, str] = {}
if importlib.util.find_spec("dask") is not None and importlib.util.find_spec("distributed") is not None:
    importlib.import_module("impls.dask_array")  # dask itself loads at its first step: pip install -e .[scale]
else:
    MISSING_EXTRAS["dask_array"] = "scale"

__all__ = [
    "IMPLEMENTATIONS",
    "MISSING_EXTRAS",
    "Gradient",
    "Implementation",
    "Problem",
    "TrainResult",
    "get_implementation",
    "relative_error",
    "train",
    "validate",
]
