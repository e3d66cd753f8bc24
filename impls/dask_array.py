"""The vectorized step on dask.array: X chunked along examples, one task per chunk, partial sums reduced as a tree.

    for each chunk c of examples (X_c of shape (n_x, m_c), Y_c of shape (1, m_c)), in a task of its own:
        Z_c = w.T X_c + b;  dZ_c, loss_c = dz_and_loss(Z_c, Y_c)         # the core's stable math
        part_c = [X_c dZ_c.T; sum dZ_c; sum loss_c]                       # shape (n_x + 2, 1)
    [m dw; m db; m J] = sum over c of part_c                             # a tree, SPLIT_EVERY parts per node

Each chunk is visited by one task, which does what `fully_vectorized` does on
the whole of X; only n_x + 2 numbers per chunk travel to the reduction.
The step runs on whatever scheduler dask is set to use: the benchmark starts a
dask.distributed cluster first (bench/measure/dask_case.py), and without one dask's
threaded scheduler runs it. X and Y may be dask arrays chunked along examples
only, or numpy arrays, which are wrapped in chunks of about CHUNK_BYTES of X
(the arrays then travel inside the task graph: fine for small problems and
for `train`; the benchmark hands its data to the cluster before timing).

dask is imported at the first step (or warm-up), not when the registry
loads: it takes over a second, which every benchmark worker of another
implementation would otherwise pay.

Chunks hold whole blocks of BLOCK_EXAMPLES examples (the last block may be
short), so that data generated block by block (bench/measure/dask_data.py) is the
same whatever the chunk size.
"""

from collections.abc import Callable
from importlib import metadata
from typing import Any

import numpy as np

from impls.core import Gradient, Implementation, dz_and_loss, register

CHUNK_BYTES = 64 * 10**6  # of X per chunk by default: dask advises ~100 MB; 64 MB makes 13 chunks of X = 800 MB
BLOCK_EXAMPLES = 8192  # chunk boundaries are multiples of this many examples
SPLIT_EVERY = 8  # partial sums added per node of the reduction tree


def chunk_examples(n_x: int, chunk_bytes: float = CHUNK_BYTES) -> int:
    """Examples per chunk: the whole number of blocks (at least one) closest to `chunk_bytes` of X."""
    blocks = round(chunk_bytes / (8 * n_x * BLOCK_EXAMPLES))
    return max(1, blocks) * BLOCK_EXAMPLES


def chunk_gradient(X: np.ndarray, Y: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """One chunk's unnormalized sums: [X dZ.T; sum dZ; sum loss], shape (n_x + 2, 1)."""
    Z = w.T @ X + b
    dZ, loss = dz_and_loss(Z, Y)
    part = np.empty((X.shape[0] + 2, 1))
    part[:-2] = X @ dZ.T
    part[-2] = dZ.sum()
    part[-1] = loss.sum()
    return part


def _warmup() -> None:
    import dask.array  # noqa: F401 (the import is the warm-up)


def as_chunked(X: Any, Y: Any, chunk_bytes: float = CHUNK_BYTES) -> tuple[Any, Any]:
    """X and Y as dask arrays chunked along examples; dask arrays pass through, checked in O(chunks)."""
    import dask.array as da

    n_x = X.shape[0]
    if not isinstance(X, da.Array):
        X = da.from_array(X, chunks=(n_x, chunk_examples(n_x, chunk_bytes)))
    if not isinstance(Y, da.Array):
        Y = da.from_array(Y, chunks=(1, X.chunks[1]))
    if X.numblocks[0] != 1 or X.chunks[1] != Y.chunks[1]:
        raise ValueError(
            f"X must be chunked along examples (columns) only, and Y like it; got X chunks {X.chunks}, "
            f"Y chunks {Y.chunks}"
        )
    return X, Y


def chunkwise_sum(function: Callable[..., np.ndarray], X: Any, Y: Any, rows: int, **kwargs: Any) -> Any:
    """`function(X_c, Y_c, **kwargs)`, of shape (rows, 1), on every chunk, summed over chunks as a tree: (rows,)."""
    import dask.array as da

    chunks = ((rows,), (1,) * X.numblocks[1])
    # meta given: dask would otherwise call `function` on empty arrays to find out, at every step
    parts = da.map_blocks(function, X, Y, **kwargs, chunks=chunks, dtype=np.float64, meta=np.empty((0, 0)))
    return parts.sum(axis=1, split_every=SPLIT_EVERY)


def step(X: Any, Y: Any, w: np.ndarray, b: float) -> Gradient:
    """One gradient step on dask: a task per chunk of examples, the partial sums added as a tree."""
    import dask

    X, Y = as_chunked(X, Y)
    n_x, m = X.shape
    (total,) = dask.compute(chunkwise_sum(chunk_gradient, X, Y, n_x + 2, w=w, b=b))
    return Gradient(total[:n_x, None] / m, float(total[n_x]) / m, float(total[n_x + 1]) / m)


IMPL = register(
    Implementation(
        name="dask_array",
        label="dask.array (distributed)",
        description=f"dask {metadata.version('dask')}: the vectorized step on chunks of examples, on a "
        "dask.distributed cluster (a peer library, past the memory of one machine)",
        loops_removed=2,
        step=step,
        peer=True,
        parallel=True,  # one task per chunk, on the cluster's threads
        preparation="dask_cluster",  # a cluster, and X generated inside its tasks past memory
        imports=("dask.array", "distributed"),
        warmup=_warmup,
    )
)
