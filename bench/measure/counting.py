"""Counted runs: every case's step under Valgrind's callgrind, counted instead of timed (`python -m bench counts`).

Instructions and simulated cache misses do not move with the machine's noise: two counts of the quick grid
agreed within 0.003% in instructions and 0.012% in estimated cycles, where wall times of whole runs differed
by 1.6x. So they gate
regressions in CI (bench/compare/counted.py), and wall time stays the measure of what counts cannot see.

Each implementation's cases are counted by one worker process under callgrind (bench/measure/count_worker.py),
one thread everywhere (Valgrind runs a program's threads one at a time), with a fixed cache geometry, the
one CodSpeed's runners simulate: the counts do not depend on this machine's caches. Counts are independent of
load, so workers run side by side, one per core. The data is built natively first, into the run's size
cache, so no worker builds it under Valgrind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from bench.measure.count_worker import WARM_PREFIX, CountSpec, cpu_choices
from bench.measure.plan import CaseSpec
from bench.measure.problems import cached_size, memory_refusal
from bench.measure.process import run_worker
from bench.measure.profiles import Grid
from bench.measure.threads import all_cores, thread_environment
from bench.records.counts import COUNT_COLUMNS, COUNTS_CSV, COUNTS_JSON, read_dump, summarize
from bench.records.schema import CASE, STEP

CACHE_GEOMETRY = {"I1": "32768,8,64", "D1": "32768,8,64", "LL": "8388608,16,64"}  # size, ways, line bytes
INSTALL_VALGRIND = "sudo apt-get install valgrind"
CASE_LIMIT_S = 900.0  # a case silent this long under Valgrind is taken as hung
# Not counted, with the reason: what Valgrind cannot follow.
UNCOUNTABLE = {
    "dask_array": "its step runs in a dask cluster's worker processes, which Valgrind does not follow",
}


class ValgrindMissingError(RuntimeError):
    """Valgrind or pytest-codspeed's instrument hooks are not installed: the message says how to install."""


def valgrind_command(dumps: Path) -> list[str]:
    """callgrind with instrumentation off until a case's region, the cache simulated with CACHE_GEOMETRY."""
    # Addresses fixed (setarch -R: no address-space randomization) so that the simulated caches see the same
    # addresses in every run: with them random, counts of the same code differed by up to 2.5% (X of 8 MB).
    fixed = ["setarch", "-R"] if shutil.which("setarch") else []
    return [
        *fixed,
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--cache-sim=yes",
        *(f"--{cache}={geometry}" for cache, geometry in CACHE_GEOMETRY.items()),
        f"--callgrind-out-file={dumps}/callgrind.out.%p",
    ]


def check_tools() -> str:
    """Valgrind's version; ValgrindMissingError naming the install command when it or the hooks are missing."""
    if shutil.which("valgrind") is None:
        raise ValgrindMissingError(f"valgrind is not installed: {INSTALL_VALGRIND}")
    try:
        from pytest_codspeed.instruments.hooks import dist_instrument_hooks  # type: ignore[attr-defined]  # noqa: F401
    except ImportError as error:
        raise ValgrindMissingError(
            f"pytest-codspeed's instrument hooks are missing ({error}): pip install -e .[dev]"
        ) from None
    return subprocess.run(["valgrind", "--version"], capture_output=True, text=True, check=True).stdout.strip()


def counted_cases(grid: Grid, impls: Sequence[str]) -> list[CaseSpec]:
    """Every step case of `impls` on `grid`, with one thread, smallest first per implementation."""
    return [CaseSpec(STEP, impl, 1, m, n_x, dtype) for impl in impls for m, n_x, dtype in grid.cases(impl)]


