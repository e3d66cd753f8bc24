"""The kernel split benchmark: the parts it times are the kernel's, and its table says what it measured."""

import numba
import numpy as np
import pytest

from bench.measure import kernel_split
from impls import numba_fused
from tests.conftest import random_problem


def test_the_kernel_stopped_after_each_part_computes_that_part() -> None:
    X, Y, w, b = random_problem(n_x=6, m=5000, seed=3)
    m = X.shape[1]
    block = numba_fused.block_size()
    args = (X, Y[0], w[:, 0], b, block, numba.get_num_threads())
    whole = numba_fused.step(X, Y, w, b)
    _, z_sum, _ = numba_fused._fused(*args, numba_fused.PASS_1)
    assert z_sum * m == pytest.approx(float(np.sum(w.T @ X + b)), rel=1e-12)
    dw, db, cost = numba_fused._fused(*args, numba_fused.MATH)
    assert not dw.any() and db == pytest.approx(whole.db, rel=1e-12) and cost == pytest.approx(whole.cost, rel=1e-12)
    dw, db, cost = numba_fused._fused(*args, numba_fused.PASS_2)
    np.testing.assert_allclose(dw, whole.dw[:, 0], rtol=1e-12)


def test_split_table_has_every_part_at_every_thread_count() -> None:
    problem = random_problem(n_x=5, m=3000, seed=4)
    threads = sorted({1, numba.config.NUMBA_NUM_THREADS})
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        table = kernel_split.split_table(problem, threads, rounds=2)
        assert numba.get_num_threads() == 1  # as it was before
    finally:
        numba.set_num_threads(before)
    assert list(table.part) == list(kernel_split.PARTS) * len(threads)
    assert list(table.threads) == [t for t in threads for _ in kernel_split.PARTS]
    assert (table.best_ms > 0).all() and np.isfinite(table.best_ms).all()
    reads = table[table.part == "read of X"]
    assert (reads.x_read == 1.0).all()
    assert set(table.dtype) == {"float64"} and set(table.m) == {3000} and set(table.n_x) == {5}


def test_main_prints_one_table_per_dtype(capsys) -> None:
    assert kernel_split.main(["--m", "2000", "--n-x", "3", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "m = 2000, n_x = 3, float64" in out and "m = 2000, n_x = 3, float32" in out
    assert out.count("+ pass 2") == 2 * len({1, kernel_split.all_cores()})


@pytest.mark.parametrize("argv", [["--m", "2000"], ["--rounds", "0"], ["--m", "0", "--n-x", "3"]])
def test_main_refuses_incomplete_or_empty_sizes(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        kernel_split.main(argv)
