"""The report's counted section: instructions and estimated cycles per element, from a counted run beside it."""

import json
from pathlib import Path

import pandas as pd

from bench.records.counts import COUNTS_CSV, COUNTS_JSON, read_counts
from bench.records.schema import CAREFUL_LOOP, WIDE

BLIND_SPOTS = (
    "Counts cannot see, so wall time (the rest of this report, and `regress` without `--counts`) stays the "
    "measure of: **thread scaling** (Valgrind runs a program's threads one at a time; counts use one thread); "
    "**memory bandwidth and latency** (the simulated caches charge a miss a fixed 35 cycles, a real memory system "
    "overlaps and prefetches); **AVX-512 paths** (Valgrind emulates up to AVX2, so numpy and OpenBLAS may choose "
    "another kernel under it than natively: {cpu}); **system calls** and the time the kernel spends for the step "
    "(page faults of a first touch, a thread pool's wake-ups)."
)


def counts_section(run_dir: Path) -> str | None:
    """The section, or None when `run_dir` holds no counted run (python -m bench counts --output DIR)."""
    if not (Path(run_dir) / COUNTS_CSV).exists():
        return None
    counts = read_counts(run_dir)
    counted = counts[(counts.status == "counted") & (counts.dtype == WIDE)]
    if counted.empty:
        return "No case was counted: " + "; ".join(sorted(set(counts.reason.dropna())))
    meta_path = Path(run_dir) / COUNTS_JSON
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    parts = [
        "Each step run once under Valgrind's callgrind (one thread, simulated caches of 32 KiB L1 and 8 MiB last "
        "level), counting the step only, after a warm call. Estimated cycles = L1 hits + 5 x last-level hits + 35 "
        "x RAM hits (as iai and gungraun estimate them). Counts are the same on every run of the same code (within "
        "0.02% here), so they say *why* one step costs more than another without the machine's noise.",
        _per_element_table(counted),
        _loop_line(counted),
        _left_out(counts),
        BLIND_SPOTS.format(cpu=_cpu_text(meta)),
    ]
    return "\n\n".join(part for part in parts if part)


def _per_element_table(counted: pd.DataFrame) -> str:
    """Instructions per element of X by implementation (rows) and size (columns)."""
    table = counted.assign(
        size=[f"m={m} n_x={n_x}" for m, n_x in zip(counted.m, counted.n_x, strict=True)],
        value=[
            f"{i / (m * n):.3g} ({c / (m * n):.3g})"
            for i, c, m, n in zip(counted.instructions, counted.estimated_cycles, counted.m, counted.n_x, strict=True)
        ],
    )
    sizes = list(dict.fromkeys(table.sort_values(["n_x", "m"])["size"]))
    wide = table.pivot(index="impl", columns="size", values="value").reindex(columns=sizes).fillna("")
    return "Instructions per element of X (estimated cycles per element):\n\n" + wide.to_markdown()


def _loop_line(counted: pd.DataFrame) -> str:
    """The careful loop's instructions per element against numpy's, at the largest size both were counted."""
    both = counted[counted.impl.isin([CAREFUL_LOOP, "fully_vectorized"])].pivot_table(
        index=["m", "n_x"], columns="impl", values="instructions"
    )
    both = both.dropna()
    if both.empty or len(both.columns) < 2:
        return ""
    (m, n_x), row = max(both.iterrows(), key=lambda item: item[0][0] * item[0][1])
    loop, numpy = row[CAREFUL_LOOP] / (m * n_x), row["fully_vectorized"] / (m * n_x)
    return (
        f"At m = {m}, n_x = {n_x} the careful Python loop executes {loop:,.0f} instructions per element of X, "
        f"numpy's vectorized step {numpy:.3g}: {loop / numpy:,.0f}x fewer, before any cache or SIMD effect. "
        "That is most of the claimed ~300x: the interpreter's work per element, not the arithmetic."
    )


def _left_out(counts: pd.DataFrame) -> str:
    """One line per implementation with cases not counted: how many, and the first one's reason."""
    lines = [
        f"- {impl}: {len(group)} case(s), from m={group.m.iloc[0]} n_x={group.n_x.iloc[0]} ({group.status.iloc[0]}: "
        f"{group.reason.iloc[0]})"
        for impl, group in counts[counts.status != "counted"].groupby("impl", sort=False)
    ]
    return "Not counted:\n\n" + "\n".join(lines) if lines else ""


def _cpu_text(meta: dict) -> str:
    native: dict = meta.get("native_cpu", {})
    emulated: dict = next(iter(meta.get("emulated_cpu", {}).values()), {})
    if not native or not emulated:
        return "which kernels they chose is in counts.json"

    def widest(cpu: dict) -> str:
        features = cpu.get("numpy_cpu_features", [])
        return "AVX-512" if any(f.startswith("AVX512") for f in features) else "AVX2" if "AVX2" in features else "AVX"

    return (
        f"here OpenBLAS chose its {emulated.get('openblas_core')} kernels under Valgrind and "
        f"{native.get('openblas_core')} natively; numpy's widest SIMD was {widest(emulated)} under Valgrind and "
        f"{widest(native)} natively"
    )
