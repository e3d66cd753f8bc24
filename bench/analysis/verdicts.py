"""Claims verdicts: where a measured speedup's interval says a claim holds, is exceeded, does not hold."""

import itertools

import numpy as np
import pandas as pd

from bench.analysis.claims import (
    BASELINES,
    CLAIMS,
    DECIDED,
    DOES_NOT_HOLD,
    EXCEEDED,
    EXTRAPOLATED,
    HOLDS,
    SETTINGS,
    UNDECIDED,
    Claim,
)
from bench.records.schema import STEP, dtypes_in


def cell_verdict(low: float, high: float, band: tuple[float, float]) -> str:
    """A claim's verdict on one cell from its 95% interval [low, high] and the claim's band.

    "holds" when the whole interval lies within the band, "exceeded" wholly
    above it, "does not hold" wholly below it; "undecided" when it straddles
    an edge of the band, or when there is no interval (a single pass).
    """
    band_low, band_high = band
    if not (np.isfinite(low) and np.isfinite(high)):
        return UNDECIDED
    if low > band_high:
        return EXCEEDED
    if high < band_low:
        return DOES_NOT_HOLD
    if band_low <= low and high <= band_high:
        return HOLDS
    return UNDECIDED


def verdicts(speedup_table: pd.DataFrame, claims: tuple[Claim, ...] = CLAIMS) -> pd.Series:
    """Per speedup row: the verdict of the claim on its implementation (steps only); "" where none applies."""
    bands = {claim.impl: claim.band for claim in claims}
    return pd.Series(
        [
            ""
            if row.impl not in bands or row.kind != STEP
            else EXTRAPOLATED
            if row.extrapolated
            else cell_verdict(row.speedup_low, row.speedup_high, bands[row.impl])
            for row in speedup_table.itertuples()
        ],
        index=speedup_table.index,
        dtype=object,
    )


def describe_sizes(frame: pd.DataFrame, grid: pd.DataFrame) -> str:
    """Where in the size grid the rows lie, e.g. 'n_x=10: m=1e3..1e5, 1e6 (4 sizes); n_x=100: m=1e2 (1 size)'.

    `grid` holds every cell the rows were drawn from: "a..b" names a run of
    consecutive grid sizes all in `frame`, never a range with a size of
    another verdict inside it.
    """
    if frame.empty:
        return "nowhere"
    parts = []
    for n_x, group in frame.groupby("n_x"):
        chosen = set(group.m)
        runs: list[list[int]] = [[]]
        for m in sorted(set(grid.m[grid.n_x == n_x]) | chosen):
            if m in chosen:
                runs[-1].append(m)
            elif runs[-1]:
                runs.append([])
        spans = [_m(run[0]) if len(run) == 1 else f"{_m(run[0])}..{_m(run[-1])}" for run in runs if run]
        parts.append(f"n_x={n_x}: m={', '.join(spans)} ({len(chosen)} size{'s' if len(chosen) > 1 else ''})")
    return "; ".join(parts)


def _m(value: float) -> str:
    return f"{value:.0e}".replace("e+0", "e").replace("e+", "e")


def claims_verdict(speedup_table: pd.DataFrame, claims: tuple[Claim, ...] = CLAIMS) -> pd.DataFrame:
    """For each claim, setting and dtype: how many measured sizes it holds at, is exceeded, does not hold, is undecided.

    Rows: claim x setting ("1 thread", then "all cores") x dtype (float64,
    then any other the run measured; speedups pair the double loop and the
    step in the same dtype). Only measured step cells count; extrapolated ones
    are listed apart. A cell's verdict comes from its 95% interval
    (`cell_verdict`), so a speedup near an edge of the band is "undecided"
    rather than a coin toss.
    """
    rows = []
    for claim, setting, dtype in itertools.product(claims, SETTINGS, dtypes_in(speedup_table)):
        cells = speedup_table[
            (speedup_table.impl == claim.impl)
            & (speedup_table.kind == STEP)
            & (speedup_table.setting == setting)
            & (speedup_table.dtype == dtype)
        ]
        measured = cells[~cells.extrapolated]
        where = {verdict: measured[measured.verdict == verdict] for verdict in (*DECIDED, UNDECIDED)}
        counts = {verdict: len(frame) for verdict, frame in where.items()}
        rows.append(
            {
                "claim": claim.statement,
                "impl": claim.impl,
                "factor": claim.factor,
                "setting": setting,
                "dtype": dtype,
                "threads": ", ".join(str(t) for t in sorted(measured.threads.unique())),
                "measured_sizes": len(measured),
                "holds": counts[HOLDS],
                "exceeded": counts[EXCEEDED],
                "does_not_hold": counts[DOES_NOT_HOLD],
                "undecided": counts[UNDECIDED],
                "speedup_min": measured.speedup.min() if len(measured) else np.nan,
                "speedup_median": measured.speedup.median() if len(measured) else np.nan,
                "speedup_max": measured.speedup.max() if len(measured) else np.nan,
                "verdict": summary_verdict(counts),
                "holds_at": describe_sizes(where[HOLDS], cells),
                "exceeded_at": describe_sizes(where[EXCEEDED], cells),
                "does_not_hold_at": describe_sizes(where[DOES_NOT_HOLD], cells),
                "undecided_at": describe_sizes(where[UNDECIDED], cells),
                "extrapolated_at": describe_sizes(cells[cells.extrapolated], cells),
            }
        )
    return pd.DataFrame(rows)


def claims_verdicts(pairs: pd.DataFrame) -> pd.DataFrame:
    """`claims_verdict` against each of BASELINES on its own claims, stacked, with a first column `baseline`."""
    tables = [claims_verdict(pairs[pairs.baseline == b.impl], b.claims).assign(baseline=b.impl) for b in BASELINES]
    verdict = pd.concat(tables, ignore_index=True)
    return verdict[["baseline", *verdict.columns.drop("baseline")]]


PHRASES = {HOLDS: "holds", EXCEEDED: "is exceeded", DOES_NOT_HOLD: "does not hold", UNDECIDED: "is undecided"}


def summary_verdict(counts: dict[str, int]) -> str:
    """One sentence from the number of sizes per cell verdict."""
    n = sum(counts.values())
    if n == 0:
        return "not measured"
    if counts[HOLDS] == n:
        return "holds everywhere measured"
    if counts[HOLDS] + counts[EXCEEDED] == n:
        return "holds or is exceeded everywhere measured"
    if counts[DOES_NOT_HOLD] == n:
        return "does not hold anywhere measured"
    if counts[UNDECIDED] == n:
        return "undecided everywhere measured"
    said = [f"{phrase} at {counts[verdict]}" for verdict, phrase in PHRASES.items() if counts[verdict]]  # no "at 0"
    return ", ".join(said[:-1]) + f" and {said[-1]} of {n} measured sizes"
