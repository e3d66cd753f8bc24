"""Regression checks that reason about noise: compare two runs, and same-run invariants.

`compare` judges each case by two tests at once, as asv does: the
time must change by more than a threshold (default 1.25x) *and* the change
must be statistically significant (two-sided Mann-Whitney U on the
per-round times, alpha 0.01). Either alone cries wolf: a threshold alone
on noisy machines, a rank test alone on tiny, real but harmless changes.

Rounds of one pass share the machine's state of that moment, so between
passes and runs a case can drift far more than its rounds scatter, and the
rank test calls that drift significant. Three things tame it. Ratios compare
best times (the median over passes of each pass's fastest round), which
interference cannot make faster. Several passes per run and several runs per
side (A/B/A/B in one job) must agree. And the exit code is decided per
implementation and thread count: drift hits cases one by one, a real
regression hits an implementation at most sizes. An implementation is
"slower" when the geometric mean of its cases' best-time ratios is nearer
the threshold than 1 on a log scale (above sqrt(threshold): 1.118 for 1.25,
so a real slowdown of exactly the threshold is caught as often as an
unchanged one is cleared) *and* a one-sided Wilcoxon signed-rank test over
its cases says they lean that way (p < alpha).

`check` needs one run only: ratios between implementations measured in the
same run, where machine speed cancels out.
"""

from dataclasses import dataclass
from math import comb
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu, wilcoxon

from bench.records.results import pass_rounds, tidy
from bench.records.schema import STEP, WIDE

THRESHOLD = 1.25
ALPHA = 0.01
BOOTSTRAP_SAMPLES = 2000

CaseKey = tuple[
    str, str, int, int, int, str
]  # (kind, impl, threads, m, n_x, dtype), as bench.records.results.pass_rounds


PassRounds = list[np.ndarray]  # per-round seconds of one case, one array per pass of every run of a side


