"""A peer, not ours: the step as a JAX user writes it, compiled by XLA.

    cost(w, b) = mean(-(y log_sigmoid(z) + (1 - y) log_sigmoid(-z))),   z = w.T X + b
    step = jax.jit(jax.value_and_grad(cost, argnums=(w, b)))  ->  J, (dw, db)

The notes' cross-entropy -(y log a + (1 - y) log(1 - a)) with JAX's stable
log_sigmoid for log a and log(1 - a), as optax's sigmoid_binary_cross_entropy
writes it. log_sigmoid(z) = -softplus(-z), computed as the core does
(max(-z, 0) + log1p(e^-|z|)): the cost never overflows. JAX differentiates
it into y (-sigmoid(-z)) + (1 - y) sigmoid(z), each sigmoid by its own
stable rule, so dz is never a difference of nearly equal numbers. Two
shorter forms JAX users also write are less accurate here: softplus(z) - y z
gives sigmoid(z) - 1 for y = 1, which keeps only about 1e-16 / e^-z of
relative accuracy (2e-9 at z = 15); differentiating the core's own form,
log1p(e^-|z|) + max(z, 0) - y z, gives -y instead of 1/2 - y at z = 0
exactly (JAX takes 0 for the slopes of |z| and max(z, 0) there), and
training starts at z = 0 (w = 0, b = 0). The explicit formulas
(dZ = A - Y, dw = X dZ.T / m) written in jax.numpy were measured beside
it: no faster beyond the noise on this machine, so the peer is what a JAX
user writes.

What the benchmark times, and what not:

- not timed: importing JAX and starting XLA's CPU client (`warmup`),
  copying X, Y and w to the device (`prepare`, `jax.device_put`), and
  compiling for each shape and dtype (the harness's first, untimed call of
  a compiled step);
- timed: the call of the compiled step, its run, waiting for it
  (`block_until_ready`), and copying dw (n_x values), db and J back to
  numpy and Python, as every other step returns them.

float64: JAX computes in float32 unless `jax_enable_x64` is set, truncating
float64 input without a word. The flag is process-wide and must be set
before the first array exists, so it is set when JAX is first loaded here,
always. A float32 problem still computes in float32: Python scalars (b, m)
are weakly typed and take the arrays' dtype. Each benchmark worker runs one
implementation in its own process, so no other implementation runs under it.

Threads: XLA sizes its CPU thread pool (threads named tf_XLAEigen) from the
process's CPU affinity when its client starts; no XLA flag bounds it in JAX
0.10 (`--xla_cpu_multi_thread_eigen=false` left four threads busy here). A
benchmark worker with fewer threads than cores restricts its affinity before
JAX loads (bench/threads.py), as JAX's developers advise (jax-ml/jax#1539).

JAX is imported at the first warm-up, preparation or step, not when the
registry loads: it takes about a second that other workers need not pay.
"""

import functools
import re
from importlib import metadata
from typing import Any

import numpy as np

from impls.core import Gradient, Implementation, Problem, register

# The JAX versions this peer supports: from LOWEST up to, not including, BELOW (as pyproject.toml's extras say).
LOWEST, BELOW = (0, 4, 30), (0, 11)
INSTALL = "pip install -e '.[peers]'"


def _release(version: str) -> tuple[int, ...]:
    """'0.10.2' -> (0, 10, 2); pre-release and local tags ('0.11.0.dev20260101', '+cpu') do not count."""
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def version_problem(version: str) -> str | None:
    """Why JAX `version` is outside what the peer supports, or None when it is within."""
    if LOWEST <= _release(version) < BELOW:
        return None
    lowest, below = (".".join(map(str, v)) for v in (LOWEST, BELOW))
    return f"jax_peer supports JAX {lowest} up to (not including) {below}; found JAX {version}: {INSTALL}"


_PROBLEM = version_problem(metadata.version("jax"))
if _PROBLEM:
    raise ImportError(_PROBLEM)


@functools.cache
def _jax() -> tuple[Any, Any]:
    """JAX, with float64 enabled before any array exists, and the compiled step (compiled per shape and dtype)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def cost(w: Any, b: Any, X: Any, Y: Any) -> Any:
        Z = w.T @ X + b
        return -jnp.mean(Y * jax.nn.log_sigmoid(Z) + (1 - Y) * jax.nn.log_sigmoid(-Z))

    @jax.jit
    def compiled(X: Any, Y: Any, w: Any, b: Any) -> Any:
        J, (dw, db) = jax.value_and_grad(cost, argnums=(0, 1))(w, b, X, Y)
        return dw, db, J

    return jax, compiled


def prepare(problem: Problem) -> tuple[Any, ...]:
    """X, Y and w copied to JAX's device (the CPU), b as it is: done once per problem, outside the timing."""
    jax, _ = _jax()
    X, Y, w, b = problem
    return (*jax.device_put((X, Y, w)), b)


def _warmup() -> None:
    """Load JAX and start XLA's CPU client and its thread pool, on a tiny problem."""
    step(*prepare(Problem(np.ones((2, 3)), np.array([[0.0, 1.0, 1.0]]), np.zeros((2, 1)), 0.0)))


def step(X: Any, Y: Any, w: Any, b: float) -> Gradient:
    """One gradient step by the jit-compiled value_and_grad; numpy or JAX arrays in, numpy and floats out."""
    jax, compiled = _jax()
    dw, db, cost = jax.block_until_ready(compiled(X, Y, w, b))
    return Gradient(np.array(dw), float(db), float(cost))


IMPL = register(
    Implementation(
        name="jax_peer",
        label="JAX jit (peer)",
        description=f"JAX {metadata.version('jax')} jit of value_and_grad of the cross-entropy (a peer library, XLA)",
        loops_removed=2,
        step=step,
        compiled=True,  # XLA compiles per shape and dtype: the first call on a problem is made untimed
        peer=True,
        parallel=True,  # XLA's CPU thread pool
        float32=True,
        warmup=_warmup,
        prepare=prepare,
    )
)
