"""A fused single-pass kernel: X is read from memory once per step.

numpy's step reads X twice (Z = w.T X, then X dZ.T). Here the examples are
cut into blocks that stay in cache between two passes over them:

    pass 1, from memory:    z_k = w.T x_k + b                         (k in block)
    per-example math:       dz_k = sigmoid(z_k) - y_k, loss_k; db += sum dz, cost += sum loss
    pass 2, from cache:     dw += X[:, block] dz[block]

A block is all n_x rows of X for a run of RUN_BYTES of examples; with
examples as columns, each row of a block is a contiguous run of X, so both
passes stream, four rows at a time so that z (or dz) is swept once per four
rows. The passes are software-pipelined: pass 2 of one block runs in the
same sweep over the rows as pass 1 of the next (`_pass_2_and_pass_1`),
so that memory keeps streaming while the cached block is summed (alone,
pass 2 left memory idle: 0.5x a read of X at n_x = 100, 1x at n_x = 1000).
Threads take consecutive runs of blocks (`prange`) and keep partial
sums, added at the end. `fastmath={'reassoc', 'contract'}` lets numba
vectorize the sums (results move by ~1e-15) while keeping inf/NaN
semantics; the per-example math vectorizes too, because its exp and log1p
are polynomials (`impls.simd_math`), not calls to libm.
`python -m bench.measure.kernel_split` times the kernel stopped after each part.

float32 X is read, and multiplied, in float32: half the bytes of float64,
twice the SIMD lanes. The per-example math is float32 too (exp and log1p
within 1 ulp), and so is each row's sum over one block in pass 2 (at most
a few hundred terms per SIMD lane). The sums that grow with the problem are
float64: z, a dot product over up to ~1000 features, and dw, db and the
cost, sums over all blocks and examples. That is free, since they live in
registers or cache, and keeps float32's error from growing with m and n_x:
about 5e-8 relative on random data, 2e-6 at worst (constant rows).
"""

import numba
import numpy as np

from impls.core import Gradient, Implementation, register
from impls.numba_support import compile_with_tiny_problem, dz_and_loss_vectorizable
from impls.simd_math import float_format

# A block is all n_x rows of X for a run of RUN_BYTES of examples, a whole number of cache lines. Measured
# here (pipelined, 1 thread, in reads of X): at n_x = 100, runs of 2.6 KiB 1.67x, 4 KiB 1.61x, 5.2 KiB 1.92x,
# 8 KiB 1.72x; at n_x = 1000, 4 KiB 1.97x, 8 KiB 1.91x; at n_x = 10, 4 KiB 2.10x, 26 KiB 2.15x.
RUN_BYTES = 4 * 1024
ROWS = 4  # rows of X per sweep over z: z is loaded and stored once per four rows, not per row


# The parts of a step, in order. The step runs them all; bench/measure/kernel_split.py times
# the same kernel stopped after each, to see where the time goes.
PASS_1, MATH, PASS_2 = 1, 2, 3
FASTMATH = {"reassoc", "contract"}  # sums may be reordered, so that they vectorize; inf and NaN stay
_part = numba.njit(fastmath=FASTMATH, error_model="numpy", cache=True)  # numpy: no ZeroDivisionError branches


@_part
def _pass_1(X, start, weights, b, z):  # type: ignore[no-untyped-def]
    """z = w.T X[:, start:start + z.size] + b, from memory, four rows of X per sweep over z."""
    n_x = X.shape[0]
    stop = start + z.size
    z[:] = b
    for j in range(0, n_x - n_x % ROWS, ROWS):
        r0, r1, r2, r3 = X[j, start:stop], X[j + 1, start:stop], X[j + 2, start:stop], X[j + 3, start:stop]
        w0, w1, w2, w3 = weights[j], weights[j + 1], weights[j + 2], weights[j + 3]
        for k in range(z.size):
            z[k] += w0 * r0[k] + w1 * r1[k] + w2 * r2[k] + w3 * r3[k]
    for j in range(n_x - n_x % ROWS, n_x):
        row, w_j = X[j, start:stop], weights[j]
        for k in range(z.size):
            z[k] += w_j * row[k]


@_part
def _per_example(z, y, dz):  # type: ignore[no-untyped-def]
    """dz from z (in dz's type, vectorized), and this block's sums of dz and of the loss, in float64."""
    db = 0.0
    cost = 0.0
    for k in range(z.size):
        dz[k] = z[k]  # rounded to dz's type
        dz_k, loss = dz_and_loss_vectorizable(dz[k], y[k])
        dz[k] = dz_k
        db += dz_k
        cost += loss
    return db, cost


