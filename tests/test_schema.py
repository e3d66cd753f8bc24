"""The run's vocabulary agrees with the implementations' and loads nothing heavy."""

import subprocess
import sys

from bench.records.schema import NARROW, WIDE
from impls.core import DTYPES


def test_the_schema_names_the_dtypes_the_implementations_compute_in() -> None:
    assert (WIDE, NARROW) == DTYPES


def test_the_schema_loads_no_implementation() -> None:
    code = "import sys, bench.records.schema; print(sorted(m for m in sys.modules if m.split('.')[0] in ('impls', 'numba', 'pandas')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
