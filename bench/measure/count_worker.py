"""A counting worker: one implementation's cases, each step run once under callgrind's instrumentation.

bench/measure/counting.py starts `valgrind --tool=callgrind --instr-atstart=no ... python -m
bench.measure.count_worker` with one thread everywhere and a `CountSpec` as JSON on stdin. Nothing is
counted until a case's region: imports, data, numba's compilation and a first call run uninstrumented.
Then, per case, callgrind's instrumentation is switched on (pytest-codspeed's instrument hooks, stock
Valgrind's client requests), one untimed call fills the simulated caches as a warm machine's would and is
dumped apart ("warm:" + the case), and the counted call is dumped under the case's id. Events go to stdout
as JSON lines, as a timing worker's do (bench/measure/worker.py): `machine` (what Valgrind's emulated CPU
made numpy and OpenBLAS choose), then per case `start` and `case`.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.measure.plan import CaseSpec

WARM_PREFIX = "warm:"  # the dump of a case's untimed first call, read by nobody
# A case is counted when its call is predicted (from the implementation's last counted case, per element of X)
# to take at most this many instructions: callgrind runs ~80 million a second here, and a case costs two calls.
MOST_INSTRUCTIONS = 5e8


@dataclass(frozen=True)
class CountSpec:
    """What a counting worker counts: `cases` of `impl` (sizes in increasing order), data from `cache`, dumps
    written to `dumps` (callgrind's --callgrind-out-file, read back here to predict the next case)."""

    impl: str
    cases: list[CaseSpec]
    cache: str
    dumps: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> CountSpec:
        fields = json.loads(text)
        fields["cases"] = [CaseSpec(*case) for case in fields["cases"]]
        return cls(**fields)


def cpu_choices() -> dict[str, Any]:
    """What numpy and OpenBLAS chose on the CPU this process sees (under Valgrind: at most AVX2; natively the
    machine's, AVX-512 where it has it)."""
    import numpy as np
    from threadpoolctl import threadpool_info

    features = np.__config__.CONFIG.get("SIMD Extensions", {})  # what numpy was built for
    detected = [name for name, on in np._core._multiarray_umath.__cpu_features__.items() if on]  # type: ignore[attr-defined]
    openblas = [pool.get("architecture") for pool in threadpool_info() if pool.get("internal_api") == "openblas"]
    return {
        "numpy_baseline": features.get("baseline", []),
        "numpy_cpu_features": [name for name in detected if name.startswith("AVX")],
        "openblas_core": openblas[0] if openblas else None,
    }


class Counter:
    """Brackets calls for callgrind and names their dumps, reading each back to predict the next case."""

    def __init__(self, dumps: Path) -> None:
        from pytest_codspeed.instruments.hooks import dist_instrument_hooks  # type: ignore[attr-defined]

        self.hooks = dist_instrument_hooks
        self.instance = dist_instrument_hooks.instrument_hooks_init()
        self.dumps = dumps

    def count(self, name: str, call: Any) -> None:
        """One warm call then one counted call of `call`, under instrumentation, dumped as `name`."""
        self.hooks.callgrind_start_instrumentation()
        try:
            call()
            self._dump(WARM_PREFIX + name)
            call()
            self._dump(name)
        finally:
            self.hooks.callgrind_stop_instrumentation()

    def _dump(self, name: str) -> None:
        # set_executed_benchmark is the instrument hooks' CALLGRIND_DUMP_STATS_AT(name): a dump, counters zeroed.
        self.hooks.instrument_hooks_set_executed_benchmark(self.instance, os.getpid(), name.encode("ascii"))

    def instructions(self, name: str) -> int | None:
        """The instructions of this process's latest dump, when it is named `name`; None when there is none (not
        run under callgrind)."""
        from bench.records.counts import read_dump

        parts = sorted(self.dumps.glob(f"*.{os.getpid()}.*"), key=lambda path: int(path.suffix[1:]))
        dump = read_dump(parts[-1]) if parts else None
        return dump[1]["Ir"] if dump is not None and dump[0] == name else None


def main() -> int:
    events = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # what a library prints cannot corrupt the events

    def emit(event: dict[str, Any]) -> None:
        events.write(json.dumps(event, default=str) + "\n")

    spec = CountSpec.from_json(sys.stdin.read())
    from bench.measure.problems import cached_size
    from impls import IMPLEMENTATIONS

    impl = IMPLEMENTATIONS[spec.impl]
    impl.warmup()
    emit({"event": "machine", "cpu": cpu_choices()})
    counter = Counter(Path(spec.dumps))
    last: tuple[int, int] | None = None  # (elements, instructions) of the last counted case
    for case in spec.cases:
        emit({"event": "start", "case": case.id})
        elements = case.m * case.n_x
        predicted = 0.0 if last is None else last[1] * elements / last[0]
        if predicted > MOST_INSTRUCTIONS:
            reason = f"predicted {predicted:.2g} instructions a call, over the limit of {MOST_INSTRUCTIONS:.0e}"
            emit({"event": "case", "case": case.id, "status": "not counted", "reason": reason})
            continue
        problem = cached_size(case.m, case.n_x, Path(spec.cache), case.dtype).problem
        step = functools.partial(impl.step, *impl.prepare(problem))
        step()  # compiles for these argument types, uninstrumented
        counter.count(case.id, step)
        counted = counter.instructions(case.id)
        if counted is not None:
            last = (elements, counted)
        emit({"event": "case", "case": case.id, "status": "counted", "reason": ""})
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown: with numba loaded it took 0.5 s natively, about a minute under Valgrind.
    os._exit(code)
