"""Small synthetic runs in the pytest-benchmark JSON layout the harness writes."""

from typing import Any

import numpy as np


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
) -> dict[str, Any]:
    """A measured step whose rounds scatter by `spread` (relative) around `seconds`."""
    rng = np.random.default_rng([seed, m, n_x, len(impl)])
    data = seconds * (1 + spread * rng.standard_normal(rounds))
    return _case(
        impl,
        f"test_step[{impl}-m={m}-n_x={n_x}]",
        {
            "m": m,
            "n_x": n_x,
            "bytes_x": 8 * m * n_x,
            "status": "measured",
            "gbytes_per_s": 8 * m * n_x / float(np.median(data)) / 1e9,
            "read_s": read_s if read_s is not None else seconds / 2,
            "agreement_error": 1e-16,
        },
        data,
    )


def train_case(impl: str, seconds: float, costs: list[float]) -> dict[str, Any]:
    return _case(
        impl,
        f"test_train[{impl}]",
        {"train_m": 100, "train_n_x": 10, "iterations": len(costs), "costs": costs, "status": "measured"},
        seconds * np.ones(5),
    )


def skipped_case(
    impl: str, m: int, n_x: int, status: str = "extrapolated", predicted_s: float | None = None
) -> dict[str, Any]:
    info = {
        "impl": impl,
        "label": impl,
        "m": m,
        "n_x": n_x,
        "bytes_x": 8 * m * n_x,
        "status": status,
        "reason": f"{status} for the test",
    }
    if predicted_s is not None:
        info["predicted_s"] = predicted_s
    return {
        "group": None,
        "name": f"test_step[{impl}-m={m}-n_x={n_x}]",
        "params": {},
        "param": f"{impl}-m={m}-n_x={n_x}",
        "extra_info": info,
        "stats": None,
    }


def _case(impl: str, name: str, info: dict[str, Any], data: np.ndarray) -> dict[str, Any]:
    q1, median, q3 = np.percentile(data, [25, 50, 75])
    stats = {
        "min": data.min(),
        "max": data.max(),
        "mean": data.mean(),
        "stddev": data.std(ddof=1),
        "median": median,
        "iqr": q3 - q1,
        "q1": q1,
        "q3": q3,
        "rounds": len(data),
        "data": data.tolist(),
    }
    return {
        "group": "g",
        "name": name,
        "param": name.split("[")[1].rstrip("]"),
        "params": {"impl": impl},
        "extra_info": {"impl": impl, "label": impl.replace("_", " "), **info},
        "stats": {k: float(v) if k != "data" else v for k, v in stats.items()},
    }


def run_of(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """A whole run: measured cases become `benchmarks`, the rest `skipped`."""
    return {
        "machine_info": {
            "cpu": {"brand_raw": "Test CPU"},
            "logical_cores": 2,
            "packages": {"numpy": "2.0"},
            "environment": {"OPENBLAS_CORETYPE": "Haswell"},
        },
        "commit_info": {"id": "abc123", "dirty": False},
        "datetime": "2026-11-25T00:00:00",
        "version": "5.3.1",
        "benchmarks": [c for c in cases if c["stats"] is not None],
        "skipped": [c for c in cases if c["stats"] is None],
        "bandwidth": [],
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
