"""A peer, not ours: the step written in jax.numpy, compiled by XLA with jax.jit.

    Z = w.T X + b;  dZ, L = stable sigmoid - y and loss (the core's formulas)
    dw = X dZ.T / m;  db = sum(dZ) / m;  J = sum(L) / m

The core's stable math (impls/core.py), line for line in jax.numpy: the
same formulas as `fully_vectorized`, so that the two differ only in the
engine (XLA's fused, compiled loops against numpy's calls and BLAS).

Why not jax.value_and_grad of the cost, as a JAX user would write first:
measured beside it (same process, interleaved, three runs on this 2-core
machine), value_and_grad of optax's form of the cross-entropy,
-mean(y log_sigmoid(z) + (1 - y) log_sigmoid(-z)), took 1.02x to 1.2x the
time of these formulas at best at m = 1e6, n_x = 100 (float64: 167 to 192
ms against 160 to 164 ms; 1.16x to 1.28x at the median) and 1.4x to 1.7x
at m = 1e4: the derivative of log_sigmoid, twice over, costs
transcendentals the closed form does not. The shorter costs JAX users also
write do not agree to 1e-9: the derivative of softplus(z) - y z is
sigmoid(z) - 1 for y = 1, which keeps only about 1e-16 / e^-z of relative
accuracy (2e-9 at z = 15); that of the core's own form, log1p(e^-|z|) +
max(z, 0) - y z, is -y instead of 1/2 - y at z = 0 exactly (JAX takes 0 for
the slopes of |z| and max(z, 0) there), where training starts (w = 0, b = 0).

What the benchmark times, and what not:

- not timed: importing JAX and starting XLA's CPU client (`warmup`),
  handing X, Y and w to the device (`prepare`, `jax.device_put`: on the CPU
  it uses arrays that start at a 64-byte boundary in place, as the sweep's
  are, bench/measure/problems.py, and copies others), and compiling for each shape
  and dtype (the harness's first, untimed call of a compiled step);
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
benchmark worker with fewer threads than cores restricts its affinity while
JAX starts (bench/measure/threads.py), as JAX's developers advise (jax-ml/jax#1539).

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
# From 0.8, XLA names its CPU pool's threads, which the benchmark's thread read-back counts (bench/measure/threads.py);
# 0.11 and later are untested.
LOWEST, BELOW = (0, 8, 0), (0, 11)
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

    @jax.jit
    def compiled(X: Any, Y: Any, w: Any, b: Any) -> Any:
        m = X.shape[1]
        Z = w.T @ X + b
        S = 1 - 2 * Y  # +1 or -1: dz = S sigmoid(S z), loss = log1p(e^-|z|) + max(S z, 0), as in the core
        SZ = S * Z
        e = jnp.exp(-jnp.abs(Z))  # in (0, 1]: cannot overflow
        dZ = S * jnp.where(SZ >= 0, 1.0, e) / (1 + e)
        loss = jnp.log1p(e) + jnp.maximum(SZ, 0)
        return X @ dZ.T / m, jnp.sum(dZ) / m, jnp.sum(loss) / m

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
    """One gradient step, jit-compiled by XLA; numpy or JAX arrays in, numpy and floats out."""
    jax, compiled = _jax()
    dw, db, cost = jax.block_until_ready(compiled(X, Y, w, b))
    return Gradient(np.array(dw), float(db), float(cost))


IMPL = register(
    Implementation(
        name="jax_peer",
        label="JAX jit (peer)",
        description=f"JAX {metadata.version('jax')}: the vectorized step in jax.numpy, jit-compiled by XLA (a peer)",
        loops_removed=2,
        step=step,
        compiled=True,  # XLA compiles per shape and dtype: the first call on a problem is made untimed
        peer=True,
        parallel=True,  # XLA's CPU thread pool
        float32=True,
        imports=("jax", "jax.numpy"),
        warmup=_warmup,
        prepare=prepare,
    )
)
