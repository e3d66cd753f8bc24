"""Why each claim holds where it does, from the cost models (bench/analysis/model.py): limits, boundaries, sentences.

A speedup is a ratio of two models, (a + b m + c m n_x) / (a' + b' m + c' m n_x).
At large m the per-call costs vanish and it tends to (b + c n_x) / (b' + c' n_x):
the ratio of per-example costs where n_x is small, of per-element costs where
n_x is large. At small m the vectorized step's per-call cost a' holds it down.
So the models say where a claim holds between and beyond the measured sizes,
and why it fails where it fails.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.analysis.claims import CLAIMS, DOES_NOT_HOLD, EXCEEDED, HOLDS, ONE_THREAD, SETTINGS, UNDECIDED, Claim
from bench.analysis.model import LEVELS, CostModel, interval
from bench.records.schema import WIDE

GRID_POINTS = 61  # per axis of the fine grid the boundaries are traced on (15 per decade over m = 1e2..1e6)

Models = dict[tuple[str, int, str], CostModel]


def setting_model(models: Models, impl: str, setting: str, dtype: str = WIDE) -> CostModel | None:
    """The model an implementation runs with in a setting: 1 thread, or its most threads (as installed)."""
    fitted = [model for (name, _, kind), model in models.items() if name == impl and kind == dtype]
    if setting == ONE_THREAD:
        fitted = [model for model in fitted if model.threads == 1]
    return max(fitted, key=lambda model: model.threads, default=None)


def log_grid(low: float, high: float, points: int = GRID_POINTS) -> np.ndarray:
    return np.logspace(np.log10(low), np.log10(high), points)


@dataclass(frozen=True)
class ModelSpeedup:
    """One claim's speedup according to the models on a fine (n_x, m) grid, in one setting."""

    claim: Claim
    setting: str
    m: np.ndarray  # the grid's columns
    n_x: np.ndarray  # its rows
    speedup: np.ndarray  # [n_x index, m index]: baseline model / implementation model
    low: np.ndarray  # its 95% interval, from the two models' bootstrap resamples
    high: np.ndarray

    @property
    def verdict(self) -> np.ndarray:
        """The claim's verdict per grid point, from the interval, as for a measured cell."""
        band_low, band_high = self.claim.band
        decided = np.where(self.low > band_high, EXCEEDED, np.where(self.high < band_low, DOES_NOT_HOLD, HOLDS))
        inside = (self.low >= band_low) & (self.high <= band_high)
        return np.where((decided == HOLDS) & ~inside, UNDECIDED, decided)


def model_speedup(
    base: CostModel, impl: CostModel, claim: Claim, setting: str, m: np.ndarray, n_x: np.ndarray
) -> ModelSpeedup:
    """The claim's speedup, base model over implementation model, predicted on the grid m x n_x."""
    m_grid, n_x_grid = np.meshgrid(m, n_x)
    (base_s, base_resampled), (impl_s, impl_resampled) = (
        model.predict_samples(m_grid, n_x_grid) for model in (base, impl)
    )
    low, high = interval(base_resampled / impl_resampled)
    return ModelSpeedup(claim, setting, m, n_x, base_s / impl_s, low, high)


def _span(values: np.ndarray) -> str:
    low, high = f"{values.min():.3g}x", f"{values.max():.3g}x"
    return low if low == high else f"{low} to {high}"


def _m(value: float) -> str:
    return f"{value:.2g}".replace("e+0", "e").replace("e+", "e")


def along_m(found: ModelSpeedup, row: int) -> str:
    """Where along m the claim holds at one grid row, e.g. 'does not hold for m < 400 (11x to 146x), holds ...'."""
    verdicts, speedups, m = found.verdict[row], found.speedup[row], found.m
    starts = [0, *np.flatnonzero(verdicts[1:] != verdicts[:-1]) + 1]
    ends = [*starts[1:], len(m)]
    if len(starts) == 1:
        return f"{verdicts[0]} at every m ({_span(speedups)})"
    parts = []
    for index, (start, end) in enumerate(zip(starts, ends)):
        where = f"m < {_m(m[end])}" if index == 0 else f"m >= {_m(m[start])}"
        if 0 < index < len(starts) - 1:
            where = f"m = {_m(m[start])}" + (f" to {_m(m[end - 1])}" if end - start > 1 else "")
        parts.append(f"{verdicts[start]} for {where} ({_span(speedups[start:end])})")
    return ", ".join(parts)


