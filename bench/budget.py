"""Predicting a case's time from the smaller sizes measured before it.

Once an implementation has enough measured sizes, a case is predicted by its
cost model (bench/model.py: a + b*m + c*m*n_x, fitted on what this worker
measured so far), the same model the report and `predict` use. Before that,
from the largest smaller m measured at the same n_x (a step's time is linear
in m at a fixed n_x); without one, it scales the largest smaller case by
m * n_x, the work ratio, which errs high where per-example overheads
dominate (small n_x), so the budget then skips early rather than late. A
case the prediction puts over budget is skipped and shown as extrapolated,
never as measured.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bench.model import Caches, TooFewCasesError, fit_model
from bench.profiles import DEFAULT_DTYPE


def calls_per_case(passes: int, min_rounds: int) -> int:
    """The fewest calls a case makes in a sweep: per pass its rounds and pytest-benchmark's calibration
    call, plus one agreement check in the first pass."""
    return passes * (min_rounds + 1) + 1


@dataclass
class Predictor:
    """Measured median seconds per step, by implementation and dtype, then (m, n_x)."""

    measured: dict[tuple[str, str], dict[tuple[int, int], float]] = field(default_factory=dict)
    caches: Caches = field(default_factory=Caches.of_this_machine)

    def record(self, impl: str, m: int, n_x: int, seconds: float, dtype: str = DEFAULT_DTYPE) -> None:
        self.measured.setdefault((impl, dtype), {})[(m, n_x)] = seconds

    def predict(self, impl: str, m: int, n_x: int, dtype: str = DEFAULT_DTYPE) -> float | None:
        """Seconds per step at (m, n_x) from smaller measured sizes; None if there are none.

        From the same dtype's sizes, or, with none, from float64's: a
        narrower dtype is no slower, so that errs high, as the budget prefers.
        """
        own = self._predict(impl, dtype, m, n_x)
        if own is None and dtype != DEFAULT_DTYPE:
            return self._predict(impl, DEFAULT_DTYPE, m, n_x)
        return own

    def _predict(self, impl: str, dtype: str, m: int, n_x: int) -> float | None:
        sizes = self.measured.get((impl, dtype), {})
        modelled = self._from_model(impl, dtype, sizes, m, n_x)
        return modelled if modelled is not None else _from_smaller(sizes, m, n_x)

    def _from_model(self, impl: str, dtype: str, sizes: dict[tuple[int, int], float], m: int, n_x: int) -> float | None:
        itemsize = np.dtype(dtype).itemsize
        rows = [(impl, 1, dtype, mm, nn, mm * nn * itemsize, s) for (mm, nn), s in sizes.items()]
        cases = pd.DataFrame(rows, columns=["impl", "threads", "dtype", "m", "n_x", "bytes_x", "seconds"])
        try:
            model = fit_model(cases, self.caches, intervals=False)
        except TooFewCasesError:
            return None
        return float(model.predict(m, n_x)[0])


def _from_smaller(sizes: dict[tuple[int, int], float], m: int, n_x: int) -> float | None:
    same_n_x = [mm for (mm, nn) in sizes if nn == n_x and mm <= m]
    if same_n_x:
        base_m = max(same_n_x)
        return sizes[(base_m, n_x)] * m / base_m
    smaller = [(mm * nn, s) for (mm, nn), s in sizes.items() if mm * nn <= m * n_x]
    if not smaller:
        return None
    base_elements, base_seconds = max(smaller)
    return base_seconds * m * n_x / base_elements
