"""The interval of a geometric mean from a few log values: how sure a time or a ratio is."""

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

CONFIDENCE = 0.95


def log_t_interval(log_values: ArrayLike, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The t-interval of the mean of `log_values`, exponentiated: (low, high); NaN with fewer than 2 values.

    Used on log pass medians (a time's interval) and on log ratios of paired
    pass medians (a speedup's). Why a t-interval: R, the number of passes, is
    small (3 by default), and a percentile bootstrap over 3 paired passes can
    only return [min, max] of them, whose coverage is about 75%, not 95%. If
    the drift between passes is log-normal, mean +- t_{0.975, R-1} * sd / sqrt(R)
    in log space is the exact 95% interval for the geometric mean: wide with
    R = 3 (t = 4.30), as honest small samples are. Log space because times and
    ratios drift multiplicatively and must stay positive.
    """
    values = np.asarray(log_values, float)
    if values.size < 2:
        return np.nan, np.nan
    half_width = stats.t.ppf(0.5 + confidence / 2, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return float(np.exp(values.mean() - half_width)), float(np.exp(values.mean() + half_width))


def log_interval(
    log_mean: ArrayLike, log_se: ArrayLike, df: ArrayLike, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """exp(log_mean -+ t_{df} * log_se), elementwise: an interval of an estimate made in log space (NaN: df < 1)."""
    df = np.asarray(df, float)
    t = stats.t.ppf(0.5 + confidence / 2, np.where(df >= 1, df, np.nan))
    half_width = t * np.asarray(log_se, float)
    return np.exp(np.asarray(log_mean, float) - half_width), np.exp(np.asarray(log_mean, float) + half_width)


def satterthwaite_df(se_a: ArrayLike, df_a: ArrayLike, se_b: ArrayLike, df_b: ArrayLike) -> np.ndarray:
    """Degrees of freedom of the sum of two independent estimates' errors (Welch-Satterthwaite)."""
    va, vb = np.asarray(se_a, float) ** 2, np.asarray(se_b, float) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return (va + vb) ** 2 / (va**2 / np.asarray(df_a, float) + vb**2 / np.asarray(df_b, float))
