"""`python -m bench run` end to end on a tiny grid, in a subprocess as a user would run it."""

import io
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from bench import _implementations
from bench.analysis.paired import self_pairs
from bench.commands.arguments import parse_dtypes
from bench.commands.run import rerun_command
from bench.measure.profiles import PROFILES
from bench.measure.threads import all_cores
from bench.records import journal, results
from impls import IMPLEMENTATIONS, UNAVAILABLE

REPO = Path(__file__).parents[1]
TINY = ["--m", "40,80", "--n-x", "2,3", "--max-time", "0.002", "--passes", "2", "--threads", "1,all", "--budget", "600"]
TINY += ["--impl", "double_loop", "--impl", "numba_fused"]
# double_loop once (single-threaded); numba_fused and fully_vectorized (the reference) at each thread count.
WORKERS = 1 + 2 * len({1, all_cores()})


def bench(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    done = bench("run", "--profile", "quick", *TINY, "--output", str(out))
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.slow
def test_run_writes_json_csv_charts_and_report(tiny_run: Path) -> None:
    output = json.loads((tiny_run / "benchmark.json").read_text())
    cases = {b["param"]: b for b in output["benchmarks"]}
    assert len(cases) == WORKERS * (4 + 1)  # 4 sizes and the training run per worker
    step = cases[f"numba_fused-threads={all_cores()}-m=80-n_x=3"]
    info = step["extra_info"]
    assert info["status"] == "measured" and info["threads"] == all_cores()
    assert info["agreement_error"] <= 1e-9 and info["read_s"] > 0
    passes = [p["pass"] for p in info["passes"]]
    assert passes[:2] == [1, 2] and passes == list(range(1, len(passes) + 1))  # then extra passes, if unsettled
    assert step["stats"]["rounds"] == sum(p["rounds"] for p in info["passes"]) == len(step["stats"]["data"])
    assert step["options"]["disable_gc"] is True
    # Timed in paired trials: each member's time per trial, the step's being its rounds, the loop among them.
    trials = info["passes"][0]["trials"]
    assert {"step", "self", "read", "double_loop"} <= set(trials)
    assert trials["step"] == step["stats"]["data"][: info["passes"][0]["rounds"]]
    assert len({len(seconds) for seconds in trials.values()}) == 1
    # double_loop's training run takes milliseconds: timed in exactly the minimum rounds, no calibration call
    train = cases["double_loop-threads=1"]["extra_info"]["passes"]
    assert [p["rounds"] for p in train] == [PROFILES["quick"].min_rounds] * 2
    machine = output["machine_info"]
    assert {"threadpools", "environment", "packages", "cpu", "thread_settings"} <= set(machine)
    assert output["commit_info"]["id"]
    assert not (tiny_run / ".sizes").exists()  # the size cache goes when the sweep completes
    table = pd.read_csv(tiny_run / "results.csv")
    assert len(table) == len(cases) and set(table.status) == {"measured"}
    assert set(table.threads) == {1, all_cores()}
    assert (tiny_run / "report.md").exists() and len(list(tiny_run.glob("*.png"))) >= 3
    assert (tiny_run / "speedups.csv").exists()
    # the report says how to measure the same again: this run's options, its output left to the reader
    rerun = shlex.join(["python", "-m", "bench", "run", "--profile", "quick", *TINY, "--output", "DIR"])
    assert f"- regenerate: `{rerun}`" in " ".join((tiny_run / "report.md").read_text().split())  # wrapped prose joined


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--impl", "dask_array", "--output", "runs/a", "--resume"],
        ["run", "--out=runs/a", "--impl", "dask_array"],
        ["run", "--impl", "dask_array", "--outp", "runs/a", "--res"],
    ],
)
def test_rerun_command_keeps_the_options_but_output_and_resume(argv: list[str]) -> None:
    assert rerun_command(argv) == "python -m bench run --impl dask_array --output DIR"


@pytest.mark.slow
def test_resume_runs_only_what_is_missing(tiny_run: Path) -> None:
    before = journal.read(tiny_run)
    done = bench("run", "--profile", "quick", *TINY, "--output", str(tiny_run), "--resume")
    assert done.returncode == 0, done.stderr
    assert "resuming: 50 of 50 case-passes already done" in done.stderr.replace("\n", " ")
    assert journal.read(tiny_run) == before


