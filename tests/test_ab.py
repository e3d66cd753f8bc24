"""Same-job A/B: a base ref in a temporary worktree and the working tree, alternately."""

import pytest

from bench.compare.ab import git, run_ab
from bench.compare.regress import compare_runs
from bench.records.results import load_run

TINY = ("--m", "40", "--n-x", "2", "--max-time", "0.005", "--impl", "double_loop")
pytestmark = pytest.mark.slow  # git worktrees and real sweeps


def test_base_and_head_alternate_and_leave_no_worktree(tmp_path) -> None:
    order: list[str] = []
    base_dirs, head_dirs = run_ab("HEAD", tmp_path, repeats=1, run_args=TINY, announce=order.append)
    assert [d.name for d in base_dirs + head_dirs] == ["base-1", "head-1"]
    assert [line.split(": ")[1].split(" ")[0] for line in order] == ["base", "head"]
    comparison = compare_runs([load_run(base_dirs[0])], [load_run(head_dirs[0])])
    assert {"double_loop", "fully_vectorized"} <= set(comparison.impl)
    assert "bench-base-" not in git("worktree", "list")


def test_a_base_without_the_harness_is_refused_clearly(tmp_path) -> None:
    first_commit = git("rev-list", "--max-parents=0", "HEAD").splitlines()[-1]
    if git("ls-tree", first_commit, "bench/__main__.py"):  # e.g. a shallow clone
        pytest.skip("the first commit already has the harness")
    with pytest.raises(RuntimeError, match="has no benchmark harness"):
        run_ab(first_commit, tmp_path, repeats=1, run_args=TINY)
    assert "bench-base-" not in git("worktree", "list")


def test_an_unknown_ref_is_refused(tmp_path) -> None:
    with pytest.raises(RuntimeError, match="git rev-parse"):
        run_ab("no-such-ref", tmp_path, repeats=1, run_args=TINY)
