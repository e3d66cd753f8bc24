"""Small synthetic runs in the pytest-benchmark JSON layout the harness writes (bench/records/journal.py's docstring)."""

from collections.abc import Sequence
from typing import Any

import numpy as np

PARALLEL = {"fully_vectorized", "notes_fully_vectorized", "numba_fused", "sklearn_peer", "jax_peer", "dask_array"}


def measured_case(
    impl: str,
    m: int,
    n_x: int,
    seconds: float,
    *,
    spread: float = 0.02,
    rounds: int = 15,
    read_s: float | None = None,
    seed: int = 0,
    threads: int = 1,
    passes: int = 3,
    pass_spread: float = 0.0,
    pass_factors: Sequence[float] | None = None,
    dtype: str = "float64",
) -> dict[str, Any]:
    """A measured step whose rounds scatter by `spread` (relative) around `seconds`, split into `passes` passes.

    Pass p's rounds are scaled by pass_factors[p] when given, else by
    1 + pass_spread * (a standard normal draw): the drift between passes.
    """
    rng = np.random.default_rng([seed, m, n_x, len(impl)] + ([threads] if threads != 1 else []))
    data = seconds * (1 + spread * rng.standard_normal(rounds))
    factors = _pass_factors(rng, passes, pass_spread, pass_factors)
    per_pass = [chunk * factor for chunk, factor in zip(np.array_split(data, len(factors)), factors, strict=True)]
    read = read_s if read_s is not None else seconds / 2
    bytes_x = np.dtype(dtype).itemsize * m * n_x
    info = {
        "kind": "step",
        "m": m,
        "n_x": n_x,
        "dtype": dtype,
        "bytes_x": bytes_x,
        "status": "measured",
        "read_s": read,
        "agreement_error": 1e-16,
        "result_dtype": dtype,
    }
    name = f"test_step[{impl}-threads={threads}-m={m}-n_x={n_x}{_dtype_suffix(dtype)}]"
    case = _case(impl, name, info, per_pass, threads, read)
    case["extra_info"]["gbytes_per_s"] = bytes_x / float(np.median([np.median(p) for p in per_pass])) / 1e9
    return case


def _dtype_suffix(dtype: str) -> str:
    return "" if dtype == "float64" else f"-dtype={dtype}"


def _pass_factors(
    rng: np.random.Generator, passes: int, pass_spread: float, pass_factors: Sequence[float] | None
) -> list[float]:
    if pass_factors is not None:
        return list(pass_factors)
    return list(1 + pass_spread * rng.standard_normal(passes))


def train_case(
    impl: str,
    seconds: float,
    costs: list[float],
    *,
    threads: int = 1,
    passes: int = 3,
    pass_factors: Sequence[float] | None = None,
) -> dict[str, Any]:
    """A measured training run of len(costs) iterations, 2 rounds per pass, every round `seconds` times its pass factor."""
    factors = list(pass_factors) if pass_factors is not None else [1.0] * passes
    info = {
        "kind": "train",
        "train_m": 100,
        "train_n_x": 10,
        "iterations": len(costs),
        "costs": costs,
        "status": "measured",
    }
    per_pass = [seconds * factor * np.ones(2) for factor in factors]
    return _case(impl, f"test_train[{impl}-threads={threads}]", info, per_pass, threads, None)


def skipped_train_case(impl: str, predicted_s: float) -> dict[str, Any]:
    """A training run extrapolated from the steps measured before it, as train_case's size."""
    case = skipped_case(impl, 100, 10, predicted_s=predicted_s)
    info = {k: v for k, v in case["extra_info"].items() if k not in ("m", "n_x", "bytes_x")}
    name = f"test_train[{impl}-threads=1]"
    extra_info = info | {"kind": "train", "train_m": 100, "train_n_x": 10, "iterations": 3}
    return case | {"name": name, "param": name.split("[")[1].rstrip("]"), "extra_info": extra_info}


def skipped_case(
    impl: str,
    m: int,
    n_x: int,
    status: str = "extrapolated",
    predicted_s: float | None = None,
    *,
    threads: int = 1,
    dtype: str = "float64",
) -> dict[str, Any]:
    info = {
        "kind": "step",
        "impl": impl,
        "label": impl.replace("_", " "),
        "threads": threads,
        "dtype": dtype,
        "parallel": impl in PARALLEL,
        "m": m,
        "n_x": n_x,
        "bytes_x": np.dtype(dtype).itemsize * m * n_x,
        "status": status,
        "reason": f"{status} for the test",
    }
    if predicted_s is not None:
        info["predicted_s"] = predicted_s
    return {
        "group": None,
        "name": f"test_step[{impl}-threads={threads}-m={m}-n_x={n_x}{_dtype_suffix(dtype)}]",
        "params": {},
        "param": f"{impl}-threads={threads}-m={m}-n_x={n_x}{_dtype_suffix(dtype)}",
        "extra_info": info,
        "stats": None,
    }


def _summary(data: np.ndarray) -> dict[str, float]:
    q1, median, q3 = np.percentile(data, [25, 50, 75])
    return {"min": float(data.min()), "median": float(median), "q1": float(q1), "q3": float(q3)}


