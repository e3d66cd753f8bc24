"""`python -m bench run` end to end on a tiny grid, in a subprocess as a user would run it."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench import journal

TINY = ["--m", "40,80", "--n-x", "2,3", "--max-time", "0.005", "--impl", "double_loop", "--impl", "numba_fused"]


def bench(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    done = bench("run", "--profile", "quick", *TINY, "--output", str(out), cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr
    return out


def test_run_writes_json_csv_charts_and_report(tiny_run: Path) -> None:
    output = json.loads((tiny_run / "benchmark.json").read_text())
    cases = {b["param"]: b for b in output["benchmarks"]}
    # 4 sizes x 3 implementations (fully_vectorized joins as the reference), plus 3 training runs
    assert len(cases) == 15
    step = cases["numba_fused-m=80-n_x=3"]
    assert step["extra_info"]["status"] == "measured"
    assert step["extra_info"]["agreement_error"] <= 1e-9
    assert step["stats"]["rounds"] >= 3 and len(step["stats"]["data"]) == step["stats"]["rounds"]
    assert step["options"]["disable_gc"] is True
    machine = output["machine_info"]
    assert {"threadpools", "numba_threads", "environment", "packages", "cpu"} <= set(machine)
    assert output["commit_info"]["id"]
    assert {(r["m"], r["n_x"]) for r in output["bandwidth"]} >= {(40, 2), (80, 3)}
    table = pd.read_csv(tiny_run / "results.csv")
    assert len(table) == 15 and set(table.status) == {"measured"}
    assert (tiny_run / "report.md").exists() and len(list(tiny_run.glob("*.png"))) >= 3


def test_resume_runs_only_what_is_missing(tiny_run: Path) -> None:
    before = journal.read(tiny_run)
    done = bench("run", "--profile", "quick", *TINY, "--output", str(tiny_run), "--resume", cwd=tiny_run)
    assert done.returncode == 0, done.stderr
    assert "15 cases already done, 0 to go" in done.stderr
    assert len(journal.read(tiny_run)) == len(before)


def test_over_budget_cases_are_extrapolated_not_measured(tmp_path: Path) -> None:
    done = bench("run", *TINY, "--budget", "1e-9", "--output", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "results.csv")
    first = table[(table.kind == "step") & (table.m == 40) & (table.n_x == 2)]
    assert set(first.status) == {"measured"}  # nothing to predict from yet
    later = table[(table.kind == "step") & ((table.m > 40) | (table.n_x > 2))]
    assert set(later.status) == {"extrapolated"}
    assert later.predicted_s.gt(0).all() and later.reason.str.contains("budget").all()
    assert "extrapolated" in (tmp_path / "report.md").read_text()


def test_bad_arguments_are_explained(tmp_path: Path) -> None:
    done = bench("run", "--impl", "triple_loop", cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown implementation 'triple_loop'; known: double_loop" in done.stderr
    done = bench("run", "--m", "ten", cwd=tmp_path)
    assert done.returncode == 2 and "comma-separated integers" in done.stderr
