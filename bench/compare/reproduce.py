"""How far two runs agree: per cell, the drift between their speedups, whether their intervals overlap, their verdicts.

A cell is one implementation at one thread count, dtype and size (steps and
training runs), measured in both runs; its speedup over the double loop is
a ratio measured within each run, so machine speed cancels and what is left
between the runs is drift. Two runs of the same code agree when their 95%
intervals overlap in most cells and no claim's verdict that both runs
decided flips. `undecided` on either side is not a flip: it is the interval
saying that the run cannot tell.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bench.analysis.claims import BASELINE, DECIDED
from bench.analysis.speedups import speedups
from bench.records import results
from bench.records.schema import CASE

CELL = CASE  # a cell is one case's speedup
SIDE = ["speedup", "speedup_low", "speedup_high", "verdict"]


def cells(run: dict[str, Any]) -> pd.DataFrame:
    """A run's measured speedups, one row per cell: CELL columns, label, speedup, speedup_low/high, verdict."""
    table = results.tidy(run)
    pairs = speedups(table, results.pass_times(run), trials=results.paired_trials(run))
    measured = pairs[~pairs.extrapolated & (pairs.impl != BASELINE)]
    return measured.drop_duplicates(CELL)[[*CELL, "label", *SIDE]].reset_index(drop=True)


def _overlap(row: Any) -> bool | None:
    """Whether the two intervals share a point; None where either run has no interval (one pass)."""
    bounds = [row.speedup_low_a, row.speedup_high_a, row.speedup_low_b, row.speedup_high_b]
    if not np.all(np.isfinite(bounds)):
        return None
    return bool(row.speedup_low_a <= row.speedup_high_b and row.speedup_low_b <= row.speedup_high_a)


def compare_cells(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """The cells of both runs side by side (`cells` frames), with drift, overlap and flipped.

    drift = max(a/b, b/a) of the speedups (1 = identical). flipped: both runs
    decided the claim (holds, exceeded, does not hold) and differ.
    """
    both = a.merge(b.drop(columns="label"), on=CELL, suffixes=("_a", "_b"))
    ratio = both.speedup_a / both.speedup_b
    both["drift"] = np.maximum(ratio, 1 / ratio)
    both["overlap"] = pd.Series([_overlap(row) for row in both.itertuples()], index=both.index, dtype=object)
    decided = both.verdict_a.isin(DECIDED) & both.verdict_b.isin(DECIDED)
    both["flipped"] = decided & (both.verdict_a != both.verdict_b)
    return both.sort_values(["kind", "m", "n_x", "impl", "threads"], ignore_index=True)


@dataclass(frozen=True)
class Agreement:
    """The summary of `compare_cells`: what decides whether two runs reproduce each other."""

    cells: int  # measured in both runs
    only_in_a: int
    only_in_b: int
    with_intervals: int  # cells where both runs have an interval
    overlap_share: float  # of those, the share whose intervals overlap (NaN if none)
    drift_median: float
    drift_p90: float
    flipped: list[str] = field(default_factory=list)  # the cells whose decided verdicts differ, named


def _name(row: Any) -> str:
    return f"{row.impl} threads={row.threads} m={row.m} n_x={row.n_x} ({row.kind}): {row.verdict_a} -> {row.verdict_b}"


def summarize(comparison: pd.DataFrame, a: pd.DataFrame, b: pd.DataFrame) -> Agreement:
    """Share of overlapping intervals, median and 90th percentile drift, and the flipped cells."""
    judged = comparison.overlap.dropna()
    drift = comparison.drift.to_numpy(float)
    return Agreement(
        cells=len(comparison),
        only_in_a=len(a) - len(comparison),
        only_in_b=len(b) - len(comparison),
        with_intervals=len(judged),
        overlap_share=float(judged.astype(bool).mean()) if len(judged) else np.nan,
        drift_median=float(np.median(drift)) if drift.size else np.nan,
        drift_p90=float(np.percentile(drift, 90)) if drift.size else np.nan,
        flipped=[_name(row) for row in comparison[comparison.flipped].itertuples()],
    )


def reproduce(run_a: dict[str, Any], run_b: dict[str, Any]) -> tuple[pd.DataFrame, Agreement]:
    """Compare two loaded runs cell by cell; the table and its summary."""
    a, b = cells(run_a), cells(run_b)
    comparison = compare_cells(a, b)
    return comparison, summarize(comparison, a, b)


def _interval(value: float, low: float, high: float) -> str:
    return f"{value:.3g}x" if pd.isna(low) else f"{value:.3g}x [{low:.3g}, {high:.3g}]"


def display(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison as a terminal reads it: one interval string per run, overlap as yes / no / n/a."""
    return pd.DataFrame(
        {
            "kind": comparison.kind,
            "impl": comparison.impl,
            "threads": comparison.threads,
            "m": comparison.m,
            "n_x": comparison.n_x,
            "A": [_interval(r.speedup_a, r.speedup_low_a, r.speedup_high_a) for r in comparison.itertuples()],
            "B": [_interval(r.speedup_b, r.speedup_low_b, r.speedup_high_b) for r in comparison.itertuples()],
            "drift": comparison.drift,
            "overlap": comparison.overlap.map({True: "yes", False: "no"}).fillna("n/a"),
            "verdict A": comparison.verdict_a,
            "verdict B": comparison.verdict_b,
        }
    )
