"""Benchmark inputs: seeded, validated, built outside the timed region, memory-guarded, cached on disk.

Every worker process of a sweep needs the same arrays. Building the largest
(X of 800 MB in the default profile) takes seconds, so the first worker to
need a size writes it to the run's size cache and the others load it.
"""

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import psutil

from bench.records.schema import DEFAULT_DTYPE
from bench.text import human_bytes
from impls import IMPLEMENTATIONS, Gradient, Problem, validate
from impls.core import summand_scale

SEED = 20_261_125  # must not change: results stay comparable across runs
MEMORY_LIMIT_VARIABLE = "BENCH_MEMORY_LIMIT"  # bytes the memory guard may plan for, e.g. 2e9 (default: all available)


def make_problem(m: int, n_x: int) -> Problem:
    """A random problem in the notes' layout, the same for every run and implementation.

    X ~ N(0, 1), labels are fair coin flips, w ~ N(0, 1 / n_x) so that z is
    about N(0, 1): the regime of a model being trained, with both branches of
    the stable math exercised. Each size has its own stream, so the data at a
    size does not depend on which other sizes a run includes. The largest
    |z| over every size of the profiles up to 10^7 elements is 7.96 (a test
    keeps it at 10 or less): well inside the range where the notes' naive
    code is accurate (|z| <= 15, impls/notes_math.py), which
    bench/measure/prepare.py checks at every size.
    """
    rng = np.random.default_rng([SEED, m, n_x])
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    w = rng.standard_normal((n_x, 1)) / np.sqrt(n_x)
    return validate(X, Y, w, 0.1)


def in_dtype(problem: Problem, dtype: str) -> Problem:
    """The same problem in another dtype: X and w rounded to it, b unchanged."""
    X, Y, w, b = problem
    return problem if X.dtype == dtype else validate(X.astype(dtype), Y, w, b)


class PreparedSize(NamedTuple):
    """A problem and the reference result every implementation is checked against.

    The reference is `fully_vectorized` on the float64 problem, whatever the
    problem's dtype: a float32 problem is the float64 one rounded, and its
    results are checked against the float64 ones.
    """

    m: int
    n_x: int
    problem: Problem
    reference: Gradient
    scale: float | None = None  # the problem's summand_scale (impls/core.py), where computed: it reads X twice

    @property
    def dtype(self) -> str:
        return self.problem.X.dtype.name


def prepare_size(m: int, n_x: int, dtype: str = DEFAULT_DTYPE) -> PreparedSize:
    """Build the problem in `dtype`, its `fully_vectorized` reference result in float64 and its summand_scale."""
    problem = make_problem(m, n_x)
    reference = IMPLEMENTATIONS["fully_vectorized"].step(*problem)
    problem = in_dtype(problem, dtype)
    return PreparedSize(m, n_x, problem, reference, summand_scale(problem))


_ARRAYS = ("X", "Y", "w", "dw")  # dw is the reference's; b, db and cost are in scalars.npy
# Loaded arrays start at a cache line. JAX on CPU then uses them in place, as numpy and numba do, instead of copying
# them into memory of its own at its first call (1.5 s for an X of 800 MB here, in every JAX worker and pass).
ALIGNMENT = 64


