"""Why a step takes the time it does: a cost model per implementation, fitted on a run's measured cases.

    t(m, n_x) = a + b * m + c * m * n_x

`a` is what every call pays (numpy's dispatch, a kernel's launch, a thread
pool's wake-up), `b` what each example pays (its exp and log1p, the
interpreter's per-example work), `c` what each element of X pays (a
multiply-add, and the bytes brought from wherever X lives). Where the data
show it, `c` is one coefficient per level of the memory hierarchy that X fits
in (L2, L3, memory: `Caches`), so the model steps up where X outgrows a cache.
The step is smooth over a factor of about 2 in size: a cache does not hold the
last bytes of its capacity for X alone.

The fit minimizes relative error (a 10 us case counts as much as a 10 s one)
with non-negative coefficients (`scipy.optimize.nnls`: a negative cost per
example has no meaning). Its intervals come from a residual bootstrap: the
measured relative residuals are resampled onto the fitted times and the model
refitted (`scipy.stats.bootstrap`, percentile), which widens as the
measurements scatter and as the model misfits. The leave-one-out error says
how well it predicts a size it did not see.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from bench.records.schema import STEP

LEVELS = ("L2", "L3", "memory")  # where X fits: within L2 (L1 included), within L3, neither
SHARPNESS = 6  # of the step at a cache size: X twice the size of a cache is charged 1/(1 + 2**6) = 2% at its rate
MIN_CASES = 4  # three coefficients and one case to spare for an error estimate
CONFIDENCE = 0.95
RESAMPLES = 199
SEED = 20261128  # the intervals are the same every time a run is analysed
WITHIN = 1.5  # "predicted within 1.5x": the target for sizes a model never saw


@dataclass(frozen=True)
class Caches:
    """The cache sizes that split X's per-element cost into levels; None where unknown."""

    l1d_bytes: int | None = None
    l2_bytes: int | None = None
    l3_bytes: int | None = None

    @classmethod
    def from_machine_info(cls, machine: dict) -> "Caches":
        sizes = machine.get("caches") or {}
        return cls(sizes.get("L1d"), sizes.get("L2"), sizes.get("L3"))

    def shares(self, bytes_x: np.ndarray) -> np.ndarray:
        """Per size, the share of X's per-element cost charged at each of LEVELS (rows sum to 1).

        Smooth steps: X of exactly a cache's size is charged half at that
        cache's rate and half at the next level's.
        """
        bytes_x = np.asarray(bytes_x, float)
        in_l2 = 1 / (1 + (bytes_x / self.l2_bytes) ** SHARPNESS) if self.l2_bytes else np.zeros_like(bytes_x)
        within_l3 = 1 / (1 + (bytes_x / self.l3_bytes) ** SHARPNESS) if self.l3_bytes else np.zeros_like(bytes_x)
        in_l3 = np.clip(within_l3 - in_l2, 0, 1)
        return np.column_stack([in_l2, in_l3, 1 - in_l2 - in_l3])

    def level(self, bytes_x: float) -> str:
        """The smallest level X fits in; "memory" when the sizes are unknown."""
        if self.l2_bytes is not None and bytes_x <= self.l2_bytes:
            return "L2"
        if self.l3_bytes is not None and bytes_x <= self.l3_bytes:
            return "L3"
        return "memory"


@dataclass(frozen=True)
class Terms:
    """The model's columns: per call, per example, and per element of X (once, or once per cache level)."""

    element_levels: tuple[str, ...] = ()  # empty: one per-element cost at every size

    @property
    def names(self) -> list[str]:
        per_element = [f"element_{level}" for level in self.element_levels] or ["element"]
        return ["call", "example", *per_element]

    def design(self, m: np.ndarray, n_x: np.ndarray, shares: np.ndarray) -> np.ndarray:
        """One row per size: [1, m, m * n_x], or [1, m, then m * n_x split by `shares` over the fitted levels].

        `shares` is `Caches.shares`: a level with no cost of its own has its
        share charged at the nearest fitted level's.
        """
        elements = m * n_x
        per_element = [
            elements * sum(shares[:, k] for k, level in enumerate(LEVELS) if self.fitted_level(level) == fitted)
            for fitted in self.element_levels
        ]
        return np.column_stack([np.ones_like(m), m, *(per_element or [elements])])

    def fitted_level(self, level: str) -> str:
        """The level whose cost a size at `level` is charged: its own, else the nearest fitted one."""
        if not self.element_levels or level in self.element_levels:
            return level
        position = LEVELS.index(level)
        return min(self.element_levels, key=lambda fitted: abs(LEVELS.index(fitted) - position))