def count(
    output: Path,
    grid: Grid,
    impls: Sequence[str],
    announce: Callable[[str], None] = print,
    command: tuple[str, ...] = (sys.executable, "-m", "bench.measure.count_worker"),
) -> pd.DataFrame:
    """Count every case of `impls` on `grid` into output/counts.csv (and counts.json); the table written."""
    version = check_tools()
    output.mkdir(parents=True, exist_ok=True)
    cases = counted_cases(grid, impls)
    with tempfile.TemporaryDirectory(prefix="bench-counts-") as temporary:
        workers = CountWorkers(Path(temporary), command, announce)
        for case in cases:
            reason = UNCOUNTABLE.get(case.impl) or memory_refusal(case.m, case.n_x)
            if reason:
                workers.rows[case] = {"status": "not counted", "reason": reason}
        workers.run([case for case in cases if case not in workers.rows])
        counts = _read_dumps(workers.dumps)
    table = _table(cases, workers.rows, counts)
    table.to_csv(output / COUNTS_CSV, index=False)
    _write_meta(output, version, workers.cpus)
    return table


class CountWorkers:
    """Counting workers side by side, one per core, each an implementation's cases; what they said, by case."""

    def __init__(self, directory: Path, command: tuple[str, ...], announce: Callable[[str], None]) -> None:
        self.cache, self.dumps = directory / "sizes", directory / "dumps"
        self.dumps.mkdir()
        self.command, self.announce = command, announce
        self.rows: dict[CaseSpec, dict[str, Any]] = {}  # status and reason
        self.cpus: dict[str, Any] = {}  # what numpy and OpenBLAS chose under Valgrind, by implementation
        self.lock = threading.Lock()
        self.by_impl: dict[str, list[CaseSpec]] = {}

    def run(self, cases: list[CaseSpec]) -> None:
        for m, n_x, dtype in dict.fromkeys((case.m, case.n_x, case.dtype) for case in cases):
            cached_size(m, n_x, self.cache, dtype)  # natively, before any worker needs it
        for case in cases:
            self.by_impl.setdefault(case.impl, []).append(case)
        self.environment = thread_environment(1) | {"CODSPEED_ENV": "1", "PYTHONHASHSEED": "0"} | emulated_target()
        for impl, its_cases in self.by_impl.items():
            _compile(impl, {case.dtype for case in its_cases}, self.environment)
        # The slowest (the Python loops) first, so that the workers end together.
        order = sorted(self.by_impl, key=lambda impl: -sum(c.m * c.n_x for c in self.by_impl[impl]))
        with ThreadPoolExecutor(max_workers=max(1, all_cores())) as pool:
            list(pool.map(self._count, order))

    def _count(self, impl: str) -> None:
        """Count `impl`'s cases; after a crash or a hang, that case is failed and a new worker goes on."""
        while remaining := [case for case in self.by_impl[impl] if case not in self.rows]:
            spec = CountSpec(impl, remaining, str(self.cache), str(self.dumps))
            command = (*valgrind_command(self.dumps), *self.command)
            ended = run_worker(command, spec, self.environment, CASE_LIMIT_S, lambda e: self._on_event(impl, e))
            with self.lock:
                left = [case for case in remaining if case not in self.rows]
                if not left:
                    return
                lost = next((case for case in left if case.id == ended.current), left[0])
                how = "hung" if ended.returncode is None else f"exited with code {ended.returncode}"
                tail = " | ".join(_program_lines(ended.stderr)[-3:])
                self.rows[lost] = {"status": "failed", "reason": f"the worker {how} under Valgrind: {tail}"}
                self.announce(f"failed {lost.id}: {self.rows[lost]['reason']}")

    def _on_event(self, impl: str, event: dict[str, Any]) -> None:
        with self.lock:
            if event.get("event") == "machine":
                self.cpus[impl] = event["cpu"]
            elif event.get("event") == "case":
                case = next(c for c in self.by_impl[impl] if c.id == event["case"])
                self.rows[case] = {"status": event["status"], "reason": event["reason"]}
                self.announce(f"{event['status']} {case.id}{': ' + event['reason'] if event['reason'] else ''}")


