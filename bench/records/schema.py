"""A run's vocabulary, spelled once: the kinds of case, the dtypes, the columns that identify a case."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is not loaded for a name: the manager and the workers read this module
    import pandas as pd

STEP, TRAIN = "step", "train"  # a gradient step, or a training run of many steps
# The dtypes a run may measure, the reference first: impls.core.DTYPES (a test holds them equal). Spelled here, not
# imported: importing impls loads every implementation and numba, seconds in a manager or a fake worker.
WIDE, NARROW = "float64", "float32"
DEFAULT_DTYPE = WIDE

# The two loops every speedup is taken over: the careful one (Python lists and `math`) and the notes' as written.
# Spelled here because the sweep pairs them with every step (bench/measure/plan.py) and the claims judge by them.
CAREFUL_LOOP, NOTES_LOOP = "double_loop", "notes_double_loop"

# The members of a step's paired trials besides the loops (named by implementation): the step itself, a second
# copy of it (the check that pairing adds no bias) and a streaming read of X (bench/measure/trials.py).
STEP_MEMBER, SELF_MEMBER, READ_MEMBER = "step", "self", "read"

SIZE = ["m", "n_x"]
PAIRING = ["kind", "m", "n_x", "dtype"]  # what a speedup pairs on: the same problem
# What identifies a case: the same implementation at another thread count is another case.
CASE = ["kind", "impl", "threads", "dtype", "m", "n_x"]


def dtypes_in(frame: pd.DataFrame) -> list[str]:
    """The dtypes of `frame`'s rows, float64 first (float64 alone when it has no rows)."""
    present = set(frame.dtype)
    return [dtype for dtype in (WIDE, NARROW) if dtype in present] or [WIDE]
