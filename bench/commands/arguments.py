"""What several commands share: argument types with messages a user can act on, tables, runs loaded."""

import argparse
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from bench.measure.threads import parse_threads
from bench.records.schema import WIDE
from impls import IMPLEMENTATIONS, UNAVAILABLE
from impls.core import DTYPES


def positive_ints(text: str) -> tuple[int, ...]:
    """'100,1e3' -> (100, 1000): comma-separated sizes of at least 1, for argparse."""
    try:
        values = tuple(int(float(v)) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers such as 100,1000; got {text!r}") from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"sizes must be at least 1; got {text!r}")
    return values


def positive_float(text: str) -> float:
    """A number above 0, for argparse."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive; got {text!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1, for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {text!r}")
    return value


def thread_counts(text: str) -> str:
    """Thread counts such as '1,all', checked here for argparse's message and kept as text."""
    try:
        parse_threads(text)  # checked here for the message; parsed (and warned about) once, in command_run
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def impl_name(text: str) -> str:
    """A registered implementation's name; an unavailable one is refused with the reason."""
    if text in UNAVAILABLE:
        raise argparse.ArgumentTypeError(UNAVAILABLE[text])
    if text not in IMPLEMENTATIONS:
        raise argparse.ArgumentTypeError(f"unknown implementation {text!r}; known: {', '.join(IMPLEMENTATIONS)}")
    return text


def parse_dtypes(text: str) -> tuple[str, ...]:
    """'float64,float32' -> ('float64', 'float32'): names in DTYPES, in the order given, without repeats."""
    names = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",")))
    unknown = [name for name in names if name not in DTYPES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown dtype {unknown[0]!r}; supported: {', '.join(DTYPES)}")
    return names


def run_list(text: str) -> list[Path]:
    """'DIR1,DIR2' -> [Path('DIR1'), Path('DIR2')]: runs to pool."""
    return [Path(part) for part in text.split(",") if part]


def add_test_options(parser: argparse.ArgumentParser) -> None:
    """--threshold and --alpha, the regression test's options (compare, selftest, regress)."""
    parser.add_argument(
        "--threshold", type=positive_float, default=1.25, help="smallest slowdown ratio that counts. Default: 1.25"
    )
    parser.add_argument(
        "--alpha", type=positive_float, default=0.01, help="significance level of the rank test. Default: 0.01"
    )


def print_table(console: Console, frame: pd.DataFrame, title: str) -> None:
    """A DataFrame as a rich table, floats to 3 significant digits."""
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(str(column), justify="right" if frame[column].dtype.kind in "iuf" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


def emit_json(frame: pd.DataFrame) -> None:
    """A DataFrame as JSON records on stdout."""
    print(frame.to_json(orient="records", indent=1))


def dtype_suffix(row: Any) -> str:
    """' float32' for a case of another dtype than float64, '' for float64 (as case ids say it)."""
    return "" if row.dtype == WIDE else f" {row.dtype}"


def load_runs(paths: list[Path]) -> list[dict[str, Any]]:
    """The runs at `paths` (run directories or their JSON)."""
    from bench.records.results import load_run

    return [load_run(path) for path in paths]
