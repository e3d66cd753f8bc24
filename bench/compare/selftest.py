"""The regression check measured on itself: false alarms on A/A pairs, detections of injected slowdowns.

Each trial builds an A/A pair from real runs of the same code: any "slower"
verdict on it is a false alarm. How, depends on how many runs are given:

- 4 or more: A and B are two different runs each, as `regress` makes them
  (A/B/A/B), with a random half of the rounds of each pass; run-to-run drift
  is part of what the check must not alarm on. This is the honest test.
- 2 or 3: A and B are one different run each (half the rounds of each pass).
- 1: A and B are random halves of each pass of the same run: this only shows
  the check's behaviour under within-run noise, an optimistic bound.

Multiplying the B rounds of one implementation at one thread count by a
factor injects a slowdown of exactly that size; a detection is a "slower"
verdict on it (the verdict that sets `compare`'s exit code).
"""

from typing import Any

import numpy as np
import pandas as pd

from bench.compare.regress import ALPHA, THRESHOLD, CaseKey, PassRounds, compare_cases, implementation_verdicts
from bench.records.results import pass_rounds

SLOWDOWNS = (1.1, 1.25, 1.5, 2.0)


Cases = dict[CaseKey, PassRounds]
Group = tuple[str, int]  # (impl, threads): what a verdict is given for


def random_pair(
    runs: list[Cases], rng: np.random.Generator
) -> tuple[dict[CaseKey, PassRounds], dict[CaseKey, PassRounds]]:
    """An A/A pair: per case, a list of per-pass rounds for each side (see the module's docstring)."""
    per_side = 2 if len(runs) >= 4 else 1
    chosen = [0, 0] if len(runs) == 1 else list(rng.choice(len(runs), size=2 * per_side, replace=False))
    keys = set.intersection(*(set(runs[i]) for i in chosen))
    base: dict[CaseKey, PassRounds] = {}
    head: dict[CaseKey, PassRounds] = {}
    for key in keys:
        sides: list[PassRounds] = [[], []]
        for position, i in enumerate(chosen):
            for rounds in runs[i][key]:
                rounds = rng.permutation(rounds)
                half = rounds.size // 2
                # From one run, A takes the first half of each pass and B the second; else each a random half.
                sides[position >= per_side].append(
                    rounds[half : 2 * half] if len(runs) == 1 and position == 1 else rounds[:half]
                )
        if min(h.size for side in sides for h in side) == 0:
            continue
        base[key], head[key] = sides
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
    cases = [pass_rounds(run) for run in runs]
    false_alarms = 0
    for _ in range(trials):
        base, head = random_pair(cases, rng)
        false_alarms += bool(len(_slower_groups(base, head, threshold, alpha)))
    groups = sorted({(key[1], key[2]) for run in cases for key in run})
    rows = []
    for factor in slowdowns:
        for group in groups:
            detected = collateral = 0
            for _ in range(trials):
                base, head = random_pair(cases, rng)
                head = {
                    key: [r * factor for r in passes] if (key[1], key[2]) == group else passes
                    for key, passes in head.items()
                }
                slower = _slower_groups(base, head, threshold, alpha)
                detected += group in slower
                collateral += bool(slower - {group})
            rows.append(
                {
                    "slowdown": factor,
                    "impl": group[0],
                    "threads": group[1],
                    "detected": detected,
                    "trials": trials,
                    "other_impls_flagged": collateral,
                }
            )
    return false_alarms, pd.DataFrame(rows)


def _slower_groups(
    base: dict[CaseKey, PassRounds], head: dict[CaseKey, PassRounds], threshold: float, alpha: float
) -> set[Group]:
    comparison = compare_cases(base, head, threshold, alpha, interval=False)
    verdicts = implementation_verdicts(comparison, threshold, alpha)
    slower = verdicts[verdicts.verdict == "slower"]
    return set(zip(slower.impl, slower.threads, strict=True))
