"""Formatting the report's sections share: settings and baselines by title, intervals, threads, sets of sizes."""

from typing import Any

import pandas as pd

from bench.analysis.claims import ALL_CORES, BASELINES, SETTING_TITLES, SETTINGS
from bench.text import number_text


def settings_in(frame: pd.DataFrame) -> list[str]:
    """The settings that `frame`'s rows have, in the report's order (1 thread first)."""
    return [s for s in SETTINGS if (frame.setting == s).any()]


def setting_title(setting: str, rows: pd.DataFrame) -> str:
    """E.g. "as installed (all cores: 2 threads)": the thread count read from the rows themselves."""
    most = int(rows.threads.max()) if len(rows) else 1
    if setting == ALL_CORES and most > 1:
        return f"as installed (all cores: {most} threads)"
    return SETTING_TITLES[setting]


def baseline_title(impl: str) -> str:
    """E.g. "the careful loop (double_loop)"."""
    return next(f"{b.title} ({b.impl})" for b in BASELINES if b.impl == impl)


def threads_text(count: Any) -> str:
    """'1 thread', '2 threads'."""
    return f"{count} thread{'' if count == 1 else 's'}"


def interval_text(value: float, low: float, high: float, suffix: str = "x") -> str:
    """E.g. '123x [100, 150]'; the bare value where there is no interval."""
    text = f"{number_text(value)}{suffix}"
    return text if pd.isna(low) else f"{text} [{number_text(low)}, {number_text(high)}]"


def by_size(cells: pd.DataFrame) -> str:
    """A markdown table of `cells.cell`: a row per (n_x, m), a column per implementation and thread count."""
    cells = cells.assign(
        column=[f"{r.impl} ({r.threads} threads)" if r.threads > 1 else r.impl for r in cells.itertuples()]
    )
    order = list(dict.fromkeys(cells.column))  # the run's order
    pivot = cells.pivot(index=["n_x", "m"], columns="column", values="cell").reindex(columns=order).fillna("n/a")
    return pivot.reset_index().to_markdown(index=False)
