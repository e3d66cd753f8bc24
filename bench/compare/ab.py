"""Same-job A/B: sweep a base commit and the working tree alternately on the same machine.

Both sides see the same machine state, drift included, because their runs
interleave (base, head, base, head, ...) and their rounds are pooled per
side; this is the comparison to trust on shared CI machines.
"""

import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def git(*args: str, cwd: Path = REPO) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def run_ab(
    base_ref: str,
    output: Path,
    repeats: int = 2,
    run_args: tuple[str, ...] = ("--profile", "quick"),
    announce: Callable[[str], None] = print,
    command: str = "run",
    head_repeats: int | None = None,
) -> tuple[list[Path], list[Path]]:
    """Run `python -m bench COMMAND` (a sweep, or `counts`) on `base_ref` (checked out in a temporary git
    worktree) and on the working tree, alternately: `repeats` runs of base, `head_repeats` (default as many)
    of head, head's between base's.

    Returns the run directories of each side: output/base-1, output/head-1, ...
    """
    head_repeats = repeats if head_repeats is None else head_repeats
    commit = git("rev-parse", "--verify", f"{base_ref}^{{commit}}")
    output = output.resolve()
    base_runs: list[Path] = []
    head_runs: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="bench-base-") as temporary:
        worktree = Path(temporary) / "base"
        git("worktree", "add", "--detach", str(worktree), commit)
        missing = _missing_harness(worktree, command)
        if missing:
            git("worktree", "remove", "--force", str(worktree))
            raise RuntimeError(f"{base_ref} ({commit[:12]}) {missing}")
        try:
            for i in range(1, repeats + 1):
                for side, cwd, runs in (("base", worktree, base_runs), ("head", REPO, head_runs)):
                    if side == "head" and i > head_repeats:
                        continue
                    directory = output / f"{side}-{i}"
                    announce(
                        f"A/B {command} {i} of {repeats}: {side} ({commit[:12] if side == 'base' else 'working tree'})"
                    )
                    # `python -m bench` from `cwd` imports that side's own bench/ and impls/.
                    subprocess.run(
                        [sys.executable, "-m", "bench", command, *run_args, "--output", str(directory)],
                        cwd=cwd,
                        check=True,
                    )
                    runs.append(directory)
        finally:
            git("worktree", "remove", "--force", str(worktree))
    return base_runs, head_runs


def _missing_harness(worktree: Path, command: str) -> str | None:
    """What the base checkout lacks to run `command`, said as the reason; None when it has it."""
    if not (worktree / "bench" / "__main__.py").exists():
        return "has no benchmark harness (bench/__main__.py) to run"
    if command == "counts" and not (worktree / "bench" / "commands" / "counts.py").exists():
        return "predates counted runs (no bench/commands/counts.py): compare it by wall time (regress without --counts)"
    return None
