"""Paired trials: a step timed in alternation with what its figures divide it by, in one process.

Randomized multiple interleaved trials (Abedi & Brecht, "Conducting repeatable
experiments in highly variable cloud computing environments", ICPE 2017): in
each trial every member (the steps of one size in this worker, a second copy
of each, the loops their speedups are taken over, a streaming read of X) is
timed once, in a fresh random order. A slow spell of the machine or of this
process then lands on both sides of a ratio, and the ratio of one trial
(loop / step) is what the analysis averages. A member's time in a trial is
the mean of `calls` calls made back to back (about CALL_TARGET_S together, so
a timer's resolution and overhead do not count; beside a long member, more:
`balanced`); a member faster than WARM_BELOW_S first makes one untimed call,
so that what the member before it evicted from the caches (a loop's lists,
another array) is not charged to it: pairing must not move the estimate, and
the second copy of a step ("self") shows that it does not.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

CALL_TARGET_S = 0.001  # a member's calls in one trial take about this long together, at least
MAX_CALLS = 1000  # ...but at most this many calls (a step of a microsecond)
BALANCE = 0.25  # ...and, beside a long member, a quarter of its call (`balanced`),
MAX_FILL_S = 0.05  # ...up to this long
WARM_BELOW_S = 0.02  # members faster than this make one untimed call first in every trial
LONG_TRIAL_S = 0.1  # a trial this long is enough for one process


@dataclass(frozen=True)
class Member:
    """One thing timed in every trial: a call without arguments, and a first estimate of its seconds."""

    call: Callable[[], object]
    estimate_s: float
    fill_s: float = CALL_TARGET_S  # what its calls in one trial fill together

    @property
    def calls(self) -> int:
        """Calls per trial: enough to fill `fill_s`, at least one."""
        return max(1, min(MAX_CALLS, math.ceil(self.fill_s / self.estimate_s)))

    @property
    def warms(self) -> bool:
        return self.estimate_s < WARM_BELOW_S

    @property
    def trial_s(self) -> float:
        """What the member costs in one trial, its untimed warm call included."""
        return (self.calls + self.warms) * self.estimate_s


def balanced(members: Mapping[str, Member]) -> dict[str, Member]:
    """`members`, each one's calls filling BALANCE of the longest member's call (at least CALL_TARGET_S, at most
    MAX_FILL_S).

    Beside a loop of 130 ms, a step of 4 ms made one call per trial, and a
    trial of that length is the only one in its process: the ratio then
    carried one call's noise (its copy's ratio to it spread from 0.54 to 4.4
    over three processes, all cores, m = 1e5, n_x = 1, measured here).
    Averaging several calls costs a fraction of a pass (the default profile's
    grew by about 8 s of ~70); the median standard deviation of a cell's
    process ratios went from 0.136 and 0.161 to 0.106 and 0.057 (ABAB runs,
    6 to 8 processes a cell, measured here).
    """
    longest = max(member.estimate_s for member in members.values())
    fill_s = min(MAX_FILL_S, max(CALL_TARGET_S, BALANCE * longest))
    return {name: dataclasses.replace(member, fill_s=fill_s) for name, member in members.items()}


def trial_count(members: Mapping[str, Member], target_s: float, fewest: int, most: int) -> int:
    """Trials that fill `target_s`, between `fewest` and `most`; one where a trial takes LONG_TRIAL_S or more.

    An interval comes from the processes' means (bench/records/intervals.py), so
    one long trial per process suffices: its calls already average over the
    machine's jitter, and `fewest` of them would cost seconds per case and pass.
    """
    trial_s = sum(member.trial_s for member in members.values())
    return max(1 if trial_s >= LONG_TRIAL_S else fewest, min(most, int(target_s // trial_s)))


def run_trials(members: Mapping[str, Member], trials: int, rng: random.Random) -> dict[str, list[float]]:
    """Seconds per call of every member in each of `trials` trials, members in a random order per trial.

    The garbage collector is off meanwhile, as pytest-benchmark turns it off
    for its rounds: a collection would land on whichever member runs then.
    """
    times: dict[str, list[float]] = {name: [] for name in members}
    order = list(members)
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(trials):
            rng.shuffle(order)
            for name in order:
                times[name].append(_time(members[name]))
    finally:
        if enabled:
            gc.enable()
    return times


def _time(member: Member) -> float:
    call, calls = member.call, member.calls
    if member.warms:
        call()
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls
