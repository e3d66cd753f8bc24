"""Entry points: `nox -s bench` (the main job), `nox -s tests`, `nox -s lint`, `nox -s report`."""

import nox

nox.needs_version = ">=2025.2.9"
# uv where it is installed (`pip install "nox[uv]"`, as .ci/run does), else the standard library's venv and pip.
# Every session installs the same `.[dev]`, and nox gives each session its own environment (it has no way to
# share one between sessions). With uv that costs little: uv creates an environment in milliseconds and links
# packages from its cache, so each package is downloaded and unpacked once per machine, and every further
# session's install takes about 3 s where pip took about a minute.
nox.options.default_venv_backend = "uv|venv"
nox.options.sessions = ["tests", "lint"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the unit and property tests (pytest's exit code 5, no tests, fails too).

    Everything by default, as CI does; `nox -s tests -- -m "not slow"` leaves out the tests that start real
    workers, sweeps, git worktrees or dask clusters, for a quick loop while developing.
    """
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style, types, the architecture and the CI workflow: ruff, mypy, lint-imports, zizmor."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "impls", "bench")
    # import-linter's contracts in pyproject.toml: the layers of bench/, impls apart from it, no import circle.
    session.run("lint-imports")
    # Any finding (injection, unpinned action, broad token, persisted credentials...) fails.
    # Offline: the audits that ask GitHub's API are skipped, so every machine gets the same answer.
    session.run("zizmor", "--offline", ".github/workflows/")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Sweep every implementation (default profile) into reports/latest/, then build its report.

    Options go to `python -m bench run`, e.g. `nox -s bench -- --profile quick`.
    """
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench", "run", "--output", "reports/latest", *session.posargs)


@nox.session(default=False)
def report(session: nox.Session) -> None:
    """Rebuild the charts and report.md of a run from its JSON (default: reports/latest)."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench", "report", *(session.posargs or ["reports/latest"]))


@nox.session(default=False)
def regress(session: nox.Session) -> None:
    """A/B against a git ref in this job, e.g. `nox -s regress -- --base origin/main` (add `--counts` for the
    counted check, the one CI gates on).

    Runs the quick profile for base and head alternately (2 runs each; counted: base twice, head once), then
    compares; exit code 1 names each implementation that got slower.
    """
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench", "regress", *(session.posargs or ["--base", "origin/main"]))


@nox.session(default=False)
def counts(session: nox.Session) -> None:
    """Count every case's step under Valgrind (needs valgrind), e.g. `nox -s counts -- --output reports/counts`."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench", "counts", *session.posargs)


@nox.session(default=False)
def check(session: nox.Session) -> None:
    """Check the same-run invariants of a run (default: reports/latest)."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench", "check", *(session.posargs or ["reports/latest"]))


if __name__ == "__main__":
    nox.main()
