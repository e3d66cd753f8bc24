"""Do the notes' claims hold here: the headline, the verdict tables, the loop's form alone."""

from typing import Any

import pandas as pd

from bench.analysis.analyse import Analysis
from bench.analysis.claims import ALL_CORES, BASELINE, BASELINES, NOTES_BASELINE, ONE_THREAD, SETTING_TITLES
from bench.records.schema import NARROW, WIDE
from bench.reporting.format import interval_text
from bench.text import number_text

_TWO_BASELINES_TEXT = (
    "Two baselines. `double_loop` is the careful loop: Python lists, `math` and the stable cost, the fastest "
    "honest pure-Python form. `notes_double_loop` is the notes' loop as written: numpy arrays indexed element "
    "by element, `np.exp` and `np.log` on scalars. Every implementation's speedup is given over each (the "
    "speedup sections below; `speedups.csv`, column `baseline`), so each loop appears in the other's table. "
    "The claims are judged like against like: the careful `features_vectorized` and `fully_vectorized` against "
    "the careful loop, the notes' `notes_features_vectorized` and `notes_fully_vectorized` against the notes' "
    "loop, so that a verdict measures what vectorizing does, not how carefully the loop was written."
)


def _spread(row: Any) -> str:
    """A verdict row's measured speedups, e.g. '12x to 280x, median 40x'."""
    if row.measured_sizes == 0:
        return "no measured pairs"
    return (
        f"{number_text(row.speedup_min)}x to {number_text(row.speedup_max)}x, median {number_text(row.speedup_median)}x"
    )


def headline(found: Analysis) -> str:
    """Which baseline gives which answer (float64, the notes' dtype), and how much the loop's form alone moves
    every speedup."""
    verdict = found.verdict[found.verdict.dtype == WIDE]
    measured = verdict[verdict.measured_sizes > 0]
    setting = ONE_THREAD if (measured.setting == ONE_THREAD).any() else ALL_CORES
    answers = []
    for baseline in BASELINES:
        rows = verdict[(verdict.baseline == baseline.impl) & (verdict.setting == setting)]
        claims = "; ".join(f"~{r.factor:g}x **{r.verdict}** ({_spread(r)})" for r in rows.itertuples())
        answers.append(f"Against {baseline.title} (`{baseline.impl}`): {claims}.")
    return " ".join(
        [f"**Two baselines, two answers**, {SETTING_TITLES[setting]}.", *answers, _loop_form_sentence(found.loop_form)]
    )


def _loop_form_sentence(form: pd.DataFrame) -> str:
    measured = form[~form.extrapolated]
    if measured.empty:
        return "This run measured the two loops at no common size: the loop's form is not separated here."
    return (
        "The loop's form alone (numpy elements, `np.exp` and `np.log` on scalars, against lists and `math`) "
        f"makes the notes' loop **{measured.ratio.min():.2g}x to {measured.ratio.max():.2g}x slower** than the "
        f"careful one (median {measured.ratio.median():.2g}x over {len(measured)} measured sizes), and every "
        "speedup over it that much larger."
    )


def verdict_tables(verdict: pd.DataFrame) -> str:
    """Each claim's verdict per setting and dtype, side by side and in detail."""
    text = (
        "Per measured size, the claim **holds** where the whole 95% interval of the speedup lies within 2x of "
        "the claimed factor, is **exceeded** where it lies wholly above, **does not hold** where it lies wholly "
        "below, and is **undecided** where the interval straddles an edge of that band. "
        "Vectorization alone (1 thread) compares implementations on one core each; "
        "as installed (all cores) lets parallel implementations use every core, as a user gets them. "
        f"A {NARROW} speedup divides the loop's time on the {NARROW} problem (Python floats are {WIDE} "
        "whatever it is given) by the step's.\n\n"
        + _TWO_BASELINES_TEXT
        + "\n\n"
        + _verdicts_side_by_side(verdict)
        + "\n\nWhere each verdict was reached:\n\n"
        + _verdict_details(verdict)
    )
    extrapolated = "; ".join(
        f"{r.impl} ({r.setting}, {r.dtype}): {r.extrapolated_at}"
        for r in verdict.itertuples()
        if r.extrapolated_at != "nowhere"
    )
    if extrapolated:
        text += f"\n\nNot counted in the verdict (extrapolated): {extrapolated}."
    return text


def _verdicts_side_by_side(verdict: pd.DataFrame) -> str:
    """One row per claim and setting, one column per baseline."""
    rows = []
    for (claim, setting, dtype), group in verdict.groupby(["claim", "setting", "dtype"], sort=False):
        row = {"claim": claim, "setting": SETTING_TITLES[setting], "dtype": dtype}
        for baseline in BASELINES:
            found = group[group.baseline == baseline.impl]
            verdict_text = f"**{found.verdict.iloc[0]}**: {_spread(found.iloc[0])}" if len(found) else "not measured"
            row[f"against {baseline.title} (`{baseline.impl}`)"] = verdict_text
        rows.append(row)
    return pd.DataFrame(rows).to_markdown(index=False)


def _verdict_details(verdict: pd.DataFrame) -> str:
    rows = [
        {
            "baseline": f"`{row.baseline}`",
            "claim on": f"`{row.impl}`",
            "setting": SETTING_TITLES[row.setting],
            "dtype": row.dtype,
            "verdict": f"**{row.verdict}**",
            "holds": row.holds_at,
            "exceeded": row.exceeded_at,
            "does not hold": row.does_not_hold_at,
            "undecided": row.undecided_at,
        }
        for row in verdict.itertuples()
    ]
    return pd.DataFrame(rows).to_markdown(index=False)


def loop_form_section(form: pd.DataFrame) -> str:
    """The notes' loop as written against the careful loop: the loop's form alone."""
    if form.empty:
        return f"This run has no size with both `{NOTES_BASELINE}` and `{BASELINE}` timed."
    cells = form.assign(
        cell=[
            f"~{number_text(r.ratio)}x" if r.extrapolated else interval_text(r.ratio, r.ratio_low, r.ratio_high)
            for r in form.itertuples()
        ]
    )
    table = cells.pivot(index=["dtype", "n_x"], columns="m", values="cell").fillna("n/a")
    table.columns = [f"m = {m:.0e}".replace("e+0", "e") for m in table.columns]
    return (
        f"Time of `{NOTES_BASELINE}` over time of `{BASELINE}` at each size, with its 95% interval from the "
        "paired passes (`~`: extrapolated). Both compute the same step with the same loops; only the way they "
        "are written differs. A speedup over the notes' loop is the speedup over the careful loop times this "
        "ratio.\n\n" + table.reset_index().to_markdown(index=False)
    )
