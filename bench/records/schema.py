"""A run's vocabulary, spelled once: the kinds of case, the dtypes, the columns that identify a case."""

import pandas as pd

from impls.core import DTYPES

STEP, TRAIN = "step", "train"  # a gradient step, or a training run of many steps
WIDE, NARROW = DTYPES  # float64 and float32: the dtypes a run may measure, the reference first
DEFAULT_DTYPE = WIDE

SIZE = ["m", "n_x"]
PAIRING = ["kind", "m", "n_x", "dtype"]  # what a speedup pairs on: the same problem
# What identifies a case: the same implementation at another thread count is another case.
CASE = ["kind", "impl", "threads", "dtype", "m", "n_x"]


def dtypes_in(frame: pd.DataFrame) -> list[str]:
    """The dtypes of `frame`'s rows, float64 first (float64 alone when it has no rows)."""
    present = set(frame.dtype)
    return [dtype for dtype in (WIDE, NARROW) if dtype in present] or [WIDE]
