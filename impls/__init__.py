"""Interchangeable implementations of one logistic-regression gradient step.

`IMPLEMENTATIONS` maps a stable name to an `Implementation`: first the
three the course notes describe, written carefully; then the same three as
the notes write them (`notes_*`: numerically naive, see impls/notes_math.py);
then compiled ones (numba), then peers from other libraries where installed.
Each module registers itself on import; `UNAVAILABLE` names the peers that
could not be, and why.
"""

import importlib
import importlib.util

from impls.core import (
    IMPLEMENTATIONS,
    UNAVAILABLE,
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

# Peers are optional (pip install -e '.[peers]'): one that cannot load is named in UNAVAILABLE with the reason.
for _peer, (_module, _project) in {"sklearn_peer": ("sklearn", "scikit-learn"), "jax_peer": ("jax", "JAX")}.items():
    if importlib.util.find_spec(_module) is None:
        UNAVAILABLE[_peer] = f"{_peer} needs {_project}, which is not installed: pip install -e '.[peers]'"
        continue
    try:
        importlib.import_module(f"impls.{_peer}")
    except ImportError as error:
        UNAVAILABLE[_peer] = str(error)

if importlib.util.find_spec("dask") is not None and importlib.util.find_spec("distributed") is not None:
    importlib.import_module("impls.dask_array")  # dask itself loads at its first step
else:
    UNAVAILABLE["dask_array"] = (
        "dask_array needs the optional extra 'scale', not installed here: pip install -e '.[scale]'"
    )

__all__ = [
    "IMPLEMENTATIONS",
    "UNAVAILABLE",
    "Gradient",
    "Implementation",
    "Problem",
    "TrainResult",
    "get_implementation",
    "relative_error",
    "train",
    "validate",
]
