"""The sampling rule (bench/analysis/stopping.py): which cells are settled, which cases to measure again."""

import pandas as pd

from bench.analysis.stopping import NARROW, cases_to_measure_again, unsettled
from tests.synthetic import measured_case, run_of, with_trials


def _cell(impl: str, low: float, high: float, verdict: str, extrapolated: bool = False) -> dict:
    return {"kind": "step", "impl": impl, "baseline": "double_loop", "speedup_low": low, "speedup_high": high} | {
        "verdict": verdict,
        "extrapolated": extrapolated,
    }


def test_a_cell_is_settled_when_it_decides_its_claim_or_else_when_its_interval_is_narrow() -> None:
    cells = pd.DataFrame(
        [
            _cell("fully_vectorized", 200.0, 590.0, "holds"),  # wide, but decided: settled
            _cell("fully_vectorized", 120.0, 160.0, "undecided"),  # narrow, but straddles 150: not settled
            _cell("numba_fused", 100.0, 100.0 * NARROW * 1.01, ""),  # no claim, wider than NARROW
            _cell("numba_fused", 100.0, 100.0 * NARROW, ""),  # no claim, narrow enough
            _cell("jax_peer", float("nan"), float("nan"), ""),  # one process: no interval yet
            _cell("sklearn_peer", 1.0, 100.0, "", extrapolated=True),  # never measured: nothing to sample
            _cell("double_loop", 1.0, 1.0, ""),  # the baseline itself
        ]
    )
    cells.loc[6, "impl"] = "double_loop"
    left = unsettled(cells)
    assert list(left.index) == [1, 2, 4]


def test_cases_to_measure_again_are_those_of_cells_not_settled_worst_first() -> None:
    loop = measured_case("double_loop", 1000, 100, 1e-2)
    sharp = with_trials(measured_case("fully_vectorized", 1000, 100, 1e-2 / 300), {"double_loop": 300.0})
    # Straddling ~10x's lower edge (5x) with trials 30% apart between processes: undecided.
    vague = measured_case("features_vectorized", 1000, 100, 2e-3, pass_factors=[0.7, 1.0, 1.4])
    vague = with_trials(vague, {"double_loop": 5.0}, spread=0.3)
    wanted = cases_to_measure_again(run_of([loop, sharp, vague]))
    assert wanted == [("step", "features_vectorized", 1, "float64", 1000, 100)]


def test_a_chained_cell_also_measures_the_loop_form_again() -> None:
    careful = with_trials(measured_case("double_loop", 1000, 100, 1e-2), {"notes_double_loop": 5.0}, spread=0.3)
    notes_loop = measured_case("notes_double_loop", 1000, 100, 5e-2)
    wanted = cases_to_measure_again(run_of([careful, notes_loop]))
    assert wanted == [("step", "double_loop", 1, "float64", 1000, 100)]  # never the notes' loop: it pairs nothing
