"""The report's section on dask_array: each case beside the size of its X, its own floor, numpy's step, its memory.

Everything comes from the run's records (bench/measure/dask_case.py writes the dask
fields into each case's extra_info) and the tidy table of bench/records/results.py;
nothing is measured or recomputed here.
"""

from typing import Any

import pandas as pd

from bench.records.schema import STEP
from bench.text import human_bytes

IMPL = "dask_array"
NUMPY = "fully_vectorized"
COLUMNS = [
    "threads",
    "m",
    "n_x",
    "bytes_x",
    "data",  # "in memory" (the others' X, held by the workers) or "generated" (in the tasks, past memory)
    "chunks",
    "chunk_bytes",
    "cluster",
    "seconds",  # median over passes
    "min_s",  # best round
    "floor_s",  # best call of the same graph only reading X (pass 1)
    "numpy_s",  # fully_vectorized at the same size and threads (median over passes)
    "peak_rss_bytes",  # of the benchmark's worker process, case start to end (pass 1)
    "worker_peak_rss_bytes",  # summed over the cluster's worker processes, where they are other processes
]


def dask_cases(run: dict[str, Any], results: pd.DataFrame) -> pd.DataFrame:
    """One row per measured dask_array step (COLUMNS), smallest X first."""
    numpy = results[(results.impl == NUMPY) & (results.kind == STEP) & (results.status == "measured")]
    numpy_s = {(r.threads, r.m, r.n_x): r.seconds for r in numpy.itertuples()}
    steps = results[(results.impl == IMPL) & (results.kind == STEP) & (results.status == "measured")]
    times = {(r.threads, r.m, r.n_x): (r.seconds, r.min_s) for r in steps.itertuples()}
    rows = []
    for case in run.get("benchmarks", []):
        info = case["extra_info"]
        key = (info.get("threads"), info.get("m"), info.get("n_x"))
        if info.get("impl") != IMPL or key not in times:
            continue
        cluster = info.get("dask_cluster", {})
        workers = info.get("worker_peak_rss_bytes")
        rows.append(
            {
                "threads": key[0],
                "m": key[1],
                "n_x": key[2],
                "bytes_x": info["bytes_x"],
                "data": info.get("dask_data"),
                "chunks": info.get("dask_chunks"),
                "chunk_bytes": info.get("dask_chunk_bytes"),
                "cluster": _cluster(cluster),
                "seconds": times[key][0],
                "min_s": times[key][1],
                "floor_s": info.get("dask_floor_s"),
                "numpy_s": numpy_s.get(key),
                "peak_rss_bytes": info.get("peak_rss_bytes"),
                "worker_peak_rss_bytes": sum(v or 0 for v in workers.values()) if workers else None,
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.sort_values(["bytes_x", "threads"], ignore_index=True)


def _cluster(cluster: dict[str, Any]) -> str:
    """E.g. '1 worker x 2 threads, in process' or '4 workers x 8 threads, tcp://10.0.0.5:8786'."""
    workers, threads = cluster.get("workers", "?"), cluster.get("threads_per_worker", "?")
    where = "in process" if cluster.get("in_process") else cluster.get("scheduler", "?")
    return f"{workers} worker{'' if workers == 1 else 's'} x {threads} thread{'' if threads == 1 else 's'}, {where}"


def _seconds(value: Any) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{value * 1e3:.3g} ms" if value < 1 else f"{value:.3g} s"


def _ratio(numerator: Any, denominator: Any) -> str:
    if any(v is None or pd.isna(v) for v in (numerator, denominator)):
        return "n/a"
    return f"{numerator / denominator:.2f}x"


def _memory(peak: Any, workers: Any, bytes_x: int) -> str:
    if peak is None or pd.isna(peak):
        return "not recorded"
    total = peak + (0 if workers is None or pd.isna(workers) else workers)
    text = human_bytes(peak) if total == peak else f"{human_bytes(peak)} + workers {human_bytes(workers)}"
    return f"{text} ({total / bytes_x:.2g}x X)"


def section(table: pd.DataFrame) -> str:
    """The markdown section for the cases of `dask_cases`; empty when the run has none."""
    if table.empty:
        return ""
    shown = pd.DataFrame(
        {
            "threads": table.threads,
            "cluster": table.cluster,
            "m": table.m,
            "n_x": table.n_x,
            "X": [human_bytes(b) for b in table.bytes_x],
            "data": table.data,
            "chunks": [f"{c} x {human_bytes(b)}" for c, b in zip(table.chunks, table.chunk_bytes)],
            "step (median)": [_seconds(s) for s in table.seconds],
            "step (best)": [_seconds(s) for s in table.min_s],
            "own floor (best)": [_seconds(s) for s in table.floor_s],
            "best step / floor": [_ratio(s, f) for s, f in zip(table.min_s, table.floor_s)],
            "numpy step (median)": [_seconds(s) for s in table.numpy_s],
            "dask / numpy": [_ratio(s, n) for s, n in zip(table.seconds, table.numpy_s)],
            "peak resident memory": [
                _memory(p, w, b) for p, w, b in zip(table.peak_rss_bytes, table.worker_peak_rss_bytes, table.bytes_x)
            ],
        }
    )
    text = (
        "The vectorized step on dask.array (`dask_array`): one task per chunk of examples, partial sums added "
        "as a tree, on a dask.distributed cluster. Its own floor is the same graph with each task only reading "
        "its chunk of X (past memory: generating and reading it, as the step must): the step's best round over "
        "the floor's best call says how much of the step is its arithmetic. Where numpy's step ran at the same "
        "size and threads, dask / numpy is the ratio of medians. Memory: the peak resident set of the "
        "benchmark's worker process from the start of the case to its end (the cluster's workers run in it "
        "unless listed apart), against the size of X: a size past memory is never held whole."
    )
    in_memory = table[(table.data == "in memory") & table.numpy_s.notna()]
    if not in_memory.empty:
        small = in_memory.iloc[0]
        text += (
            f" At the smallest size in memory (m = {small.m}, n_x = {small.n_x}, threads = {small.threads}) the floor "
            f"takes {_seconds(small.floor_s)}, mostly building and scheduling the graph: dask's cost per call, "
            f"against {_seconds(small.numpy_s)} for numpy's whole step."
        )
    return f"{text}\n\n{shown.to_markdown(index=False)}"
