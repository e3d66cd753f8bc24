"""The shared core: interface, registry, stable math, validation and training.

Conventions (as in the course notes): examples are columns.

    X : ndarray of shape (n_x, m), float64 or float32, C-contiguous
    Y : ndarray of shape (1, m), labels 0 or 1, X's dtype
    w : ndarray of shape (n_x, 1), X's dtype
    b : float

One gradient step computes

    Z = w.T X + b,  A = sigmoid(Z),  dZ = A - Y
    dw = X dZ.T / m,  db = sum(dZ) / m
    J = mean(log1p(exp(-|Z|)) + max(Z, 0) - Y Z)

The cost is the cross-entropy -(Y log A + (1 - Y) log(1 - A)) rewritten as
log(1 + e^Z) - Y Z (The Elements of Statistical Learning, 4.4.1), then as
log1p(e^-|Z|) + max(Z, 0) - Y Z so that exp only ever sees arguments <= 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np


class Gradient(NamedTuple):
    """Result of one step: dw of shape (n_x, 1), db and the cost J as floats."""

    dw: np.ndarray
    db: float
    cost: float


class Problem(NamedTuple):
    """Validated inputs: X (n_x, m), Y (1, m) and w (n_x, 1) of one dtype (float64 or float32), b float."""

    X: np.ndarray
    Y: np.ndarray
    w: np.ndarray
    b: float


StepFunction = Callable[[np.ndarray, np.ndarray, np.ndarray, float], Gradient]
# The floating dtypes a problem computes in: `validate` keeps either, and converts integers to the first.
DTYPES = ("float64", "float32")


def _nothing_to_compile() -> None:
    """Default warm-up: pure Python and numpy need no compilation."""


def _as_given(problem: Problem) -> tuple[Any, ...]:
    """Default preparation: the step reads the validated arrays as they are."""
    return tuple(problem)


@dataclass(frozen=True)
class Implementation:
    """One way to compute a gradient step, registered under a stable name.

    `step(X, Y, w, b)` trusts its inputs (see `validate`) and never mutates
    them. `warmup()` loads and compiles whatever needs it, so that a benchmark
    can pay that outside the timed region. `prepare(problem)` gives the
    step's arguments for one problem, put where the step reads them (e.g. on
    a JAX device), also outside the timing; `step` accepts the validated
    arrays too. Given a float32 problem, a step computes in float32 where
    `float32` is true, else in float64 whatever it is given.
    """

    name: str
    label: str  # how charts and reports name it
    description: str
    loops_removed: int
    step: StepFunction
    compiled: bool = False
    peer: bool = False
    parallel: bool = False  # one step can use several threads (BLAS, OpenMP, prange): measured per thread count
    # The largest |z| at which the step is sure to agree with the others to 1e-9. Finite only for
    # the notes' code as written (impls/notes_math.py), whose naive math loses digits, then breaks.
    safe_abs_z: float = math.inf
    float32: bool = False  # computes in float32 when given float32 (else in float64, whatever it is given)
    # The name of a preparation of its own that the benchmark gives its cases (bench/measure/prepare.py's
    # PREPARATIONS; e.g. a cluster and data generated past memory); None: the generic one, data in memory.
    preparation: str | None = None
    # Modules its warm-up imports that start no thread when imported (none is, before a first call): a benchmark
    # may import them before it forks the processes that run this step (bench/measure/forkserver.py).
    imports: tuple[str, ...] = ()
    warmup: Callable[[], None] = field(default=_nothing_to_compile, repr=False)
    prepare: Callable[[Problem], tuple[Any, ...]] = field(default=_as_given, repr=False)


IMPLEMENTATIONS: dict[str, Implementation] = {}
# Optional implementations that could not be registered here, and why (a missing extra, an unsupported version).
UNAVAILABLE: dict[str, str] = {}


def register(impl: Implementation) -> Implementation:
    """Add `impl` to `IMPLEMENTATIONS`; names are unique and stable."""
    if impl.name in IMPLEMENTATIONS:
        raise ValueError(f"an implementation named {impl.name!r} is already registered")
    IMPLEMENTATIONS[impl.name] = impl
    return impl


def get_implementation(impl: str | Implementation) -> Implementation:
    """Look up an implementation by name; an object passes through unchanged."""
    if isinstance(impl, Implementation):
        return impl
    try:
        return IMPLEMENTATIONS[impl]
    except KeyError:
        if impl in UNAVAILABLE:
            raise ValueError(f"{impl} is not available here: {UNAVAILABLE[impl]}") from None
        known = ", ".join(IMPLEMENTATIONS)
        raise ValueError(f"unknown implementation {impl!r}; known: {known}") from None


# --- stable math, shared by every implementation ---
#
# For labels y in {0, 1}, write s = 1 - 2y (+1 or -1). Then
#     dz   = sigmoid(z) - y     = s * sigmoid(s z)
#     loss = log(1 + e^z) - y z = log(1 + e^(s z)) = log1p(e^-|z|) + max(s z, 0)
# and with e = exp(-|z|) in (0, 1]: sigmoid(t) = 1 / (1 + e) for t >= 0 and
# e / (1 + e) for t < 0. exp never sees a positive argument (no overflow for
# any finite z), and dz is never a difference of nearly equal numbers: the
# notes' a - y would lose digits when a is close to y (as scikit-learn's
# loss avoids too).


def dz_and_loss_scalar(z: float, y: float) -> tuple[float, float]:
    """dz = sigmoid(z) - y and the logistic loss of one example, for y in {0, 1}."""
    s = 1.0 - 2.0 * y
    sz = s * z
    e = math.exp(-abs(z))
    u = 1.0 + e
    dz = s * (1.0 if sz >= 0.0 else e) / u  # a select, not a branch to mispredict
    # log1p(e) as log(u) * e / (u - 1): as accurate as log1p (Goldberg 1991,
    # Theorem 4) and about 2x cheaper in compiled loops, where log1p is slow.
    log1p_e = e if u == 1.0 else math.log(u) * e / (u - 1.0)
    return dz, log1p_e + max(sz, 0.0)


def dz_and_loss(Z: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise `dz_and_loss_scalar` on arrays of the same shape."""
    S = 1.0 - 2.0 * Y
    SZ = S * Z
    e = np.exp(-np.abs(Z))
    dZ = S * np.where(SZ >= 0.0, 1.0, e) / (1.0 + e)
    return dZ, np.log1p(e) + np.maximum(SZ, 0.0)


