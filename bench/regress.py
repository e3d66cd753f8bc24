"""Regression checks that reason about noise: compare two runs, and same-run invariants.

`compare` judges each case by two tests at once, as asv does: the median
time must change by more than a threshold (default 1.25x) *and* the change
must be statistically significant (two-sided Mann-Whitney U on the
per-round times, alpha 0.01). Either alone cries wolf: a threshold alone
on noisy machines, a rank test alone on tiny, real but harmless changes.

Rounds of one run share the machine's state of that moment, so between
runs a case can drift far more than its rounds scatter (on the 2-core
reference machine, a fifth of the cases differ by more than 1.25x between
two honest runs) and the rank test calls that drift significant. Per case,
several runs per side (A/B/A/B in one job) help: the threshold then applies
run by run, every head run's median against every base run's median (the
"conservative ratio"). What decides the exit code is the implementation:
drift hits cases one by one, a real regression hits an implementation at
most sizes. An implementation is "slower" when the geometric mean of its
cases' ratios exceeds the threshold *and* a Wilcoxon signed-rank test over
its cases says the log-ratios are not centred on zero (p < alpha).

`check` needs one run only: ratios between implementations measured in the
same run, where machine speed cancels out.
"""

from dataclasses import dataclass
from math import comb
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu, wilcoxon

from bench.results import round_times, tidy

THRESHOLD = 1.25
ALPHA = 0.01
BOOTSTRAP_SAMPLES = 2000

CaseKey = tuple[str, str, int, int]  # (kind, impl, m, n_x)


RunRounds = list[np.ndarray]  # per-round seconds of one case, one array per run


def rounds_by_run(runs: list[dict[str, Any]]) -> dict[CaseKey, RunRounds]:
    """Per-round seconds of each case, one array per run of the same side."""
    pooled: dict[CaseKey, RunRounds] = {}
    for run in runs:
        for key, rounds in round_times(run).items():
            pooled.setdefault(key, []).append(rounds)
    return pooled


