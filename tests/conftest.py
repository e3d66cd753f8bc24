"""Shared test inputs: small seeded problems in the notes' layout."""

import numpy as np
import pytest

from impls import Problem, validate


def random_problem(n_x: int, m: int, *, seed: int = 0, z_scale: float = 1.0) -> Problem:
    """A validated problem whose |z| is about `z_scale` (X ~ N(0, 1), w ~ N(0, z_scale^2 / n_x))."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    w = rng.standard_normal((n_x, 1)) * z_scale / np.sqrt(n_x)
    return validate(X, Y, w, float(rng.standard_normal()))


@pytest.fixture
def problem() -> Problem:
    return random_problem(n_x=7, m=50)
