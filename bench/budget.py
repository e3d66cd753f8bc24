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

import pandas as pd

from bench.model import Caches, TooFewCasesError, fit_model


def calls_per_case(passes: int, min_rounds: int) -> int:
    """The fewest calls a case makes in a sweep: per pass its rounds and pytest-benchmark's calibration
    call, plus one agreement check in the first pass."""
    return passes * (min_rounds + 1) + 1


@dataclass
class Predictor:
    """Measured median seconds per step, by implementation and (m, n_x)."""

    measured: dict[str, dict[tuple[int, int], float]] = field(default_factory=dict)
    caches: Caches = field(default_factory=Caches.of_this_machine)
    itemsize: int = 8

    def record(self, impl: str, m: int, n_x: int, seconds: float) -> None:
        self.measured.setdefault(impl, {})[(m, n_x)] = seconds

    def predict(self, impl: str, m: int, n_x: int) -> float | None:
        """Seconds per step at (m, n_x) from smaller measured sizes; None if there are none."""
        sizes = self.measured.get(impl, {})
        modelled = self._from_model(impl, sizes, m, n_x)
        if modelled is not None:
            return modelled
        same_n_x = [mm for (mm, nn) in sizes if nn == n_x and mm <= m]
        if same_n_x:
            base_m = max(same_n_x)
            return sizes[(base_m, n_x)] * m / base_m
        smaller = [(mm * nn, s) for (mm, nn), s in sizes.items() if mm * nn <= m * n_x]
        if not smaller:
            return None
        base_elements, base_seconds = max(smaller)
        return base_seconds * m * n_x / base_elements

    def _from_model(self, impl: str, sizes: dict[tuple[int, int], float], m: int, n_x: int) -> float | None:
        dtype = f"float{8 * self.itemsize}"
        rows = [(impl, 1, dtype, mm, nn, mm * nn * self.itemsize, s) for (mm, nn), s in sizes.items()]
        cases = pd.DataFrame(rows, columns=["impl", "threads", "dtype", "m", "n_x", "bytes_x", "seconds"])
        try:
            model = fit_model(cases, self.caches, intervals=False)
        except TooFewCasesError:
            return None
        return float(model.predict(m, n_x)[0])
