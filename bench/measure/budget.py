"""Predicting a case's time from the smaller sizes measured before it.

A step costs about a + b m + c m n_x (a per call, b per example, c per
element). Scaling a measured smaller size up by the ratio of m (same n_x) or
of n_x (same m) over-estimates that, since the scaled-up parts include ones
that do not grow; so a case is predicted by the smaller of the two, from the
largest smaller m and the largest smaller n_x measured. Without either, it
scales the largest smaller case by m * n_x, the work ratio, which errs higher
still where per-example costs dominate (small n_x). A cache the larger X
falls out of can make either estimate low; the budget then skips late. A
case the prediction puts over budget is skipped and shown as extrapolated,
never as measured; the report then gives it the time the run's cost model
predicts from every measured size (bench/analysis/model.py), not this rule of thumb.
The rule stays here because every worker process imports this module, and
the model's pandas and scipy would cost each of them seconds to import.
"""

from dataclasses import dataclass, field

from bench.records.schema import DEFAULT_DTYPE


def calls_per_case(passes: int, min_rounds: int) -> int:
    """The fewest calls a case makes in a sweep: per pass its rounds and pytest-benchmark's calibration
    call, plus one agreement check in the first pass."""
    return passes * (min_rounds + 1) + 1


@dataclass
class Predictor:
    """Measured median seconds per step, by implementation and dtype, then (m, n_x)."""

    measured: dict[tuple[str, str], dict[tuple[int, int], float]] = field(default_factory=dict)

    def record(self, impl: str, m: int, n_x: int, seconds: float, dtype: str = DEFAULT_DTYPE) -> None:
        self.measured.setdefault((impl, dtype), {})[(m, n_x)] = seconds

    def predict(self, impl: str, m: int, n_x: int, dtype: str = DEFAULT_DTYPE, below: bool = False) -> float | None:
        """Seconds per step at (m, n_x) from smaller measured sizes (`below`: only those, not (m, n_x) itself);
        None if there are none.

        From the same dtype's sizes and, for a narrower dtype, from float64's
        too, which bound it from above (half the bytes are no slower): the
        smaller prediction. A float32 case scaled 100x from one stalled
        round at a small size would otherwise skip a size float64 measured.
        """

        def sizes(of_dtype: str) -> dict[tuple[int, int], float]:
            known = self.measured.get((impl, of_dtype), {})
            return {size: s for size, s in known.items() if size != (m, n_x)} if below else known

        predictions = [_from_smaller(sizes(dtype), m, n_x)]
        if dtype != DEFAULT_DTYPE:
            predictions.append(_from_smaller(sizes(DEFAULT_DTYPE), m, n_x))
        known = [p for p in predictions if p is not None]
        return min(known) if known else None


def _from_smaller(sizes: dict[tuple[int, int], float], m: int, n_x: int) -> float | None:
    scaled = []
    smaller_m = [mm for (mm, nn) in sizes if nn == n_x and mm <= m]
    if smaller_m:
        base_m = max(smaller_m)
        scaled.append(sizes[(base_m, n_x)] * m / base_m)
    smaller_n_x = [nn for (mm, nn) in sizes if mm == m and nn <= n_x]
    if smaller_n_x:
        base_n_x = max(smaller_n_x)
        scaled.append(sizes[(m, base_n_x)] * n_x / base_n_x)
    if scaled:
        return min(scaled)
    smaller = [(mm * nn, s) for (mm, nn), s in sizes.items() if mm * nn <= m * n_x]
    if not smaller:
        return None
    base_elements, base_seconds = max(smaller)
    return base_seconds * m * n_x / base_elements