@pytest.mark.slow
def test_the_steps_of_one_size_in_one_process_are_timed_in_the_same_trials(tiny_run: Path) -> None:
    """double_loop, numba_fused and fully_vectorized share a process at 1 thread: at each size and pass, the loop
    is timed once per trial for both steps paired with it, so their records hold the same loop times."""
    cases = {
        b["param"]: b["extra_info"]["passes"]
        for b in json.loads((tiny_run / "benchmark.json").read_text())["benchmarks"]
    }
    for m, n_x in ((40, 2), (80, 3)):
        fused, numpy = (cases[f"{impl}-threads=1-m={m}-n_x={n_x}"] for impl in ("numba_fused", "fully_vectorized"))
        loop = cases[f"double_loop-threads=1-m={m}-n_x={n_x}"]
        for passes in zip(fused, numpy, loop, strict=False):
            shared = [p["trials"] for p in passes]
            assert shared[0]["double_loop"] == shared[1]["double_loop"] == shared[2]["step"]
            assert shared[0]["read"] == shared[1]["read"] == shared[2]["read"]  # one read of X per trial too
            assert shared[0]["step"] != shared[1]["step"]


@pytest.mark.slow
def test_a_step_paired_with_a_copy_of_itself_is_as_fast_as_itself(tiny_run: Path) -> None:
    """Pairing adds no bias, on real workers: self / step near 1, intervals covering 1 but by chance."""
    check = self_pairs(results.paired_trials(results.load_run(tiny_run))).dropna(subset=["low"])
    assert len(check) >= 8
    assert 0.95 <= check.ratio.median() <= 1.05
    assert ((check.low <= 1) & (check.high >= 1)).sum() >= len(check) - 2  # 95% each: 2 misses of 8 is 1 in 100


