"""Benchmark inputs: seeded, validated, built outside the timed region, memory-guarded."""

from typing import NamedTuple

import numpy as np
import psutil

from impls import IMPLEMENTATIONS, Gradient, Problem, validate

SEED = 20_261_125  # must not change: results stay comparable across runs


def make_problem(m: int, n_x: int) -> Problem:
    """A random problem in the notes' layout, the same for every run and implementation.

    X ~ N(0, 1), labels are fair coin flips, w ~ N(0, 1 / n_x) so that z is
    about N(0, 1): the regime of a model being trained, with both branches of
    the stable math exercised. Each size has its own stream, so the data at a
    size does not depend on which other sizes a run includes.
    """
    rng = np.random.default_rng([SEED, m, n_x])
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    w = rng.standard_normal((n_x, 1)) / np.sqrt(n_x)
    return validate(X, Y, w, 0.1)


class PreparedSize(NamedTuple):
    """A problem and the reference result every implementation is checked against."""

    m: int
    n_x: int
    problem: Problem
    reference: Gradient


def prepare_size(m: int, n_x: int) -> PreparedSize:
    """Build the problem and its `fully_vectorized` reference result."""
    problem = make_problem(m, n_x)
    return PreparedSize(m, n_x, problem, IMPLEMENTATIONS["fully_vectorized"].step(*problem))


def bytes_needed(m: int, n_x: int) -> int:
    """Memory a case needs: X, plus room for a step's m-long temporaries and one copy of X.

    The copy is headroom for steps that hold a converted X (double_loop's lists
    take more, but its budget stops it long before memory does).
    """
    return 8 * (2 * m * n_x + 16 * m + 2 * n_x)


def memory_refusal(m: int, n_x: int, available: int | None = None) -> str | None:
    """Why a size cannot be allocated here, or None when it fits."""
    available = psutil.virtual_memory().available if available is None else available
    needed = bytes_needed(m, n_x)
    if needed <= 0.8 * available:
        return None
    return (
        f"m={m} n_x={n_x} needs about {needed / 1e9:.1f} GB (X is {8 * m * n_x / 1e9:.1f} GB) "
        f"but only {available / 1e9:.1f} GB of memory is available"
    )