def _case(
    impl: str,
    name: str,
    info: dict[str, Any],
    per_pass: list[np.ndarray],
    threads: int,
    read_s: float | None,
) -> dict[str, Any]:
    """A measured record: pooled stats over every pass's rounds, and each pass's summary in extra_info.passes."""
    data = np.concatenate(per_pass)
    pooled = _summary(data)
    stats = {
        **pooled,
        "max": float(data.max()),
        "mean": float(data.mean()),
        "stddev": float(data.std(ddof=1)),
        "iqr": pooled["q3"] - pooled["q1"],
        "rounds": len(data),
        "data": data.tolist(),
    }
    passes = [
        {"pass": p, **_summary(rounds), "rounds": len(rounds), "read_s": read_s}
        for p, rounds in enumerate(per_pass, start=1)
    ]
    return {
        "group": "g",
        "name": name,
        "param": name.split("[")[1].rstrip("]"),
        "params": {"impl": impl, "threads": threads},
        "extra_info": {
            "impl": impl,
            "label": impl.replace("_", " "),
            "threads": threads,
            "dtype": "float64",
            "parallel": impl in PARALLEL,
            "passes": passes,
            **info,
        },
        "stats": stats,
    }


def run_of(cases: list[dict[str, Any]], *, all_cores: int = 2) -> dict[str, Any]:
    """A whole run: measured cases become `benchmarks`, the rest `skipped`."""
    threads = sorted({c["extra_info"].get("threads", 1) for c in cases}) or [1]
    passes = max((len(c["extra_info"].get("passes", [])) for c in cases), default=0)
    return {
        "machine_info": {
            "cpu": {"brand_raw": "Test CPU"},
            "logical_cores": 2,
            "packages": {"numpy": "2.0"},
            "environment": {"OPENBLAS_CORETYPE": "Haswell"},
            "thread_settings": {
                str(t): {
                    "threadpools": [
                        {"internal_api": "openblas", "version": "0.3", "prefix": "libopenblas", "num_threads": t}
                    ],
                    "numba_threads": t,
                }
                for t in threads
            },
        },
        "commit_info": {"id": "abc123", "dirty": False},
        "datetime": "2026-11-25T00:00:00",
        "version": "5.3.1",
        "benchmarks": [c for c in cases if c["stats"] is not None],
        "skipped": [c for c in cases if c["stats"] is None],
        "bandwidth": [],
        "run": {"profile": "test", "passes": passes, "threads": threads, "all_cores": all_cores},
    }


def old_format(run: dict[str, Any], numba_threads: int = 2) -> dict[str, Any]:
    """The same run as written before issue 9: no kind, threads, dtype, parallel or passes; one pass per case."""
    dropped = {"kind", "threads", "dtype", "parallel", "passes"}
    cases = [
        {**case, "extra_info": {k: v for k, v in case["extra_info"].items() if k not in dropped}}
        for case in run["benchmarks"] + run["skipped"]
    ]
    return {
        **run,
        "machine_info": {k: v for k, v in run["machine_info"].items() if k != "thread_settings"}
        | {"numba_threads": numba_threads, "threadpools": [{"internal_api": "openblas", "num_threads": 2}]},
        "benchmarks": [c for c in cases if c["stats"] is not None],
        "skipped": [c for c in cases if c["stats"] is None],
        "run": {"profile": "test"},
    }


def claim_grid(features_speedup: float, full_speedup: float, sizes: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """The notes' three implementations at `sizes`, with exactly these speedups over the double loop."""
    cases = []
    for m, n_x in sizes:
        base = 1e-7 * m * n_x
        cases += [
            measured_case("double_loop", m, n_x, base, spread=0.0),
            measured_case("features_vectorized", m, n_x, base / features_speedup, spread=0.0),
            measured_case("fully_vectorized", m, n_x, base / full_speedup, spread=0.0),
        ]
    return cases


def two_baseline_grid(
    loop_form: float, careful: tuple[float, float], notes: tuple[float, float], sizes: list[tuple[int, int]]
) -> list[dict[str, Any]]:
    """`claim_grid(*careful, sizes)` plus the notes' three as written: their loop `loop_form` times slower than
    the careful loop, their (features, fully) vectorized steps `notes` times faster than their own loop."""
    cases = claim_grid(*careful, sizes)
    for m, n_x in sizes:
        notes_loop = loop_form * 1e-7 * m * n_x
        cases += [
            measured_case("notes_double_loop", m, n_x, notes_loop, spread=0.0),
            measured_case("notes_features_vectorized", m, n_x, notes_loop / notes[0], spread=0.0),
            measured_case("notes_fully_vectorized", m, n_x, notes_loop / notes[1], spread=0.0),
        ]
    return cases


def with_trials(
    case: dict[str, Any], members: dict[str, float], *, spread: float = 0.01, seed: int = 0
) -> dict[str, Any]:
    """`case` as timed in paired trials: each pass's rounds are its step's trials, and each of `members` (a loop
    by name, "self", "read") took `ratio` times the step in the same trial, times a noise of `spread` (in log)."""
    rng = np.random.default_rng([seed, len(case["name"])])
    data = np.asarray(case["stats"]["data"])
    start = 0
    for summary in case["extra_info"]["passes"]:
        steps = data[start : start + summary["rounds"]]
        start += summary["rounds"]
        summary["trials"] = {"step": steps.tolist()} | {
            member: (steps * ratio * np.exp(rng.normal(0, spread, steps.size))).tolist()
            for member, ratio in members.items()
        }
        summary["calls"] = dict.fromkeys(summary["trials"], 1)
    return case
