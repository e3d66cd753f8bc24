"""`train` runs the iteration loop that stays, the same for every implementation."""

from operator import attrgetter

import numpy as np
import pytest

from impls import IMPLEMENTATIONS, train
from impls.core import get_implementation


def separable_problem(m: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3, m))
    Y = (X[0] + 0.5 * X[1] > 0).astype(float).reshape(1, m)
    return X, Y


@pytest.mark.parametrize("impl", IMPLEMENTATIONS.values(), ids=attrgetter("name"))
def test_cost_falls_and_every_implementation_trains_alike(impl) -> None:
    X, Y = separable_problem()
    reference = train("fully_vectorized", X, Y, alpha=0.5, iterations=50)
    got = train(impl, X, Y, alpha=0.5, iterations=50)
    assert got.costs.shape == (50,)
    assert np.all(np.diff(got.costs) < 0), "gradient descent with a small step must lower the cost"
    assert got.costs[-1] < 0.5 * got.costs[0]
    np.testing.assert_allclose(got.costs, reference.costs, rtol=1e-9)
    np.testing.assert_allclose(got.w, reference.w, rtol=1e-9)
    assert got.b == pytest.approx(reference.b, rel=1e-9)
    # The trained model classifies the separable training set well.
    assert np.mean(((got.w.T @ X + got.b) > 0) == (Y > 0.5)) > 0.95


def test_train_does_not_mutate_its_inputs() -> None:
    X, Y = separable_problem()
    w0 = np.zeros((3, 1))
    before = (X.copy(), Y.copy(), w0.copy())
    train("double_loop", X, Y, alpha=0.1, iterations=3, w=w0, b=0.5)
    for a, b in zip(before, (X, Y, w0), strict=True):
        np.testing.assert_array_equal(a, b)


def test_train_validates_the_problem() -> None:
    X, Y = separable_problem()
    with pytest.raises(ValueError, match="labels 0 or 1"):
        train("double_loop", X, 2 * Y, alpha=0.1, iterations=1)


def test_unknown_name_lists_the_known_ones() -> None:
    X, Y = separable_problem()
    with pytest.raises(ValueError, match="unknown implementation 'triple_loop'; known: double_loop, "):
        train("triple_loop", X, Y, alpha=0.1, iterations=1)
    assert get_implementation(IMPLEMENTATIONS["double_loop"]) is IMPLEMENTATIONS["double_loop"]


@pytest.mark.parametrize("iterations", [0, -3, 2.5, True])
def test_iterations_must_be_a_positive_integer(iterations) -> None:
    X, Y = separable_problem()
    with pytest.raises(ValueError, match="iterations must be a positive integer"):
        train("double_loop", X, Y, alpha=0.1, iterations=iterations)


@pytest.mark.parametrize("alpha", [float("nan"), float("inf"), "0.1", None])
def test_alpha_must_be_a_finite_number(alpha) -> None:
    X, Y = separable_problem()
    with pytest.raises(ValueError, match="alpha must be a finite number"):
        train("double_loop", X, Y, alpha=alpha, iterations=1)
