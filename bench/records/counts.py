"""Counted runs' records: callgrind's dumps read, an estimated cycle count, counts.csv written and read.

A counted run (`python -m bench counts`, bench/measure/counting.py) runs each
step once under Valgrind's callgrind with a fixed simulated cache, and dumps
the counters at the end of the step (the dump is named after the case). Its
counts move with the code, not with the machine's noise.

The estimated cycles follow iai and gungraun (bheisler/iai, README, "Estimated
Cycles"; gungraun's docs say the same): L1 hits + 5 x last-level hits + 35 x
RAM hits, where an access that misses L1 but hits the last level is an LL hit
and one that misses the last level too a RAM hit. It weighs a cache miss as a
typical x86 core pays it (~5 cycles to L2/L3, ~35 to memory beyond prefetch):
a model, not a cycle count, and the same model on both sides of a ratio.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

COUNTS_CSV = "counts.csv"
COUNTS_JSON = "counts.json"  # how the counts were made: Valgrind, cache geometry, formula, the emulated CPU
# callgrind's event names (--cache-sim=yes): instructions, data reads and writes, then the misses of the
# instruction and data caches at L1 (I1, D1) and at the last level (IL, DL).
EVENTS = ("Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw")
LL_HIT_CYCLES, RAM_HIT_CYCLES = 5, 35
TRIGGER = "desc: Trigger: Client Request: "
# The columns of counts.csv, after the case's own (bench.records.schema.CASE).
COUNT_COLUMNS = ["instructions", "l1_misses", "ll_misses", "estimated_cycles", "status", "reason"]


def read_dump(path: Path) -> tuple[str, dict[str, int]] | None:
    """(the name the dump was given, its totals per event) of one callgrind dump; None for a dump not made by a
    client request (the empty one callgrind writes when the program ends)."""
    name, events, totals = None, None, None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(TRIGGER):
            name = line[len(TRIGGER) :].strip()
        elif line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("totals:"):
            totals = [int(value) for value in line.split()[1:]]
    if name is None:
        return None
    if events is None or totals is None:
        raise ValueError(f"{path} is not a whole callgrind dump: it has no events: or totals: line")
    missing = [event for event in EVENTS if event not in events]
    if missing:
        raise ValueError(f"{path} lacks the events {', '.join(missing)}: was callgrind run with --cache-sim=yes?")
    counted = dict(zip(events, totals + [0] * (len(events) - len(totals))))
    return name, {event: counted[event] for event in EVENTS}


def summarize(events: dict[str, int]) -> dict[str, int]:
    """Instructions, L1 and last-level misses, and the estimated cycles (the module's docstring) of one dump."""
    accesses = events["Ir"] + events["Dr"] + events["Dw"]
    l1_misses = events["I1mr"] + events["D1mr"] + events["D1mw"]
    ll_misses = events["ILmr"] + events["DLmr"] + events["DLmw"]
    l1_hits, ll_hits = accesses - l1_misses, l1_misses - ll_misses
    return {
        "instructions": events["Ir"],
        "l1_misses": l1_misses,
        "ll_misses": ll_misses,
        "estimated_cycles": l1_hits + LL_HIT_CYCLES * ll_hits + RAM_HIT_CYCLES * ll_misses,
    }


def read_counts(directory: Path) -> pd.DataFrame:
    """counts.csv of a counted run; FileNotFoundError naming what to run when there is none."""
    import pandas as pd

    path = Path(directory) / COUNTS_CSV
    if not path.exists():
        raise FileNotFoundError(
            f"no counted run at {directory}: expected {COUNTS_CSV} (python -m bench counts --output {directory})"
        )
    return pd.read_csv(path, keep_default_na=False, na_values=[""])
