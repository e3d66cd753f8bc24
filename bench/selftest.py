"""The regression check measured on itself: false alarms on A/A pairs, detections of injected slowdowns.

Each trial builds an A/A pair from real runs of the same code: any "slower"
verdict on it is a false alarm. How, depends on how many runs are given:

- 4 or more: A and B are two different runs each, as `regress` makes them
  (A/B/A/B), with a random half of each run's rounds; run-to-run drift is
  part of what the check must not alarm on. This is the honest test.
- 2 or 3: A and B are one different run each (half the rounds of each).
- 1: A and B are random halves of the same run's rounds: this only shows
  the rank test's behaviour under within-run noise, an optimistic bound.

Multiplying one implementation's B rounds by a factor injects a slowdown of
exactly that size; a detection is a "slower" verdict on that implementation
(the verdict that sets `compare`'s exit code).
"""

from typing import Any

import numpy as np
import pandas as pd

from bench.regress import ALPHA, THRESHOLD, CaseKey, RunRounds, compare_cases, implementation_verdicts
from bench.results import round_times

SLOWDOWNS = (1.1, 1.25, 1.5, 2.0)


Cases = dict[CaseKey, np.ndarray]


def random_pair(
    runs: list[Cases], rng: np.random.Generator
) -> tuple[dict[CaseKey, RunRounds], dict[CaseKey, RunRounds]]:
    """An A/A pair: per case, a list of per-run rounds for each side (see the module's docstring)."""
    per_side = 2 if len(runs) >= 4 else 1
    chosen = [0, 0] if len(runs) == 1 else list(rng.choice(len(runs), size=2 * per_side, replace=False))
    keys = set.intersection(*(set(runs[i]) for i in chosen))
    base: dict[CaseKey, RunRounds] = {}
    head: dict[CaseKey, RunRounds] = {}
    for key in keys:
        halves = []
        for position, i in enumerate(chosen):
            rounds = rng.permutation(runs[i][key])
            half = rounds.size // 2
            # From one run, A takes the first half and B the second; from several, each takes a random half.
            halves.append(rounds[half : 2 * half] if len(runs) == 1 and position == 1 else rounds[:half])
        if min(h.size for h in halves) == 0:
            continue
        base[key], head[key] = halves[:per_side], halves[per_side:]
    return base, head


def pairing(n_runs: int) -> str:
    """How `random_pair` builds A/A pairs from this many runs."""
    if n_runs >= 4:
        return "2 runs per side, different runs (as regress makes them)"
    if n_runs >= 2:
        return "1 run per side, different runs"
    return "halves of a single run (within-run noise only: optimistic)"


def selftest(
    runs: list[dict[str, Any]],
    trials: int = 20,
    slowdowns: tuple[float, ...] = SLOWDOWNS,
    threshold: float = THRESHOLD,
    alpha: float = ALPHA,
    seed: int = 0,
) -> tuple[int, pd.DataFrame]:
    """False alarms in `trials` A/A pairs, and a table of detections per slowdown and implementation."""
    rng = np.random.default_rng(seed)
    cases = [round_times(run) for run in runs]
    false_alarms = 0
    for _ in range(trials):
        base, head = random_pair(cases, rng)
        false_alarms += bool(len(_slower_impls(base, head, threshold, alpha)))
    impls = sorted({key[1] for run in cases for key in run})
    rows = []
    for factor in slowdowns:
        for impl in impls:
            detected = collateral = 0
            for _ in range(trials):
                base, head = random_pair(cases, rng)
                head = {
                    key: [r * factor for r in per_run] if key[1] == impl else per_run for key, per_run in head.items()
                }
                slower = _slower_impls(base, head, threshold, alpha)
                detected += impl in slower
                collateral += bool(slower - {impl})
            rows.append(
                {
                    "slowdown": factor,
                    "impl": impl,
                    "detected": detected,
                    "trials": trials,
                    "other_impls_flagged": collateral,
                }
            )
    return false_alarms, pd.DataFrame(rows)


def _slower_impls(
    base: dict[CaseKey, RunRounds], head: dict[CaseKey, RunRounds], threshold: float, alpha: float
) -> set[str]:
    comparison = compare_cases(base, head, threshold, alpha, interval=False)
    verdicts = implementation_verdicts(comparison, threshold, alpha)
    return set(verdicts.impl[verdicts.verdict == "slower"])