def aligned_copy(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of `array` whose data starts at an ALIGNMENT-byte boundary."""
    buffer = np.empty(array.nbytes + ALIGNMENT, dtype=np.uint8)
    offset = -buffer.ctypes.data % ALIGNMENT
    copy = buffer[offset : offset + array.nbytes].view(array.dtype).reshape(array.shape)
    copy[...] = array
    return copy


def mapped(path: Path) -> np.ndarray:
    """The array saved at `path`, mapped copy-on-write from the page cache: writable, and the file never changes.

    Not copied into memory of the process: this VM backs memory a process has not touched before lazily, and
    copying an X of 800 MB into it took 1.2-2.3 s in every worker of every pass, against 0.04-0.08 s for the
    mapping's first read (the cached file's pages are memory already, PMD-mapped here like numpy's own arrays).
    Read at the same speed, interleaved in one process: one streaming read of that X, best of 15, 29.1 ms mapped
    against 27.9 ms copied on 1 thread, 14.9 against 14.4 ms on 2 (within this VM's noise); and every step of a
    case reads the same mapping as its read of X. A .npy file's data starts at a multiple of 64 bytes into the
    file, so a mapped array starts at a cache line; it is copied (`aligned_copy`) where it would not.
    """
    array = np.load(path, mmap_mode="c").view(np.ndarray)  # a plain ndarray over the map, which it keeps open
    return array if array.ctypes.data % ALIGNMENT == 0 else aligned_copy(array)


def cached_size(m: int, n_x: int, cache: Path, dtype: str = DEFAULT_DTYPE) -> PreparedSize:
    """`prepare_size(m, n_x, dtype)`, read from `cache`; the first worker to need it builds and writes it there.

    Another dtype than float64 is built from the float64 size (cached first),
    not drawn again. Every worker, the first too, maps the arrays from the
    cache (`mapped`), so that each step reads X laid out alike.
    """
    directory = cache / (f"m={m}-n_x={n_x}" + ("" if dtype == DEFAULT_DTYPE else f"-dtype={dtype}"))
    if not directory.exists():
        _write(directory, _build(m, n_x, cache, dtype))
    X, Y, w, dw = (mapped(directory / f"{name}.npy") for name in _ARRAYS)
    b, db, cost, *scale = np.load(directory / "scalars.npy")  # no scale in a cache written before it was kept
    problem = Problem(X, Y, w, float(b))
    return PreparedSize(m, n_x, problem, Gradient(dw, float(db), float(cost)), float(scale[0]) if scale else None)


def _build(m: int, n_x: int, cache: Path, dtype: str) -> PreparedSize:
    if dtype == DEFAULT_DTYPE:
        return prepare_size(m, n_x)
    wide = cached_size(m, n_x, cache)
    narrow = in_dtype(wide.problem, dtype)
    return wide._replace(problem=narrow, scale=summand_scale(narrow))


def _write(directory: Path, size: PreparedSize) -> None:
    partial = directory.with_name(directory.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    (X, Y, w, b), (dw, db, cost) = size.problem, size.reference
    for name, array in zip(_ARRAYS, (X, Y, w, dw), strict=True):
        np.save(partial / f"{name}.npy", array)
    np.save(partial / "scalars.npy", np.array([b, db, cost, size.scale]))
    os.replace(partial, directory)  # atomic: a size in the cache is always whole


def bytes_needed(m: int, n_x: int) -> int:
    """Memory a case needs: X, plus room for a step's m-long temporaries and one copy of X.

    The copy is headroom for steps that hold a converted X (double_loop's lists
    take more, but its budget stops it long before memory does).
    """
    return 8 * (2 * m * n_x + 16 * m + 2 * n_x)


def available_memory() -> int:
    """Bytes of memory available now, or MEMORY_LIMIT_VARIABLE's bytes when that is less.

    The limit lets a small machine (or a test) take the paths meant for sizes past memory.
    """
    available = int(psutil.virtual_memory().available)
    limit = os.environ.get(MEMORY_LIMIT_VARIABLE)
    return min(available, int(float(limit))) if limit else available


def memory_refusal(m: int, n_x: int, available: int | None = None) -> str | None:
    """Why a size cannot be allocated here, or None when it fits."""
    available = available_memory() if available is None else available
    needed = bytes_needed(m, n_x)
    if needed <= 0.8 * available:
        return None
    return (
        f"m={m} n_x={n_x} needs about {human_bytes(needed)} (X is {human_bytes(8 * m * n_x)}) "
        f"but only {human_bytes(available)} of memory is available"
    )