def ratio_interval(base: np.ndarray, head: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of median(head) / median(base), resampling rounds."""
    rng = np.random.default_rng(seed)
    resampled = np.median(rng.choice(head, (BOOTSTRAP_SAMPLES, head.size)), axis=1) / np.median(
        rng.choice(base, (BOOTSTRAP_SAMPLES, base.size)), axis=1
    )
    low, high = np.percentile(resampled, [2.5, 97.5])
    return float(low), float(high)


def compare_rounds(
    base_runs: RunRounds,
    head_runs: RunRounds,
    threshold: float = THRESHOLD,
    alpha: float = ALPHA,
    interval: bool = True,
) -> dict[str, Any]:
    """Ratio head/base of pooled median times, its bootstrap interval, the U test's p-value, a verdict.

    "slower" needs the conservative ratio, min(head run medians) / max(base
    run medians), at or above the threshold, and p < alpha on the pooled
    rounds; "faster" mirrors it. With one run per side the conservative
    ratio is the ratio of medians.
    """
    base, head = np.concatenate(base_runs), np.concatenate(head_runs)
    ratio = float(np.median(head) / np.median(base))
    base_medians, head_medians = [np.median(r) for r in base_runs], [np.median(r) for r in head_runs]
    slower_ratio = float(min(head_medians) / max(base_medians))
    faster_ratio = float(max(head_medians) / min(base_medians))
    low, high = ratio_interval(base, head) if interval else (np.nan, np.nan)
    p_value = float(mannwhitneyu(head, base, alternative="two-sided").pvalue)
    significant = p_value < alpha
    verdict = _verdict(significant, slower_ratio, faster_ratio, threshold)
    note = ""
    if verdict == "same" and (ratio >= threshold or ratio <= 1 / threshold):
        # With n and k rounds the smallest possible two-sided p is 2 / C(n + k, n).
        if comb(base.size + head.size, base.size) <= 2 / alpha:
            note = "too few rounds to tell"
        elif not significant:
            note = f"not significant (p={p_value:.2g})"
        else:
            note = "not consistent across runs"
    return {
        "ratio": ratio,
        "ratio_low": low,
        "ratio_high": high,
        "conservative_ratio": slower_ratio if ratio > 1 else faster_ratio,
        "p_value": p_value,
        "verdict": verdict,
        "note": note,
        "base_rounds": base.size,
        "head_rounds": head.size,
    }


def _verdict(significant: bool, slower_ratio: float, faster_ratio: float, threshold: float) -> str:
    """ "slower" or "faster" when the change is significant and beyond the threshold that way, else "same"."""
    if significant and slower_ratio >= threshold:
        return "slower"
    if significant and faster_ratio <= 1 / threshold:
        return "faster"
    return "same"


def compare_runs(
    base_runs: list[dict[str, Any]],
    head_runs: list[dict[str, Any]],
    threshold: float = THRESHOLD,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """One row per case on either side: ratio head/base with interval, p-value and verdict.

    Each side may be several runs (A/B/A/B in one job): their rounds are pooled.
    """
    return compare_cases(rounds_by_run(base_runs), rounds_by_run(head_runs), threshold, alpha)


def compare_cases(
    base: dict[CaseKey, RunRounds],
    head: dict[CaseKey, RunRounds],
    threshold: float = THRESHOLD,
    alpha: float = ALPHA,
    interval: bool = True,
) -> pd.DataFrame:
    """`compare_runs` on per-round times by case. A case on one side only is listed, not dropped."""
    rows = []
    for key in sorted(base.keys() | head.keys(), key=lambda k: (k[0], k[2] * k[3], k[2], k[1])):
        kind, impl, m, n_x = key
        row: dict[str, Any] = {"kind": kind, "impl": impl, "m": m, "n_x": n_x}
        if key not in head or key not in base:
            row |= {"verdict": "only in base" if key in base else "only in head", "note": "not compared"}
        else:
            row |= compare_rounds(base[key], head[key], threshold, alpha, interval)
        rows.append(row)
    columns = [
        "kind",
        "impl",
        "m",
        "n_x",
        "ratio",
        "ratio_low",
        "ratio_high",
        "p_value",
        "verdict",
        "note",
        "base_rounds",
        "head_rounds",
    ]
    return pd.DataFrame(rows).reindex(columns=columns)


def implementation_verdicts(
    comparison: pd.DataFrame, threshold: float = THRESHOLD, alpha: float = ALPHA
) -> pd.DataFrame:
    """Per implementation: geometric-mean ratio over its compared cases, Wilcoxon p-value, verdict."""
    rows = []
    compared = comparison[comparison.ratio.notna()]
    for impl, group in compared.groupby("impl", sort=False):
        log_ratios = np.log(group.ratio.to_numpy(float))
        geomean = float(np.exp(log_ratios.mean()))
        # With n cases the smallest possible two-sided p is 2 / 2^n.
        if 2.0 / 2 ** len(group) >= alpha:
            p_value, note = np.nan, "too few sizes to tell"
        elif np.all(log_ratios == 0):
            p_value, note = 1.0, ""
        else:
            p_value, note = float(wilcoxon(log_ratios).pvalue), ""
        verdict = _verdict(p_value < alpha, geomean, geomean, threshold)
        slower_cases = group[group.verdict == "slower"]
        rows.append(
            {
                "impl": impl,
                "cases": len(group),
                "geomean_ratio": geomean,
                "ratio_min": float(group.ratio.min()),
                "ratio_max": float(group.ratio.max()),
                "p_value": p_value,
                "verdict": verdict,
                "cases_slower": len(slower_cases),
                "note": note,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "impl",
            "cases",
            "geomean_ratio",
            "ratio_min",
            "ratio_max",
            "p_value",
            "verdict",
            "cases_slower",
            "note",
        ],
    )


# --- same-run invariants ---


@dataclass(frozen=True)
class Invariant:
    """`impl` takes at most `max_ratio` times the time of `reference` at size (m, n_x), in one run."""

    impl: str
    reference: str
    m: int
    n_x: int
    max_ratio: float
    why: str


# Reviewed bounds, deliberately loose: each holds with a wide margin on the
# 2-core reference machine (measured ratios in parentheses, reports/reference),
# so a broken one means a real change, not noise. Sizes are in the quick profile.
INVARIANTS = (
    Invariant(
        "fully_vectorized",
        "double_loop",
        10_000,
        100,
        1 / 30,
        "vectorizing both loops is at least 30x faster than the Python double loop (~300x)",
    ),
    Invariant(
        "features_vectorized",
        "double_loop",
        10_000,
        100,
        1 / 1.5,
        "vectorizing the feature loop is at least 1.5x faster at n_x = 100 (~3x)",
    ),
    Invariant(
        "numba_loop",
        "double_loop",
        10_000,
        100,
        1 / 20,
        "compiling the double loop is at least 20x faster than interpreting it (~80x)",
    ),
    Invariant(
        "numba_fused",
        "fully_vectorized",
        10_000,
        100,
        2.0,
        "the fused kernel is no slower than 2x numpy's vectorized step (~1x)",
    ),
    Invariant(
        "numba_loop",
        "fully_vectorized",
        10_000,
        100,
        15.0,
        "the compiled loop is no slower than 15x numpy's vectorized step (~5x)",
    ),
)


def check_invariants(run: dict[str, Any], invariants: tuple[Invariant, ...] = INVARIANTS) -> pd.DataFrame:
    """Each invariant with the measured ratio and holds / broken / not in run."""
    table = tidy(run)
    measured = table[(table.kind == "step") & (table.status == "measured")].set_index(["impl", "m", "n_x"]).seconds
    rows = []
    for inv in invariants:
        pair = [(inv.impl, inv.m, inv.n_x), (inv.reference, inv.m, inv.n_x)]
        if not all(key in measured.index for key in pair):
            ratio, status = np.nan, "not in run"
        else:
            ratio = float(measured[pair[0]] / measured[pair[1]])
            status = "holds" if ratio <= inv.max_ratio else "broken"
        rows.append(
            {
                "impl": inv.impl,
                "reference": inv.reference,
                "m": inv.m,
                "n_x": inv.n_x,
                "max_ratio": inv.max_ratio,
                "ratio": ratio,
                "status": status,
                "why": inv.why,
            }
        )
    return pd.DataFrame(rows)
