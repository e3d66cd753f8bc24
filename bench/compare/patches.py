"""The counted check measured on real code changes: known patches, applied in temporary worktrees, counted.

Multiplying rounds by a factor tests a statistic; a patch tests the whole check: that a change to the code
moves its counts, and that the check names the implementation. Each patch below is applied to the
commit under test (HEAD) in a worktree of its own, and its implementation is counted there `repeats`
times; the unpatched commit is counted `repeats` times over the whole grid. Repeat r compares the patched
count r (head) with unpatched counts r and r + 1 (base, twice: the unstable rule), and the A/A check
compares unpatched count r + 2 (head) with the same base pair: every "slower" there is a false alarm.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.compare.ab import git
from bench.compare.counted import compare_counts, implementation_verdicts
from bench.records.counts import read_counts


@dataclass(frozen=True)
class Patch:
    """Replace `old` by `new` in `path`; the check should find `impl` slower (or, `slower` False, nothing)."""

    name: str
    impl: str
    path: str
    old: str
    new: str
    slower: bool = True


PATCHES = (
    Patch(
        "fully_vectorized: ~10% more array work (a tenth of X's rows multiplied again)",
        "fully_vectorized",
        "impls/fully_vectorized.py",
        "    Z = w.T @ X + b\n",
        "    Z = w.T @ X + b\n    tenth = -(-len(w) // 10)\n    Z += 0.0 * (w[:tenth].T @ X[:tenth])\n",
    ),
    Patch(
        "numba_fused: one extra pass over X (pass 1 twice per block)",
        "numba_fused",
        "impls/numba_fused.py",
        "            _pass_1(X, start, weights, b, z)\n",
        "            _pass_1(X, start, weights, b, z)\n            _pass_1(X, start, weights, b, z)\n",
    ),
    Patch(
        "double_loop: ~5% more Python work per example (three abs, multiplies and adds)",
        "double_loop",
        "impls/double_loop.py",
        "        db += dz\n",
        "        db += dz\n        cost += abs(dz) * 0.0 + abs(loss) * 0.0 + abs(z) * 0.0\n",
    ),
    Patch(
        "a comment, nothing else",
        "fully_vectorized",
        "impls/fully_vectorized.py",
        "    m = X.shape[1]\n",
        "    m = X.shape[1]  # the number of examples\n",
        slower=False,
    ),
)


def apply(patch: Patch, worktree: Path) -> None:
    """`patch` applied to the checkout at `worktree`; RuntimeError when the code no longer has its `old`."""
    path = worktree / patch.path
    text = path.read_text(encoding="utf-8")
    if text.count(patch.old) != 1:
        raise RuntimeError(f"patch {patch.name!r} no longer applies: {patch.path} lacks {patch.old.strip()!r} once")
    path.write_text(text.replace(patch.old, patch.new), encoding="utf-8")


def count_in(checkout: Path, output: Path, profile: str, impl: str | None = None) -> Path:
    """`python -m bench counts` in `checkout` (its own bench/ and impls/) into `output`."""
    only = ("--impl", impl) if impl else ()
    command = [sys.executable, "-m", "bench", "counts", "--profile", profile, *only, "--output", str(output)]
    subprocess.run(command, cwd=checkout, check=True)
    return output


def patch_selftest(
    output: Path, repeats: int = 10, profile: str = "quick", announce: Callable[[str], None] = print
) -> pd.DataFrame:
    """Per patch and the A/A check: in how many of `repeats` comparisons which implementations were slower."""
    if repeats < 3:
        raise ValueError(f"repeats must be at least 3 (base twice and a head apart from both); got {repeats}")
    output = output.resolve()
    commit = git("rev-parse", "--verify", "HEAD^{commit}")
    with tempfile.TemporaryDirectory(prefix="bench-patches-") as temporary:
        unpatched = _worktree(Path(temporary) / "unpatched", commit)
        checkouts = {patch: _worktree(Path(temporary) / f"patch-{i}", commit) for i, patch in enumerate(PATCHES)}
        try:
            for patch, checkout in checkouts.items():
                apply(patch, checkout)
            plain = []
            for r in range(repeats):
                announce(f"unpatched count {r + 1} of {repeats}")
                plain.append(read_counts(count_in(unpatched, output / f"unpatched-{r + 1}", profile)))
            rows = [_judge("A/A: the unpatched commit against itself", None, plain, plain[2:] + plain[:2])]
            for i, (patch, checkout) in enumerate(checkouts.items()):
                heads = []
                for r in range(repeats):
                    announce(f"{patch.name}: count {r + 1} of {repeats}")
                    heads.append(read_counts(count_in(checkout, output / f"patch-{i}-{r + 1}", profile, patch.impl)))
                rows.append(_judge(patch.name, patch, plain, heads))
        finally:
            for checkout in (unpatched, *checkouts.values()):
                git("worktree", "remove", "--force", str(checkout))
    table = pd.DataFrame(rows)
    table.to_csv(output / "patches.csv", index=False)
    return table


def _worktree(path: Path, commit: str) -> Path:
    git("worktree", "add", "--detach", str(path), commit)
    return path


def _judge(name: str, patch: Patch | None, plain: list[pd.DataFrame], heads: list[pd.DataFrame]) -> dict[str, object]:
    """Repeat r: heads[r] against plain[r] and plain[r + 1] (cyclically), as `regress --counts` compares."""
    repeats = len(heads)
    caught = others = unstable = 0
    ratios = []
    for r, head in enumerate(heads):
        base = [plain[r], plain[(r + 1) % len(plain)]]
        comparison = compare_counts(base, [head])
        verdicts = implementation_verdicts(comparison)
        slower = set(verdicts[verdicts.verdict == "slower"].impl)
        unstable += int((comparison.verdict == "unstable").sum())
        if patch is not None:
            caught += patch.impl in slower
            ratios.append(comparison[comparison.impl == patch.impl].instructions_ratio.max())
        others += bool(slower - ({patch.impl} if patch is not None and patch.slower else set()))
    expected = "slower" if patch is not None and patch.slower else "nothing slower"
    return {
        "change": name,
        "expected": expected,
        "repeats": repeats,
        "caught": caught if patch is not None and patch.slower else None,
        "false_alarms": others,
        "unstable_cases": unstable,
        "largest_instructions_ratio": max(ratios) if ratios else None,
    }