def fit_relative(design: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Non-negative coefficients minimizing the sum of squared relative errors (design @ x - seconds) / seconds."""
    coefficients, _ = optimize.nnls(design / seconds[:, None], np.ones_like(seconds))
    return coefficients


@dataclass(frozen=True)
class CostModel:
    """One implementation's fitted model at one thread count and dtype (build it with `fit_model`)."""

    impl: str
    threads: int
    dtype: str
    terms: Terms
    caches: Caches
    coefficients: np.ndarray  # seconds per call, per example, per element (per level)
    samples: np.ndarray = field(repr=False)  # bootstrap coefficients, one row per resample
    cases: int
    fit_error: float  # median |fitted / measured - 1| over the cases
    loo_error: float  # median |predicted / measured - 1|, each case predicted by a fit without it
    loo_within: float  # fraction of cases predicted within WITHIN x of what was measured
    largest_elements: int  # the largest m * n_x measured
    itemsize: int

    def coefficient(self, name: str) -> tuple[float, float, float]:
        """(value, low, high) of one coefficient in seconds, e.g. "call" or "element_L3"."""
        column = self.terms.names.index(name)
        low, high = interval(self.samples[:, column])
        return float(self.coefficients[column]), float(low), float(high)

    def element_cost(self, level: str) -> tuple[float, float, float]:
        """Seconds per element of X when X fits in `level` (the nearest fitted level's cost)."""
        if not self.terms.element_levels:
            return self.coefficient("element")
        return self.coefficient(f"element_{self.terms.fitted_level(level)}")

    def _rows(self, m: np.ndarray, n_x: np.ndarray) -> np.ndarray:
        return self.terms.design(m, n_x, self.caches.shares(m * n_x * self.itemsize))

    def predict_samples(self, m: object, n_x: object) -> tuple[np.ndarray, np.ndarray]:
        """Seconds per step at each (m, n_x) (broadcast), and the same from each bootstrap resample (last axis)."""
        m_values, n_x_values = np.broadcast_arrays(np.asarray(m, float), np.asarray(n_x, float))
        rows = self._rows(m_values.ravel(), n_x_values.ravel())
        shape = m_values.shape
        return (rows @ self.coefficients).reshape(shape), (rows @ self.samples.T).reshape(*shape, -1)

    def predict(self, m: object, n_x: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Seconds per step at each (m, n_x) (broadcast): (predicted, low, high), the 95% bootstrap interval."""
        predicted, resampled = self.predict_samples(m, n_x)
        low, high = interval(resampled)
        return predicted, low, high


def interval(resampled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 95% percentile interval over the last axis (the bootstrap resamples)."""
    low, high = np.quantile(resampled, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2], axis=-1)
    return low, high


class TooFewCasesError(ValueError):
    """A model cannot be fitted: too few measured sizes, or all at one m or one n_x."""


def _check_enough(cases: pd.DataFrame, name: str) -> None:
    if len(cases) < MIN_CASES or cases.m.nunique() < 2 or cases.n_x.nunique() < 2:
        raise TooFewCasesError(
            f"{name}: a cost model needs at least {MIN_CASES} measured sizes with at least 2 values of m and "
            f"2 of n_x; the run has {len(cases)} ({cases.m.nunique()} m, {cases.n_x.nunique()} n_x)"
        )


def _loo_ratios(design: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """predicted / measured for each case, from a fit on all the other cases."""
    ratios = np.empty_like(seconds)
    for i in range(len(seconds)):
        others = np.arange(len(seconds)) != i
        ratios[i] = design[i] @ fit_relative(design[others], seconds[others]) / seconds[i]
    return ratios


def _candidate_terms(levels: np.ndarray) -> list[Terms]:
    """One per-element cost; and one per level, where at least two levels hold three cases or more (with fewer,
    leaving one case out leaves a level's cost to one or two cases: the leave-one-out error says nothing)."""
    populated = tuple(level for level in LEVELS if (levels == level).sum() >= 3)
    if len(populated) < 2:
        return [Terms()]
    return [Terms(), Terms(populated)]


def _loo_score(ratios: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.log(np.maximum(ratios, 1e-12)) ** 2)))


def fit_model(cases: pd.DataFrame, caches: Caches, intervals: bool = True) -> CostModel:
    """The cost model of one implementation x threads x dtype from its measured cases.

    `cases` has columns impl, threads, dtype, m, n_x, bytes_x, seconds (a
    slice of `bench.records.results.tidy`). Per-level costs are kept only when they
    predict left-out cases better than one cost for all sizes does. Without
    `intervals` (the sweep's budget needs only the prediction) the bootstrap
    is skipped and every interval is the point itself.
    """
    if cases.empty:
        raise TooFewCasesError("no measured sizes to fit a cost model on")
    impl, threads, dtype = str(cases.impl.iloc[0]), int(cases.threads.iloc[0]), str(cases["dtype"].iloc[0])
    _check_enough(cases, f"{impl} ({threads} thread(s), {dtype})")
    m, n_x = cases.m.to_numpy(float), cases.n_x.to_numpy(float)
    seconds = cases.seconds.to_numpy(float)
    bytes_x = cases.bytes_x.to_numpy(float)
    candidates = _candidate_terms(np.array([caches.level(b) for b in bytes_x]))
    shares = caches.shares(bytes_x)
    designs = [terms.design(m, n_x, shares) for terms in candidates]
    left_out = [_loo_ratios(design, seconds) for design in designs]
    best = int(np.argmin([_loo_score(ratios) for ratios in left_out]))  # ties: the simpler model, listed first
    terms, design, loo = candidates[best], designs[best], left_out[best]
    coefficients = fit_relative(design, seconds)
    return CostModel(
        impl=impl,
        threads=threads,
        dtype=dtype,
        terms=terms,
        caches=caches,
        coefficients=coefficients,
        samples=_bootstrap(design, seconds, coefficients) if intervals else coefficients[None, :],
        cases=len(cases),
        fit_error=float(np.median(np.abs(design @ coefficients / seconds - 1))),
        loo_error=float(np.median(np.abs(loo - 1))),
        loo_within=float(np.mean((loo <= WITHIN) & (loo >= 1 / WITHIN))),
        largest_elements=int((m * n_x).max()),
        itemsize=np.dtype(dtype).itemsize,
    )