def rounds_by_pass(runs: list[dict[str, Any]]) -> dict[CaseKey, PassRounds]:
    """Per-round seconds of each case, one array per pass of each run of the same side."""
    pooled: dict[CaseKey, PassRounds] = {}
    for run in runs:
        for key, passes in pass_rounds(run).items():
            pooled.setdefault(key, []).extend(passes)
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
    base_passes: PassRounds,
    head_passes: PassRounds,
    threshold: float = THRESHOLD,
    alpha: float = ALPHA,
    interval: bool = True,
) -> dict[str, Any]:
    """One case, HEAD against BASE: ratios, the U test's p-value and a verdict.

    `ratio` compares pooled medians, with a bootstrap interval. `best_ratio`
    compares best times: per side, the median over its passes of each pass's
    fastest round. Interference only ever adds time, so the fastest round is
    the steadiest estimate from pass to pass (on the reference machine it cut
    A/A false alarms from 14 to 1 in 200). "slower" needs every head pass's
    best at least `threshold` times every base pass's best, and p < alpha on
    the pooled rounds; "faster" mirrors it.
    """
    base, head = np.concatenate(base_passes), np.concatenate(head_passes)
    ratio = float(np.median(head) / np.median(base))
    base_best, head_best = [float(r.min()) for r in base_passes], [float(r.min()) for r in head_passes]
    best_ratio = float(np.median(head_best) / np.median(base_best))
    slower_ratio, faster_ratio = min(head_best) / max(base_best), max(head_best) / min(base_best)
    low, high = ratio_interval(base, head) if interval else (np.nan, np.nan)
    p_value = float(mannwhitneyu(head, base, alternative="two-sided").pvalue)
    significant = p_value < alpha
    verdict = _verdict(significant, slower_ratio, faster_ratio, threshold)
    note = ""
    if verdict == "same" and (best_ratio >= threshold or best_ratio <= 1 / threshold):
        # With n and k rounds the smallest possible two-sided p is 2 / C(n + k, n).
        if comb(base.size + head.size, base.size) <= 2 / alpha:
            note = "too few rounds to tell"
        elif not significant:
            note = f"not significant (p={p_value:.2g})"
        else:
            note = "not consistent across passes"
    return {
        "ratio": ratio,
        "ratio_low": low,
        "ratio_high": high,
        "best_ratio": best_ratio,
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

    Each side may be several runs (A/B/A/B in one job): their passes are pooled.
    """
    return compare_cases(rounds_by_pass(base_runs), rounds_by_pass(head_runs), threshold, alpha)


def compare_cases(
    base: dict[CaseKey, PassRounds],
    head: dict[CaseKey, PassRounds],
    threshold: float = THRESHOLD,
    alpha: float = ALPHA,
    interval: bool = True,
) -> pd.DataFrame:
    """`compare_runs` on per-round times by case. A case on one side only is listed, not dropped."""
    rows = []
    for key in sorted(base.keys() | head.keys(), key=lambda k: (k[0], k[3] * k[4], k[3], k[1], k[2], k[5])):
        kind, impl, threads, m, n_x, dtype = key
        row: dict[str, Any] = {"kind": kind, "impl": impl, "threads": threads, "m": m, "n_x": n_x, "dtype": dtype}
        if key not in head or key not in base:
            row |= {"verdict": "only in base" if key in base else "only in head", "note": "not compared"}
        else:
            row |= compare_rounds(base[key], head[key], threshold, alpha, interval)
        rows.append(row)
    columns = [
        "kind",
        "impl",
        "threads",
        "m",
        "n_x",
        "dtype",
        "ratio",
        "ratio_low",
        "ratio_high",
        "best_ratio",
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
    """Per implementation and thread count: geometric mean of its cases' best-time ratios, a Wilcoxon
    p-value, a verdict.

    "slower" needs the geometric mean above sqrt(threshold) (see the module's
    docstring) and the signed-rank test, one-sided in the direction of the
    geometric mean, to say the log-ratios lean above zero; "faster" mirrors it.
    """
    rows = []
    compared = comparison[comparison.best_ratio.notna()]
    boundary = float(np.sqrt(threshold))
    for (impl, threads), group in compared.groupby(["impl", "threads"], sort=False):
        log_ratios = np.log(group.best_ratio.to_numpy(float))
        geomean = float(np.exp(log_ratios.mean()))
        # With n cases the smallest possible one-sided p is 1 / 2^n.
        if 1.0 / 2 ** len(group) >= alpha:
            p_value, note = np.nan, "too few sizes to tell"
        elif np.all(log_ratios == 0):
            p_value, note = 1.0, ""
        else:
            direction = "greater" if geomean >= 1 else "less"
            p_value, note = float(wilcoxon(log_ratios, alternative=direction).pvalue), ""
        verdict = _verdict(p_value < alpha, geomean, geomean, boundary)
        rows.append(
            {
                "impl": impl,
                "threads": threads,
                "cases": len(group),
                "geomean_ratio": geomean,
                "ratio_min": float(group.best_ratio.min()),
                "ratio_max": float(group.best_ratio.max()),
                "p_value": p_value,
                "verdict": verdict,
                "cases_slower": int((group.verdict == "slower").sum()),
                "note": note,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "impl",
            "threads",
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


def summary_markdown(by_impl: pd.DataFrame, title: str) -> str:
    """The per-implementation verdicts as a markdown table, for $GITHUB_STEP_SUMMARY."""
    lines = [f"### {title}", "", "| implementation | threads | cases | geometric mean | range | p | verdict |"]
    lines.append("|---|---:|---:|---:|---|---:|---|")
    for row in by_impl.itertuples():
        lines.append(
            f"| {row.impl} | {row.threads} | {row.cases} | {row.geomean_ratio:.3f} "
            f"| {row.ratio_min:.2f} to {row.ratio_max:.2f} | {row.p_value:.2g} | {row.verdict} |"
        )
    return "\n".join(lines) + "\n"


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
    """Each invariant with the measured ratio and holds / broken / not in run (single-threaded float64 cases only)."""
    table = tidy(run)
    single = (table.kind == STEP) & (table.status == "measured") & (table.threads == 1) & (table.dtype == WIDE)
    measured = table[single].set_index(["impl", "m", "n_x"]).seconds
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