@_part
def _pass_2_and_pass_1(X, start, dz, dw, weights, b, next_start, z):  # type: ignore[no-untyped-def]
    """dw += X[:, start:start + n] dz (from cache) and z = w.T X[:, next_start:next_start + n] + b (the next
    block, from memory), n = dz.size, in one sweep over the rows: the next block streams in while this one is
    summed. Each row's sum over the block is in X's type (a few hundred terms per SIMD lane), then added to the
    float64 dw. Every block's pass 2 runs here, whatever the next (`_fused`), so that a block's sums round
    alike whichever thread takes it.
    """
    n_x = X.shape[0]
    n = dz.size
    stop, next_stop = start + n, next_start + n
    zero = float_format(X).zero
    z[:] = b
    for j in range(0, n_x - n_x % ROWS, ROWS):
        c0, c1, c2, c3 = X[j, start:stop], X[j + 1, start:stop], X[j + 2, start:stop], X[j + 3, start:stop]
        r0, r1 = X[j, next_start:next_stop], X[j + 1, next_start:next_stop]
        r2, r3 = X[j + 2, next_start:next_stop], X[j + 3, next_start:next_stop]
        w0, w1, w2, w3 = weights[j], weights[j + 1], weights[j + 2], weights[j + 3]
        a0 = a1 = a2 = a3 = zero
        for k in range(n):
            z[k] += w0 * r0[k] + w1 * r1[k] + w2 * r2[k] + w3 * r3[k]
            dz_k = dz[k]
            a0 += c0[k] * dz_k
            a1 += c1[k] * dz_k
            a2 += c2[k] * dz_k
            a3 += c3[k] * dz_k
        dw[j] += a0
        dw[j + 1] += a1
        dw[j + 2] += a2
        dw[j + 3] += a3
    for j in range(n_x - n_x % ROWS, n_x):
        row, next_row, w_j = X[j, start:stop], X[j, next_start:next_stop], weights[j]
        acc = zero
        for k in range(n):
            z[k] += w_j * next_row[k]
            acc += row[k] * dz[k]
        dw[j] += acc


@numba.njit(parallel=True, fastmath=FASTMATH, error_model="numpy", cache=True)
def _fused(X, y, weights, b, block, n_threads, parts=PASS_2):  # type: ignore[no-untyped-def]
    """Sums of dw, db and the cost over all examples, divided by m; `parts` < PASS_2 only for kernel_split."""
    n_x, m = X.shape
    n_blocks = (m + block - 1) // block
    n_runs = min(n_threads, n_blocks)
    partial_dw = np.zeros((n_runs, n_x))
    partial_db = np.zeros(n_runs)
    partial_cost = np.zeros(n_runs)
    for run in numba.prange(n_runs):
        z_buffer = np.empty(block)  # float64: a dot product over up to ~1000 features
        dz_buffer = np.empty(block, X.dtype)  # X's type: pass 2 multiplies rows of X by it
        first, last = run * n_blocks // n_runs, (run + 1) * n_blocks // n_runs
        start = first * block
        _pass_1(X, start, weights, b, z_buffer[: min(block, m - start)])
        for blk in range(first, last):
            start = blk * block
            stop = min(start + block, m)
            z, dz = z_buffer[: stop - start], dz_buffer[: stop - start]
            if parts == PASS_1:
                partial_db[run] += z.sum()  # keeps pass 1 from being optimized away
            else:
                db, cost = _per_example(z, y[start:stop], dz)
                partial_db[run] += db
                partial_cost[run] += cost
            has_next = blk + 1 < last
            if parts == PASS_2:
                # With the next block when it has this one's size; else this block's own rows again, from
                # cache, into z, which is spent: one code path sums every block, whatever the thread split.
                same_size = has_next and stop + z.size <= m
                _pass_2_and_pass_1(X, start, dz, partial_dw[run], weights, b, stop if same_size else start, z)
                has_next = has_next and not same_size  # its pass 1 is done
            if has_next:
                _pass_1(X, stop, weights, b, z_buffer[: min(block, m - stop)])
    return partial_dw.sum(axis=0) / m, partial_db.sum() / m, partial_cost.sum() / m


def block_size(itemsize: int = 8) -> int:
    """Examples per block: rows of RUN_BYTES of X, whatever n_x."""
    return RUN_BYTES // itemsize


def step(X: np.ndarray, Y: np.ndarray, w: np.ndarray, b: float) -> Gradient:
    """One gradient step reading X once, in cache-sized blocks, on all threads, in X's dtype (float64 or float32)."""
    n_x = X.shape[0]
    weights = w[:, 0].astype(X.dtype, copy=False)  # n_x values: float32 X gets float32 products
    dw, db, cost = _fused(X, Y[0], weights, b, block_size(X.itemsize), numba.get_num_threads())
    return Gradient(dw.astype(X.dtype, copy=False).reshape(n_x, 1), db, cost)


IMPL = register(
    Implementation(
        name="numba_fused",
        label="fused single pass, numba",
        description="fused single pass over X in cache-sized blocks, numba, all threads",
        loops_removed=2,
        step=step,
        compiled=True,
        parallel=True,  # prange over runs of blocks
        float32=True,  # float32 X is read and multiplied in float32 (the module docstring says what stays float64)
        warmup=lambda: compile_with_tiny_problem(step),
    )
)
