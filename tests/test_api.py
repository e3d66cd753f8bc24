"""The Python API: the README's example runs as written, and bad options are refused with their names."""

import re
from pathlib import Path

import pytest

import bench

README = Path(__file__).parents[1] / "README.md"


def readme_example() -> str:
    """The README's Python example, the first ```python block after "From Python"."""
    text = README.read_text()
    found = re.search(r"From Python.*?```python\n(.*?)```", text, flags=re.S)
    assert found, "README.md has no Python example after 'From Python'"
    return found.group(1)


@pytest.mark.slow
def test_the_readme_example_sweeps_reports_and_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(readme_example(), namespace)  # the README's own code
    run = namespace["run"]
    assert run.exit_code == 0 and run.output == Path("runs/tiny")
    assert (tmp_path / "runs/tiny/report.md").is_file() and (tmp_path / "runs/tiny/results.csv").is_file()
    table = bench.load(run.output)
    steps = table[(table.kind == "step") & (table.status == "measured")]
    assert {"double_loop", "fully_vectorized"} <= set(steps.impl) and set(steps.m) == {100, 1000}
    assert "double_loop" in capsys.readouterr().out  # the example prints the table


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"profile": "huge"}, "unknown profile 'huge'; known: quick"),
        ({"impls": ["triple_loop"]}, "unknown implementation 'triple_loop'"),
        ({"m": [0]}, "m must be whole numbers of at least 1; got [0]"),
        ({"n_x": []}, "n_x must be whole numbers of at least 1"),
        ({"passes": 0}, "passes must be positive; got 0"),
        ({"budget_s": -1.0}, "budget_s must be positive"),
        ({"dtypes": ["float16"]}, "unknown dtype 'float16'; supported: float64, float32"),
        ({"threads": "0"}, "a thread count must be at least 1"),
    ],
)
def test_bad_options_raise_a_value_error_naming_them(tmp_path: Path, options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        bench.sweep(tmp_path / "run", **options)
    assert not (tmp_path / "run").exists()  # refused before anything is written
