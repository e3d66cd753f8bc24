"""The architecture's rules hold, and their check can fail: import-linter's contracts, module and function sizes."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
LINT_IMPORTS = [
    sys.executable,
    "-c",
    "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
]


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports over the packages in `tree`, with `tree`'s pyproject.toml; its own code first on the path."""
    command = [*LINT_IMPORTS, "--no-cache"]
    return subprocess.run(command, cwd=tree, capture_output=True, text=True, env={"PYTHONPATH": str(tree)})


def copy_of_the_project(destination: Path) -> Path:
    """bench/, impls/ and pyproject.toml copied to `destination`, where a violation can be planted."""
    for package in ("bench", "impls"):
        shutil.copytree(ROOT / package, destination / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", destination)
    return destination


def test_the_contracts_hold_on_the_project() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        ("bench/records/schema.py", "import bench.reporting.build", "bench in layers"),
        ("bench/records/schema.py", "def later():\n    import bench.commands.main", "bench in layers"),  # lazy counts
        ("bench/records/journal.py", "import bench", "bench in layers"),  # the API reaches every layer above
        ("bench/analysis/claims.py", "import bench.measure.plan", "bench in layers"),
        ("bench/measure/plan.py", "import bench.analysis.claims", "bench in layers"),
        ("bench/reporting/format.py", "import bench.measure.plan", "reporting and compare read a run's records"),
        ("impls/core.py", "import bench.text", "impls imports nothing of bench"),
        ("bench/analysis/claims.py", "import bench.analysis.verdicts", "no import circle"),
    ],
    ids=lambda value: " ".join(value.split()),  # the planted function on one line
)
def test_a_planted_violation_breaks_its_contract(tmp_path: Path, module: str, planted: str, contract: str) -> None:
    tree = copy_of_the_project(tmp_path)
    source = tree / module
    source.write_text(source.read_text() + f"\n{planted}  # planted\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    # The report lists each contract's name (wrapped at 80 columns), then KEPT or BROKEN.
    outcome = re.search(rf"^{re.escape(contract)}.*?(KEPT|BROKEN)", result.stdout, flags=re.S | re.M)
    assert outcome and outcome.group(1) == "BROKEN", result.stdout


def python_files() -> list[Path]:
    """Every module the size limits hold: bench/ and impls/."""
    return sorted(path for package in ("bench", "impls") for path in (ROOT / package).rglob("*.py"))


def test_no_module_is_longer_than_the_limit() -> None:
    long = {
        str(p.relative_to(ROOT)): n for p in python_files() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_longer_than_the_limit() -> None:
    long = []
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1  # from `def` (decorators excluded) to its last line
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"
