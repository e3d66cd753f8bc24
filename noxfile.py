"""Entry points: `nox -s tests`, `nox -s lint`, `nox -s bench`."""

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests", "lint"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the unit and property tests (pytest's exit code 5, no tests, fails too)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and types: ruff check, ruff format --check, mypy."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "impls", "bench")


if __name__ == "__main__":
    nox.main()