# What LLVM sees of the CPU, printed: under Valgrind an older one (haswell here, no AVX-512) than natively.
TARGET_PROBE = (
    "import llvmlite.binding as b; b.initialize_native_target(); "
    "print(b.get_host_cpu_name()); print(b.get_host_cpu_features().flatten())"
)


def emulated_target() -> dict[str, str]:
    """numba's target as the CPU Valgrind emulates, as NUMBA_CPU_NAME and NUMBA_CPU_FEATURES.

    numba keys its cache of compiled code by the CPU: compiled natively (for this host's, with AVX-512) it was
    compiled again under Valgrind, minutes for numba_fused. With these set, the native compile (`_compile`) and
    the counting workers agree, and the workers load what was compiled natively.
    """
    command = ["valgrind", "-q", "--tool=none", sys.executable, "-c", TARGET_PROBE]
    probe = subprocess.run(command, capture_output=True, text=True, check=True)
    name, features = probe.stdout.split()
    return {"NUMBA_CPU_NAME": name, "NUMBA_CPU_FEATURES": features}


COMPILE = (
    "import sys; from impls import IMPLEMENTATIONS; from bench.measure.problems import in_dtype, make_problem; "
    "impl = IMPLEMENTATIONS[sys.argv[1]]; impl.warmup(); "
    "[impl.step(*impl.prepare(in_dtype(make_problem(8, 2), dtype))) for dtype in sys.argv[2:]]"
)


def _compile(impl: str, dtypes: set[str], environment: dict[str, str]) -> None:
    """Compile `impl` natively for each of `dtypes`, for the emulated CPU (`emulated_target`), into numba's cache."""
    subprocess.run([sys.executable, "-c", COMPILE, impl, *sorted(dtypes)], env=environment, check=True)


def _program_lines(stderr: str) -> list[str]:
    """The program's own lines of a worker's stderr: not Valgrind's (==PID== or --PID--), not blank."""
    return [line for line in stderr.splitlines() if line.strip() and not re.match(r"(==|--)\d+(==|--)", line)]


def _read_dumps(dumps: Path) -> dict[str, dict[str, int]]:
    """Each counted case's counts (bench.records.counts.summarize), by case id; warm calls' dumps left out."""
    counts = {}
    for path in dumps.iterdir():
        dump = read_dump(path)
        if dump is not None and not dump[0].startswith(WARM_PREFIX):
            counts[dump[0]] = summarize(dump[1])
    return counts


def _table(
    cases: list[CaseSpec], rows: dict[CaseSpec, dict[str, Any]], counts: dict[str, dict[str, int]]
) -> pd.DataFrame:
    records = []
    for case in cases:
        row = dict(rows.get(case, {"status": "failed", "reason": "no result"}))
        if row["status"] == "counted" and case.id not in counts:
            row = {"status": "failed", "reason": "no callgrind dump: was it run under Valgrind?"}
        record = {"kind": case.kind, "impl": case.impl, "threads": case.threads, "dtype": case.dtype}
        records.append(record | {"m": case.m, "n_x": case.n_x} | counts.get(case.id, {}) | row)
    return pd.DataFrame(records).reindex(columns=CASE + COUNT_COLUMNS)


def _write_meta(output: Path, version: str, cpus: dict[str, Any]) -> None:
    from pytest_benchmark.utils import get_commit_info

    meta = {
        "valgrind": version,
        "tool": "callgrind --cache-sim=yes, instrumentation switched on around each counted call only",
        "cache_geometry": CACHE_GEOMETRY,
        "estimated_cycles": "L1 hits + 5 x LL hits + 35 x RAM hits (iai, gungraun)",
        "threads": 1,
        "emulated_cpu": cpus,  # natively, see native_cpu: Valgrind emulates up to AVX2, so kernels may differ
        "native_cpu": cpu_choices(),
        "commit_info": get_commit_info(),
        "environment": {key: os.environ[key] for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if key in os.environ},
    }
    (output / COUNTS_JSON).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
