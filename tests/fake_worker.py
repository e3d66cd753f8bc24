"""A stand-in for `python -m bench.measure.worker` that measures nothing: it tests the manager's side of the protocol.

For each case of its spec it sends `start`, then, by the case's m: 13 crashes
(stderr, exit 1), 17 hangs, 19 announces that it needs 30 s and takes 2 s,
anything else sends a measured record with made-up rounds
(seconds = m * n_x * 1e-9 * (1 + pass / 100)).
"""

import json
import os
import sys
import time
from typing import IO

from bench.measure.plan import CaseSpec

CRASH_M, HANG_M, SLOW_M = 13, 17, 19


def preload() -> None:
    """Nothing to import: a fork server (bench/measure/forkserver.py) runs this worker too."""


def main() -> None:
    run(sys.stdin.read(), sys.stdout)


def run(spec_text: str, events: IO[str]) -> int:
    spec = json.loads(spec_text)
    emit = lambda event: print(json.dumps(event), file=events, flush=True)  # noqa: E731
    emit({"event": "worker", "readback": {"threadpools": [], "numba_threads": spec["threads"]}, "mismatches": []})
    for fields in spec["cases"]:
        case = CaseSpec(*fields)
        emit({"event": "start", "case": case.id})
        if case.m == CRASH_M:
            print(f"worker for {case.id}: segmentation fault (pretend)", file=sys.stderr, flush=True)
            os._exit(1)
        if case.m == HANG_M:
            time.sleep(600)
        if case.m == SLOW_M:
            emit({"event": "progress", "needs_s": 30.0})
            time.sleep(2.0)
        seconds = case.m * case.n_x * 1e-9 * (1 + spec["pass_number"] / 100)
        info = {"kind": case.kind, "impl": case.impl, "threads": case.threads, "m": case.m, "n_x": case.n_x}
        info["dtype"] = case.dtype
        stats = {"min": seconds, "max": seconds, "mean": seconds, "median": seconds, "q1": seconds, "q3": seconds}
        emit(
            {
                "event": "case",
                "benchmark": {
                    "group": None,
                    "name": case.test_name,
                    "fullname": case.test_name,
                    "params": {},
                    "param": case.id,
                    "extra_info": info
                    | {"status": "measured", "read_s": seconds / 2, "trials": {"step": [seconds, seconds]}},
                    "stats": stats | {"rounds": 2, "data": [seconds, seconds]},
                },
            }
        )
    return 0


if __name__ == "__main__":
    main()