def _bootstrap(design: np.ndarray, seconds: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """Coefficients refitted on fitted times times resampled relative residuals, one row per resample."""
    fitted = design @ coefficients
    residuals = seconds / fitted - 1

    def refit(resampled: np.ndarray) -> np.ndarray:
        return fit_relative(design, fitted * (1 + resampled))

    result = stats.bootstrap(
        (residuals,), refit, vectorized=False, n_resamples=RESAMPLES, method="percentile", rng=SEED
    )
    return np.asarray(result.bootstrap_distribution).T


MODEL_KEY = ["impl", "threads", "dtype"]


def measured_steps(results: pd.DataFrame) -> pd.DataFrame:
    """The cases a model is fitted on: measured gradient steps (bench.records.results.tidy rows)."""
    return results[(results.kind == STEP) & (results.status == "measured") & results.seconds.notna()]


def fit_models(results: pd.DataFrame, caches: Caches) -> tuple[dict[tuple[str, int, str], CostModel], list[str]]:
    """A model per implementation x threads x dtype of a run; and why any could not be fitted."""
    models, unfitted = {}, []
    for key, cases in measured_steps(results).groupby(MODEL_KEY, sort=False):
        try:
            models[key] = fit_model(cases, caches)
        except TooFewCasesError as error:
            unfitted.append(str(error))
    return models, unfitted


def coefficient_table(models: dict[tuple[str, int, str], CostModel]) -> pd.DataFrame:
    """Each model's coefficients in plain units (us per call, ns per example and element) with intervals."""
    rows = []
    for model in models.values():
        row: dict[str, object] = {"impl": model.impl, "threads": model.threads, "dtype": model.dtype}
        for name, unit, scale in (("call", "us", 1e6), ("example", "ns", 1e9)):
            value, low, high = (scale * x for x in model.coefficient(name))
            row |= {f"{name}_{unit}": value, f"{name}_{unit}_low": low, f"{name}_{unit}_high": high}
        for level in LEVELS:
            value, low, high = model.element_cost(level)
            fitted = not model.terms.element_levels or level in model.terms.element_levels
            row |= {f"element_{level}_ns": value * 1e9, f"element_{level}_ns_low": low * 1e9}
            row |= {f"element_{level}_ns_high": high * 1e9, f"element_{level}_fitted": fitted}
        row |= {"levels": ",".join(model.terms.element_levels) or "one", "cases": model.cases}
        row |= {"fit_error": model.fit_error, "loo_error": model.loo_error, "loo_within": model.loo_within}
        rows.append(row)
    return pd.DataFrame(rows)


def run_models(run: dict) -> tuple[dict[tuple[str, int, str], CostModel], list[str]]:
    """The models of a loaded run (bench.records.results.load_run), fitted on its measured steps.

    Fitted afresh each time: deterministic (seeded intervals), so the report
    and `predict` give the same numbers, and older runs need nothing rebuilt.
    A run without cache sizes (recorded since the cost model) gets one
    per-element cost for all sizes.
    """
    from bench.records.results import tidy

    return fit_models(tidy(run), Caches.from_machine_info(run.get("machine_info", {})))


PREDICTION_COLUMNS = ["impl", "m", "n_x", "threads", "dtype", "predicted_s", "predicted_low", "predicted_high"]


def prediction_table(models: list[CostModel], m: tuple[int, ...], n_x: tuple[int, ...]) -> pd.DataFrame:
    """Predicted seconds per step at every (m, n_x) for each model, with `beyond_measured`: m * n_x past the
    largest size the model was fitted on, an extrapolation."""
    rows = []
    for model in models:
        for m_value in m:
            for n_x_value in n_x:
                seconds = [float(value) for value in model.predict(m_value, n_x_value)]
                beyond = m_value * n_x_value > model.largest_elements
                rows.append([model.impl, m_value, n_x_value, model.threads, model.dtype, *seconds, beyond])
    return pd.DataFrame(rows, columns=[*PREDICTION_COLUMNS, "beyond_measured"])
