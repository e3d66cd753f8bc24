"""A fused single-pass kernel: X is read from memory once per step.

numpy's step reads X twice (Z = w.T X, then X dZ.T). Here the examples are
cut into blocks small enough to stay in L2 cache; for each block

    z_k = w.T x_k + b,  a_k = sigmoid(z_k),  dz_k = a_k - y_k  (k in block)
    dw += X[:, block] dz[block],  db += sum(dz[block])

so the second pass over the block hits cache, not memory. With examples as
columns, row j of a block is a contiguous run of X: both passes stream, four
rows at a time so that z (or dz) is swept once per four rows of X.
Threads take consecutive runs of blocks (`prange`) and keep partial sums,
added at the end. `fastmath={'reassoc', 'contract'}` lets numba vectorize
the sums (results move by ~1e-15) while keeping inf/NaN semantics.
"""

import numba
import numpy as np

from impls.core import Gradient, Implementation, register
from impls.numba_support import compile_with_tiny_problem, dz_and_loss_compiled

BLOCK_BYTES = 256 * 1024  # a block of X stays in L2 (512 KiB per core here) between the passes
MIN_BLOCK = 512  # examples: each row of a block is at least a 4 KiB page, so prefetchers keep up
ROWS = 4  # rows of X per sweep over z: z is loaded and stored once per four rows, not per row


@numba.njit(parallel=True, fastmath={"reassoc", "contract"}, cache=True)
def _fused(X, y, weights, b, block, n_threads):  # type: ignore[no-untyped-def]
    n_x, m = X.shape
    n_blocks = (m + block - 1) // block
    n_runs = min(n_threads, n_blocks)
    n_x4 = n_x - n_x % ROWS
    partial_dw = np.zeros((n_runs, n_x))
    partial_db = np.zeros(n_runs)
    partial_cost = np.zeros(n_runs)
    for run in numba.prange(n_runs):
        z = np.empty(block)
        dw = partial_dw[run]
        db = 0.0
        cost = 0.0
        for blk in range(run * n_blocks // n_runs, (run + 1) * n_blocks // n_runs):
            start = blk * block
            stop = min(start + block, m)
            zb = z[: stop - start]
            yb = y[start:stop]
            zb[:] = b
            # Pass 1, from memory: z = w.T X[:, block] + b, four rows per sweep over z.
            for j in range(0, n_x4, ROWS):
                r0, r1, r2, r3 = X[j, start:stop], X[j + 1, start:stop], X[j + 2, start:stop], X[j + 3, start:stop]
                w0, w1, w2, w3 = weights[j], weights[j + 1], weights[j + 2], weights[j + 3]
                for k in range(zb.size):
                    zb[k] += w0 * r0[k] + w1 * r1[k] + w2 * r2[k] + w3 * r3[k]
            for j in range(n_x4, n_x):
                row, w_j = X[j, start:stop], weights[j]
                for k in range(zb.size):
                    zb[k] += w_j * row[k]
            for k in range(zb.size):  # z becomes dz in place
                dz, loss = dz_and_loss_compiled(zb[k], yb[k])
                cost += loss
                zb[k] = dz
                db += dz
            # Pass 2, from cache: dw += X[:, block] dz, four rows per sweep over dz.
            for j in range(0, n_x4, ROWS):
                r0, r1, r2, r3 = X[j, start:stop], X[j + 1, start:stop], X[j + 2, start:stop], X[j + 3, start:stop]
                a0 = a1 = a2 = a3 = 0.0
                for k in range(zb.size):
                    dz = zb[k]
                    a0 += r0[k] * dz
                    a1 += r1[k] * dz
                    a2 += r2[k] * dz
                    a3 += r3[k] * dz
                dw[j] += a0
                dw[j + 1] += a1
                dw[j + 2] += a2
                dw[j + 3] += a3
            for j in range(n_x4, n_x):
                row = X[j, start:stop]
                acc = 0.0
                for k in range(zb.size):
                    acc += row[k] * zb[k]
                dw[j] += acc
        partial_db[run] = db
        partial_cost[run] = cost
    return partial_dw.sum(axis=0) / m, partial_db.sum() / m, partial_cost.sum() / m


def block_size(n_x: int) -> int:
    """Examples per block: as many as fit BLOCK_BYTES, at least MIN_BLOCK."""
    return max(MIN_BLOCK, BLOCK_BYTES // (8 * n_x))


def step(X: np.ndarray, Y: np.ndarray, w: np.ndarray, b: float) -> Gradient:
    """One gradient step reading X once, in cache-sized blocks, on all threads."""
    n_x = X.shape[0]
    dw, db, cost = _fused(X, Y[0], w[:, 0], b, block_size(n_x), numba.get_num_threads())
    return Gradient(dw.reshape(n_x, 1), db, cost)


IMPL = register(
    Implementation(
        name="numba_fused",
        label="fused single pass, numba",
        description="fused single pass over X in cache-sized blocks, numba, all threads",
        loops_removed=2,
        step=step,
        compiled=True,
        parallel=True,  # prange over runs of blocks
        warmup=lambda: compile_with_tiny_problem(step),
    )
)