@pytest.mark.slow
def test_a_killed_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    """kill -9 of the manager (and its worker) mid-sweep loses nothing that was journaled."""
    command = [sys.executable, "-m", "bench", "run", "--profile", "quick", *TINY, "--output", str(tmp_path)]
    manager = subprocess.Popen(command, cwd=REPO, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while sum(r["kind"] == "case" for r in journal.read(tmp_path)) < 12 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(manager.pid, signal.SIGKILL)  # the manager and its worker, at once
    manager.wait()
    kept = [r for r in journal.read(tmp_path) if r["kind"] == "case"]
    assert 12 <= len(kept) < 2 * WORKERS * 5
    done = bench("run", "--profile", "quick", *TINY, "--output", str(tmp_path), "--resume")
    assert done.returncode == 0, done.stderr
    cases = [r for r in journal.read(tmp_path) if r["kind"] == "case"]
    assert cases[: len(kept)] == kept  # what was measured before the kill is kept as it was
    per_pass = journal.pass_records(cases)
    assert len(per_pass) == WORKERS * 5 and all({1, 2} <= set(by_pass) for by_pass in per_pass.values())


@pytest.mark.slow
def test_over_budget_cases_are_extrapolated_not_measured(tmp_path: Path) -> None:
    done = bench("run", *TINY, "--budget", "1e-9", "--output", str(tmp_path))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "results.csv")
    first = table[(table.kind == "step") & (table.m == 40) & (table.n_x == 2)]
    assert set(first.status) == {"measured"}  # nothing to predict from yet
    later = table[(table.kind == "step") & ((table.m > 40) | (table.n_x > 2))]
    assert set(later.status) == {"extrapolated"}
    assert later.predicted_s.gt(0).all() and later.reason.str.contains("budget").all()
    assert "extrapolated" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--impl", "triple_loop"], "unknown implementation 'triple_loop'; known: double_loop"),
        (["--m", "ten"], "comma-separated integers"),
        (["--threads", "0"], "a thread count must be at least 1; got 0"),
        (["--threads", "abc"], "thread counts are positive integers or 'all'"),
        (["--passes", "0"], "must be at least 1"),
        (["--dtype", "float64,float16"], "unknown dtype 'float16'; supported: float64, float32"),
    ],
)
@pytest.mark.slow
def test_bad_arguments_are_explained(tmp_path: Path, args: list[str], message: str) -> None:
    done = bench("run", *args, "--output", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr


@pytest.mark.slow
def test_more_threads_than_cores_is_measured_with_a_warning(tmp_path: Path) -> None:
    too_many = str(all_cores() + 1)
    args = ["--m", "40", "--n-x", "2", "--max-time", "0.002", "--passes", "1", "--impl", "fully_vectorized"]
    done = bench("run", *args, "--threads", too_many, "--output", str(tmp_path))
    assert f"{too_many} threads on {all_cores()} cores oversubscribes the machine" in done.stderr
    table = pd.read_csv(tmp_path / "results.csv")
    assert set(table.threads) == {int(too_many)}


@pytest.mark.slow
def test_pytest_benchmark_compare_reads_the_merged_json(tiny_run: Path) -> None:
    cli = "from pytest_benchmark.cli import main; main()"
    command = [sys.executable, "-c", cli, "compare", "--columns=min,median,rounds", str(tiny_run / "benchmark.json")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "test_step[numba_fused-threads=1-m=80-n_x=3]" in done.stdout.replace("\n", "")


def test_quick_leaves_out_the_peer_libraries_and_says_so() -> None:
    said = io.StringIO()
    impls = _implementations("quick", PROFILES["quick"], None, Console(file=said, width=200))
    peers = [name for name, impl in IMPLEMENTATIONS.items() if impl.peer]
    assert peers and not set(peers) & set(impls)
    assert set(impls) == set(IMPLEMENTATIONS) - set(peers)
    assert all(peer in said.getvalue() for peer in peers) and "--impl" in said.getvalue()
    assert _implementations("default", PROFILES["default"], None, Console(file=io.StringIO())) == tuple(IMPLEMENTATIONS)


def test_dtypes_parse_in_the_order_given_without_repeats() -> None:
    assert parse_dtypes(" Float32 ,float64,float32") == ("float32", "float64")


@pytest.mark.slow
@pytest.mark.skipif("jax_peer" not in IMPLEMENTATIONS, reason=f"JAX not usable here: {UNAVAILABLE.get('jax_peer')}")
def test_jax_in_both_dtypes_end_to_end(tmp_path: Path) -> None:
    args = ["--m", "40,80", "--n-x", "3", "--max-time", "0.002", "--passes", "1", "--threads", "1,all"]
    args += ["--impl", "double_loop", "--impl", "jax_peer", "--dtype", "float64,float32"]
    done = bench("run", *args, "--output", str(tmp_path))
    assert done.returncode == 0, done.stderr
    steps = pd.read_csv(tmp_path / "results.csv").query("kind == 'step'")
    assert set(steps.status) == {"measured"} and set(steps.dtype) == {"float64", "float32"}
    jax = steps[steps.impl == "jax_peer"].set_index(["dtype", "threads", "m"])
    assert len(jax) == 2 * len({1, all_cores()}) * 2
    assert (jax.loc["float32"].result_dtype == "float32").all() and (jax.loc["float32"].agreement_error <= 1e-4).all()
    assert (jax.loc["float64"].agreement_error <= 1e-9).all()
    speedups = pd.read_csv(tmp_path / "speedups.csv")
    assert set(speedups.dtype[speedups.impl == "jax_peer"]) == {"float64", "float32"}
    cases = {b["param"]: b for b in json.loads((tmp_path / "benchmark.json").read_text())["benchmarks"]}
    one_thread = cases["jax_peer-threads=1-m=80-n_x=3-dtype=float32"]["extra_info"]
    assert one_thread["pools"]["xla"] == 1 and one_thread["bytes_x"] == 4 * 80 * 3


@pytest.mark.slow
def test_a_run_whose_every_step_is_refused_exits_1_with_the_reasons(tmp_path: Path) -> None:
    # X would be 8 PB: the memory guard refuses every step; the training run (its own small size) is measured.
    args = ["--impl", "fully_vectorized", "--m", "1e12", "--n-x", "1000", "--passes", "1", "--threads", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "bench", "run", *args, "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 1, done.stderr
    assert "no gradient step could be measured" in done.stderr and "only" in done.stderr and "available" in done.stderr
