"""Shared test inputs: small seeded problems in the notes' layout."""

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from impls import Problem, validate


def random_problem(n_x: int, m: int, *, seed: int = 0, z_scale: float = 1.0) -> Problem:
    """A validated problem whose |z| is about `z_scale` (X ~ N(0, 1), w ~ N(0, z_scale^2 / n_x))."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    w = rng.standard_normal((n_x, 1)) * z_scale / np.sqrt(n_x)
    return validate(X, Y, w, float(rng.standard_normal()))


def awkward_problems() -> dict[str, Problem]:
    """Edge cases every careful implementation must get right: tiny shapes, one label, |z| near 1000."""
    rng = np.random.default_rng(1)
    big = random_problem(n_x=5, m=40, seed=2, z_scale=1000.0)
    return {
        "random": random_problem(n_x=13, m=101),
        "one_example": random_problem(n_x=6, m=1),
        "one_feature": random_problem(n_x=1, m=33),
        "one_by_one": random_problem(n_x=1, m=1),
        "all_labels_0": validate(rng.standard_normal((4, 20)), np.zeros((1, 20)), rng.standard_normal((4, 1))),
        "all_labels_1": validate(rng.standard_normal((4, 20)), np.ones((1, 20)), rng.standard_normal((4, 1))),
        "z_near_1000": big,
        "z_near_1000_flipped": validate(big.X, 1.0 - big.Y, big.w, big.b),
        "z_exactly_pm1000": validate([[1.0, -1.0, 1.0]], [[1.0, 0.0, 0.0]], [[1000.0]], 0.0),
        "wide": random_problem(n_x=300, m=3),
    }


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    """Small problems with entries of X, w and b up to 30 in size: |z| up to thousands."""
    n_x = draw(st.integers(1, 8))
    m = draw(st.integers(1, 40))
    values = st.floats(-30.0, 30.0, allow_nan=False, allow_subnormal=False)
    X = draw(arrays(np.float64, (n_x, m), elements=values))
    Y = draw(arrays(np.float64, (1, m), elements=st.sampled_from([0.0, 1.0])))
    w = draw(arrays(np.float64, (n_x, 1), elements=values))
    b = draw(values)
    return validate(X, Y, w, b)


@pytest.fixture
def problem() -> Problem:
    return random_problem(n_x=7, m=50)