def boundary_sentences(found: ModelSpeedup, n_xs: list[int]) -> list[str]:
    """Per measured n_x, where along m the models put the claim: the boundary, in words."""
    rows = [int(np.argmin(np.abs(np.log(found.n_x / n_x)))) for n_x in n_xs]
    return [f"n_x = {n_x}: {along_m(found, row)}" for n_x, row in zip(n_xs, rows)]


def _ns(seconds: float) -> str:
    nanoseconds = seconds * 1e9
    return f"{nanoseconds:.0f} ns" if nanoseconds >= 1000 else f"{nanoseconds:.3g} ns"


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.3g}x" if denominator > 0 else "unbounded: no measurable cost"


def why_sentences(base: CostModel, impl: CostModel) -> list[str]:
    """The speedup's limits in numbers: per element of X (per cache level), per example, and the per-call cost."""
    levels = [level for level in LEVELS if level in impl.terms.element_levels] or ["memory"]
    per_element = "; ".join(
        f"{_ns(base.element_cost(level)[0])} against {_ns(impl.element_cost(level)[0])}"
        + (f" with X in {level}" if impl.terms.element_levels else "")
        + f" ({_ratio(base.element_cost(level)[0], impl.element_cost(level)[0])})"
        for level in levels
    )
    base_example, impl_example = base.coefficient("example")[0], impl.coefficient("example")[0]
    sentences = [
        f"Per element of X, the limit at large m and n_x: {base.impl} {per_element}.",
        f"Per example (exp, log1p and the per-example work), the limit at large m and small n_x: {base.impl} "
        f"{_ns(base_example)} against {_ns(impl_example)} ({_ratio(base_example, impl_example)}).",
    ]
    impl_call = impl.coefficient("call")[0]
    if impl_call > 0 and impl_example > 0:
        sentences.append(
            f"Per call, {impl.impl} pays {impl_call * 1e6:.3g} us, the cost of {impl_call / impl_example:.3g} "
            "examples: at smaller m this fixed cost dominates its time and holds the speedup down."
        )
    return sentences


@dataclass(frozen=True)
class Explanation:
    """One claim in one setting, according to the models."""

    grid: ModelSpeedup
    why: list[str]  # the limits in numbers (1 thread only: the settings share the baseline's costs)
    boundaries: list[str]  # per n_x, where along m it holds


def explain(
    models: Models, baseline: str, sizes: pd.DataFrame, claims: tuple[Claim, ...] = CLAIMS
) -> dict[tuple[str, str], Explanation]:
    """Per (claim implementation, setting): the models' speedup grid over the measured ranges and its sentences.

    `sizes` holds the run's measured (m, n_x). "all cores" appears only for an
    implementation with a model at more than one thread.
    """
    m = log_grid(float(sizes.m.min()), float(sizes.m.max()))
    n_x = log_grid(float(sizes.n_x.min()), float(sizes.n_x.max()))
    n_xs = sorted(int(n) for n in sizes.n_x.unique())
    found = {}
    for claim in claims:
        for setting in SETTINGS:
            impl = setting_model(models, claim.impl, setting)
            base = setting_model(models, baseline, ONE_THREAD)
            if base is None or impl is None or (setting != ONE_THREAD and impl.threads == 1):
                continue
            grid = model_speedup(base, impl, claim, setting, m, n_x)
            why = why_sentences(base, impl) if setting == ONE_THREAD else []
            found[(claim.impl, setting)] = Explanation(grid, why, boundary_sentences(grid, n_xs))
    return found
