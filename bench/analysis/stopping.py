"""When a cell has been measured enough: the rule a sweep samples by, until it decides (bench.measure.manager).

A cell is one speedup: an implementation at one thread count, dtype and size,
over one loop. It is settled when its 95% interval decides every claim it
is judged on (holds, exceeded or does not hold), or, where no claim judges
it, when the interval's high / low is at most NARROW. Until then the sweep
measures its cases again in another worker process, as its time allows: the
step's own case and, for a speedup chained through the other loop
(bench/analysis/speedups.py), the loop form's case as well.
"""

from typing import Any

import numpy as np
import pandas as pd

from bench.analysis.claims import BASELINE, NOTES_BASELINE, UNDECIDED
from bench.analysis.speedups import CHAINED, speedups_by_baseline
from bench.records import results
from bench.records.schema import CASE, STEP

NARROW = 1.25  # high / low of an interval that is precise enough where no claim needs deciding

Case = tuple[str, str, int, str, int, int]  # the CASE columns: kind, impl, threads, dtype, m, n_x


def unsettled(speedups: pd.DataFrame, narrow: float = NARROW) -> pd.DataFrame:
    """The measured step speedups (rows of `speedups_by_baseline`) not yet settled (module docstring)."""
    measured = speedups[(speedups.kind == STEP) & ~speedups.extrapolated & (speedups.impl != speedups.baseline)]
    judged = measured.verdict != ""
    too_wide = ~(measured.speedup_high / measured.speedup_low <= narrow)  # NaN (one process): too wide
    return measured[np.where(judged, measured.verdict == UNDECIDED, too_wide)]


def cases_to_measure_again(run: dict[str, Any], narrow: float = NARROW) -> list[Case]:
    """The step cases whose next measurement could settle a cell of `run`, the cells' worst first."""
    table = results.tidy(run)
    pairs = speedups_by_baseline(table, results.pass_times(run), results.paired_trials(run))
    open_cells = unsettled(pairs, narrow)
    open_cells = open_cells.assign(width=open_cells.speedup_high / open_cells.speedup_low).sort_values(
        "width", ascending=False, na_position="first"
    )
    cases: dict[Case, None] = {}
    for row in open_cells.itertuples():
        kind, impl, threads, dtype, m, n_x = (getattr(row, column) for column in CASE)
        cases[(kind, impl, int(threads), dtype, int(m), int(n_x))] = None
        if row.pairing == CHAINED:  # the loop form: the careful loop's case, paired with the notes' loop
            cases[(STEP, BASELINE, 1, row.dtype, row.m, row.n_x)] = None
    measured = set(table[table.status == "measured"][CASE].itertuples(index=False, name=None))
    # The notes' loop is paired with nothing of its own: its speedups move with the loop form's case.
    return [case for case in cases if case in measured and case[1] != NOTES_BASELINE]