# --- validation, once at the boundary ---


def _real_array(name: str, value: object, *, allow_bool: bool = False) -> np.ndarray:
    array = np.asarray(value)
    is_real = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    if not (is_real or (allow_bool and array.dtype == np.bool_)):
        kinds = "integer, float or bool" if allow_bool else "integer or float"
        raise ValueError(f"{name} must hold real numbers ({kinds}); got dtype {array.dtype}")
    return array


def _problem_dtype(X: np.ndarray) -> np.dtype:
    """The dtype a problem computes in: X's own when float64 or float32; integers become float64."""
    if X.dtype.name in DTYPES:
        return X.dtype
    if np.issubdtype(X.dtype, np.integer):
        return np.dtype(DTYPES[0])
    raise ValueError(
        f"X must hold {' or '.join(DTYPES)} numbers (integers are converted to {DTYPES[0]}); got dtype {X.dtype}"
    )


def _converted(name: str, array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`array` as a C-contiguous array of `dtype`, all finite; ValueError naming what is not."""
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite; found {array[~np.isfinite(array)][:3].tolist()}")
    with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf: reported just below
        converted = np.ascontiguousarray(array, dtype=dtype)
    if converted is not array and not np.isfinite(converted).all():
        bad = array[~np.isfinite(converted)][:3].tolist()
        limit = float(np.finfo(dtype).max)
        raise ValueError(f"{name} must fit in X's dtype {dtype} (|value| <= {limit:.3g}); found {bad}")
    return converted


def validate(X: object, Y: object, w: object = None, b: object = None) -> Problem:
    """Check a problem once and return it as C-contiguous arrays of one dtype, float64 or float32.

    X must be (n_x, m) and Y (1, m) with labels 0 or 1, m >= 1; w, when
    given, (n_x, 1) (default zeros); b a finite real number (default 0).
    X decides the dtype: float64 and float32 are kept, integers become
    float64; any other dtype (float16, complex, ...) is refused. Y (integer,
    float or bool labels) and w (integers or floats) are converted to X's
    dtype, as scikit-learn fits a model in the dtype of its data: a float64
    w given with float32 X is rounded to float32. Raises ValueError naming
    what is wrong and what was expected.
    """
    X = np.asarray(X)
    dtype = _problem_dtype(X)
    X = _converted("X", X, dtype)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D of shape (n_x, m), examples as columns; got shape {X.shape}")
    n_x, m = X.shape
    if m == 0 or n_x == 0:
        raise ValueError(f"X must have at least one feature and one example; got shape {X.shape}")
    Y = _converted("Y", _real_array("Y", Y, allow_bool=True), dtype)  # True/False labels read as 1/0
    if Y.ndim != 2 or Y.shape[0] != 1:
        raise ValueError(f"Y must be 2-D of shape (1, m) = (1, {m}); got shape {Y.shape}")
    if Y.shape[1] != m:
        raise ValueError(f"X has m = {m} examples (columns) but Y has {Y.shape[1]}")
    bad = Y[(Y != 0.0) & (Y != 1.0)]
    if bad.size:
        raise ValueError(f"Y must hold labels 0 or 1; found {bad[:3].tolist()}")
    w = np.zeros((n_x, 1), dtype) if w is None else _converted("w", _real_array("w", w), dtype)
    if w.shape != (n_x, 1):
        raise ValueError(f"w must have shape (n_x, 1) = ({n_x}, 1); got shape {w.shape}")
    b = 0.0 if b is None else b
    if isinstance(b, bool) or not isinstance(b, (int, float, np.integer, np.floating)):
        raise ValueError(f"b must be a real number; got {type(b).__name__}")
    if not math.isfinite(b):
        raise ValueError(f"b must be finite; got {b}")
    return Problem(X, Y, w, float(b))


# --- comparing results ---

# How closely a step's result must agree with the float64 reference (`relative_error`), by the dtype of its input.
# float32 rounds every operation to 2^-24 (6e-8) relative; the gradient sums m products, and blocked or pairwise
# sums (BLAS, XLA, numpy) keep that error near 1e-6 of the sum's scale up to m = 1e7 (measured: 9e-7 at most,
# X rounded to float32 included). 1e-4 leaves a margin of 100 above that; float64 is held to 1e-9.
AGREEMENT_RTOL = {"float64": 1e-9, "float32": 1e-4}


def relative_error(
    got: Gradient, reference: Gradient, problem: Problem | None = None, scale: float | None = None
) -> float:
    """Largest relative difference of the gradient (dw, db) and of the cost.

    The gradient is compared normwise, as one vector g = (dw, db) over all
    parameters: max|g - g_ref| / max|g_ref|. Given the `problem`, the
    denominator is at least `summand_scale(problem)`: each component is a sum
    of terms x dz / m of both signs, and where they cancel to nearly zero no
    summation order can do better than rounding errors the size of the terms.
    The cost, a mean of positive terms, is compared directly. Both
    denominators are at least the smallest normal number of the problem's
    dtype (float32: 1.2e-38): below it numbers are subnormal and keep fewer
    digits, so a gradient of e^-100 cannot be right to 1e-4 in float32.
    `scale` is summand_scale(problem) where the caller has it already (it
    reads X: a benchmark checks every implementation on the same problem).
    """
    gradients = [np.append(g.dw, g.db) for g in (got, reference)]
    if gradients[0].shape != gradients[1].shape:
        return math.inf
    tiny = float(np.finfo(np.float64 if problem is None else problem.X.dtype).tiny)
    if problem is not None and scale is None:
        scale = summand_scale(problem)
    floor = tiny if scale is None else max(scale, tiny)
    return max(
        _normwise_error(gradients[0], gradients[1], floor),
        _normwise_error(np.array(got.cost), np.array(reference.cost), tiny),
    )


SCALE_BLOCK_ELEMENTS = 1 << 20  # |X| a block of examples at a time: 8 MB, not a second X (fresh memory is slow)


def summand_scale(problem: Problem) -> float:
    """Largest mean of |x dz| over the gradient's components: sum |x_ji dz_i| / m."""
    X, Y, w, b = problem
    abs_dZ = np.abs(dz_and_loss(w.T @ X + b, Y)[0])
    n_x, m = X.shape
    block = max(1, SCALE_BLOCK_ELEMENTS // n_x)
    buffer = np.empty((n_x, min(block, m)), X.dtype)
    sums = np.zeros(n_x)
    for start in range(0, m, block):
        part = X[:, start : start + block]
        sums += np.abs(part, out=buffer[:, : part.shape[1]]) @ abs_dZ[0, start : start + block]
    return max(float(np.max(sums)), float(abs_dZ.sum())) / m


def _normwise_error(got: np.ndarray, reference: np.ndarray, floor: float) -> float:
    if not np.isfinite(got).all():
        return math.inf
    scale = max(float(np.max(np.abs(reference))), floor)
    return float(np.max(np.abs(got - reference))) / scale


# --- training: the iteration loop that stays ---


class TrainResult(NamedTuple):
    """Trained parameters and the cost before each iteration's update."""

    w: np.ndarray
    b: float
    costs: np.ndarray


def train(
    impl: str | Implementation,
    X: object,
    Y: object,
    *,
    alpha: float,
    iterations: int,
    w: object = None,
    b: float = 0.0,
) -> TrainResult:
    """Run `iterations` steps of gradient descent with learning rate `alpha`.

    Validates (and prepares) once, then repeats `w -= alpha dw; b -= alpha db`
    in X's dtype. The inputs are never mutated; w starts at zeros unless given.
    """
    impl = get_implementation(impl)
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations <= 0:
        raise ValueError(f"iterations must be a positive integer; got {iterations!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.number)) or not math.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number; got {alpha!r}")
    problem = validate(X, Y, w, b)
    data, labels, _, _ = impl.prepare(problem)  # once, as a user would: e.g. X copied to a JAX device
    w, b = problem.w.copy(), problem.b
    costs = np.empty(int(iterations))
    for i in range(int(iterations)):
        dw, db, costs[i] = impl.step(data, labels, w, b)
        w -= alpha * dw
        b -= alpha * db
    return TrainResult(w, b, costs)
