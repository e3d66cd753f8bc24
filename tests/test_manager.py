"""The manager with a stand-in worker: passes, order, merging, crashes, hangs, resume."""

import dataclasses
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from bench.measure.facts import registry_facts
from bench.measure.manager import Sweep, SweepSettings, SweepState
from bench.measure.plan import CaseSpec, WorkerKey, pass_order, process_groups, size_major, worker_cases, worker_keys
from bench.measure.profiles import PROFILES, DtypeAt
from bench.measure.threads import relevant_environment
from bench.records import journal
from tests.fake_worker import CRASH_M, HANG_M, SLOW_M

FAKE_WORKER = (sys.executable, str(Path(__file__).with_name("fake_worker.py")))
GRID = PROFILES["quick"].__class__(
    m=(10, CRASH_M, HANG_M, 20),
    n_x=(2,),
    max_elements=10**6,
    max_time_s=0.01,
    passes=3,
    min_rounds=2,
    budget_s=1.0,
    threads="1,2",
    train_size=(30, 2),
    train_iterations=2,
)
IMPLS = ("fully_vectorized", "double_loop")


def settings(output: Path, resume: bool = False) -> SweepSettings:
    return SweepSettings("test", GRID, IMPLS, (1, 2), 2, output, resume)


def sweep(output: Path, resume: bool = False) -> int:
    return Sweep(settings(output, resume), Console(file=sys.stderr), FAKE_WORKER, case_limit_s=1.5).run()


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory) -> tuple[Path, int]:
    output = tmp_path_factory.mktemp("fake")
    return output, sweep(output)


@pytest.mark.slow
def test_every_case_is_measured_in_every_pass_and_merged(fake_run) -> None:
    output, _ = fake_run
    run = json.loads((output / "benchmark.json").read_text())
    measured = {b["param"]: b for b in run["benchmarks"]}
    # 3 workers (double_loop once: it is single-threaded) x (2 good sizes + training)
    assert len(measured) == 9
    case = measured["fully_vectorized-threads=2-m=20-n_x=2"]
    assert [p["pass"] for p in case["extra_info"]["passes"]] == [1, 2, 3]
    assert case["stats"]["rounds"] == 6 and len(case["stats"]["data"]) == 6
    assert case["extra_info"]["passes"][2]["median"] == pytest.approx(20 * 2 * 1e-9 * 1.03)
    assert run["run"]["passes"] == 3 and run["run"]["threads"] == [1, 2]
    assert set(run["machine_info"]["thread_settings"]) == {"1", "2"}
    # The user's environment, not the workers' (whose thread variables the manager set).
    assert run["machine_info"]["environment"] == relevant_environment()


@pytest.mark.slow
def test_a_crash_costs_its_case_only_and_keeps_the_stderr(fake_run) -> None:
    output, exit_code = fake_run
    assert exit_code == 1  # a failed case fails the run, after everything else was measured
    skipped = {b["param"]: b["extra_info"] for b in json.loads((output / "benchmark.json").read_text())["skipped"]}
    crashed = skipped[f"double_loop-threads=1-m={CRASH_M}-n_x=2"]
    assert crashed["status"] == "failed" and "exited with code 1" in crashed["reason"]
    assert "segmentation fault (pretend)" in crashed["stderr"]


@pytest.mark.slow
def test_a_hung_worker_is_killed_and_the_sweep_goes_on(fake_run) -> None:
    output, _ = fake_run
    skipped = {b["param"]: b["extra_info"] for b in json.loads((output / "benchmark.json").read_text())["skipped"]}
    hung = skipped[f"fully_vectorized-threads=1-m={HANG_M}-n_x=2"]
    assert hung["status"] == "timed out" and "worker killed" in hung["reason"]
    # The sizes after the hang were still measured, in every pass.
    passes = journal.pass_records(journal.read(output))
    assert set(passes[("test_step", "fully_vectorized-threads=1-m=20-n_x=2")]) == {1, 2, 3}
    # A case lost in pass 1 is not retried in later passes.
    assert set(passes[("test_step", f"fully_vectorized-threads=1-m={HANG_M}-n_x=2")]) == {1}


@pytest.mark.slow
def test_each_pass_starts_further_along_the_processes(fake_run) -> None:
    output, _ = fake_run
    started = [(r["pass"], WorkerKey(r["impl"], r["threads"])) for r in journal.read(output) if r["kind"] == "worker"]
    order: dict[int, list[WorkerKey]] = {}
    for pass_number, key in started:  # a worker restarted after a crash appears again: keep its first start
        order.setdefault(pass_number, [])
        if key not in order[pass_number]:
            order[pass_number].append(key)
    # Two processes: double_loop and fully_vectorized with one thread share one (the loop first), then
    # fully_vectorized with two; over three passes the rotation starts at the second process in the third.
    ours, numpy_2 = [WorkerKey("double_loop", 1), WorkerKey("fully_vectorized", 1)], [WorkerKey("fully_vectorized", 2)]
    assert order == {1: ours + numpy_2, 2: ours + numpy_2, 3: numpy_2 + ours}


def test_this_projects_workers_share_processes_where_their_pools_allow() -> None:
    impls = ("fully_vectorized", "double_loop", "numba_fused", "sklearn_peer", "dask_array")
    facts = registry_facts(impls)
    assert {name: facts[name].shares for name in impls} == {
        "double_loop": "numpy",
        "fully_vectorized": "numpy",
        "numba_fused": "numba",
        "sklearn_peer": None,  # a peer: a process of its own
        "dask_array": None,  # a preparation of its own (its cluster)
    }
    keys = worker_keys(impls, (1, 2), {name: facts[name].parallel for name in impls})
    groups = process_groups(keys, {name: facts[name].shares for name in impls})
    one = [WorkerKey(name, 1) for name in ("double_loop", "fully_vectorized", "numba_fused")]  # the loop first
    assert groups == [
        tuple(one),  # one thread: no pool runs beside a step
        (WorkerKey("fully_vectorized", 2),),  # BLAS's threads and numba's, never side by side
        (WorkerKey("numba_fused", 2),),
        (WorkerKey("sklearn_peer", 1),),
        (WorkerKey("sklearn_peer", 2),),
        (WorkerKey("dask_array", 1),),
        (WorkerKey("dask_array", 2),),
    ]


def test_a_shared_process_measures_size_by_size_each_implementation_in_its_order() -> None:
    grid = dataclasses.replace(GRID, m=(10, 20), dtypes_at=(DtypeAt("float32", ((20, 2),)),))
    impls = ["fully_vectorized", "double_loop"]
    cases = [case for impl in impls for case in worker_cases(WorkerKey(impl, 1), grid)]
    first, second = (size_major(cases, impls, pass_number) for pass_number in (1, 2))
    assert [(c.kind, c.m, c.dtype, c.impl) for c in first] == [
        ("step", 10, "float64", "fully_vectorized"),
        ("step", 10, "float64", "double_loop"),
        ("step", 20, "float64", "fully_vectorized"),
        ("step", 20, "float64", "double_loop"),
        ("step", 20, "float32", "fully_vectorized"),
        ("step", 20, "float32", "double_loop"),
        ("train", 30, "float64", "fully_vectorized"),
        ("train", 30, "float64", "double_loop"),
    ]
    assert [c.impl for c in second[:2]] == ["double_loop", "fully_vectorized"]  # one further along each pass
    for impl in impls:  # an implementation's own cases keep their order: the budget predicts from smaller sizes
        assert [c for c in first if c.impl == impl] == [c for c in cases if c.impl == impl]


def test_rotation_spreads_each_workers_passes_apart() -> None:
    keys = [WorkerKey(f"impl{i}", 1) for i in range(9)]
    schedule = [key for p in (1, 2, 3) for key in pass_order(keys, p, 3)]
    for key in keys:
        places = [i for i, k in enumerate(schedule) if k == key]
        assert min(b - a for a, b in itertools.pairwise(places)) >= 6  # reversing the order gave 1 at the ends
        assert sorted(place % 9 // 3 for place in places) == [0, 1, 2]  # early, middle and late once each


@pytest.mark.slow
def test_resume_measures_only_what_the_journal_lacks(tmp_path: Path, fake_run) -> None:
    output, _ = fake_run
    lines = (output / journal.JOURNAL_NAME).read_text().splitlines()
    cut = [line for line in lines if '"pass": 3' not in line]  # as if killed during pass 3
    (tmp_path / journal.JOURNAL_NAME).write_text("\n".join(cut) + "\n")
    sweep(tmp_path, resume=True)
    again = journal.pass_records(journal.read(tmp_path))
    assert set(again[("test_step", "double_loop-threads=1-m=10-n_x=2")]) == {1, 2, 3}
    # nothing measured twice: the resumed journal gained exactly the pass-3 records (and its workers' lines)
    added = [r for r in journal.read(tmp_path)[len(cut) :] if r["kind"] == "case"]
    assert {r["pass"] for r in added} == {3} and len(added) == 9


@pytest.mark.slow
def test_a_run_where_nothing_can_be_measured_says_why(tmp_path: Path) -> None:
    crash_only = GRID.__class__(**{**GRID.__dict__, "m": (CRASH_M,), "train_size": (CRASH_M, 2)})
    settings_ = SweepSettings("test", crash_only, ("fully_vectorized",), (1,), 2, tmp_path, False)
    console = Console(record=True, width=200)
    assert Sweep(settings_, console, FAKE_WORKER, case_limit_s=5).run() == 1
    log = console.export_text()
    assert "no gradient step could be measured" in log and "worker exited with code 1" in log


def test_a_case_id_names_its_dtype_unless_float64() -> None:
    assert CaseSpec("step", "numba_fused", 2, 1000, 10).id == "numba_fused-threads=2-m=1000-n_x=10"
    float32 = CaseSpec("step", "numba_fused", 2, 1000, 10, "float32")
    assert float32.id == "numba_fused-threads=2-m=1000-n_x=10-dtype=float32"
    assert float32.test_name == "test_step[numba_fused-threads=2-m=1000-n_x=10-dtype=float32]"
    assert CaseSpec("train", "jax_peer", 1, 30, 2, "float32").id == "jax_peer-threads=1-dtype=float32"


def test_a_dtype_at_some_sizes_is_measured_there_only_after_float64() -> None:
    grid = dataclasses.replace(GRID, m=(10, 20), dtypes_at=(DtypeAt("float32", ((20, 2), (99, 2))),))
    cases = worker_cases(WorkerKey("jax_peer", 1), grid)
    assert [(c.kind, c.m, c.dtype) for c in cases] == [
        ("step", 10, "float64"),
        ("step", 20, "float64"),
        ("step", 20, "float32"),  # (99, 2) is not in the grid: nothing there
        ("train", 30, "float64"),  # training in the dtypes measured everywhere
    ]
    everywhere = dataclasses.replace(grid, dtypes=("float64", "float32"))
    assert [c.dtype for c in worker_cases(WorkerKey("jax_peer", 1), everywhere)] == ["float64", "float32"] * 3


@pytest.fixture(scope="module")
def two_dtypes_run(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("dtypes")
    grid = dataclasses.replace(GRID, m=(10, 20), dtypes_at=(DtypeAt("float32", ((20, 2),)),))
    settings_ = SweepSettings("test", grid, IMPLS, (1, 2), 2, output, False)
    assert Sweep(settings_, Console(file=sys.stderr), FAKE_WORKER, case_limit_s=5).run() == 0
    return output


@pytest.mark.slow
def test_each_dtype_is_a_case_of_its_own_in_every_pass(two_dtypes_run: Path) -> None:
    run = json.loads((two_dtypes_run / "benchmark.json").read_text())
    measured = {b["param"]: b["extra_info"] for b in run["benchmarks"]}
    assert len(measured) == 3 * (2 + 1 + 1)  # 3 workers x (2 float64 sizes, 1 float32, training)
    float32 = measured["fully_vectorized-threads=2-m=20-n_x=2-dtype=float32"]
    assert float32["dtype"] == "float32" and [p["pass"] for p in float32["passes"]] == [1, 2, 3]
    assert measured["fully_vectorized-threads=2-m=20-n_x=2"]["dtype"] == "float64"


@pytest.mark.slow
def test_a_resumed_run_with_two_dtypes_measures_nothing_twice(two_dtypes_run: Path, tmp_path: Path) -> None:
    grid = dataclasses.replace(GRID, m=(10, 20), dtypes_at=(DtypeAt("float32", ((20, 2),)),))
    (tmp_path / journal.JOURNAL_NAME).write_text((two_dtypes_run / journal.JOURNAL_NAME).read_text())
    settings_ = SweepSettings("test", grid, IMPLS, (1, 2), 2, tmp_path, True)
    assert Sweep(settings_, Console(file=sys.stderr), FAKE_WORKER, case_limit_s=5).run() == 0
    assert journal.read(tmp_path) == journal.read(two_dtypes_run)


@pytest.mark.slow
def test_a_worker_learns_its_measured_sizes_per_dtype(two_dtypes_run: Path) -> None:
    state = SweepState.from_journal(journal.read(two_dtypes_run))
    known = sorted(state.known(WorkerKey("double_loop", 1), ()))
    assert [(impl, m, n_x, dtype) for impl, m, n_x, dtype, _ in known] == [
        ("double_loop", 10, 2, "float64"),
        ("double_loop", 20, 2, "float32"),
        ("double_loop", 20, 2, "float64"),
    ]
    # A worker whose steps are paired with the loop learns the loop's sizes too (fully_vectorized: its own first).
    paired = state.known(WorkerKey("fully_vectorized", 2), ("double_loop",))
    assert {impl for impl, *_ in paired} == {"fully_vectorized", "double_loop"}
    assert all(impl == "double_loop" for impl, *_ in state.known(WorkerKey("double_loop", 1), ("double_loop",)))


@pytest.mark.slow
def test_workers_share_jax_compilations_within_a_thread_count_and_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    run = Sweep(settings(tmp_path), Console(file=sys.stderr), FAKE_WORKER)
    one, two = (run.worker_environment(threads) for threads in (1, 2))
    assert one["OMP_NUM_THREADS"] == "1" and two["OMP_NUM_THREADS"] == "2"
    caches = [Path(environment["JAX_COMPILATION_CACHE_DIR"]) for environment in (one, two)]
    assert caches[0] != caches[1] and all(cache.parent == tmp_path / ".sizes" for cache in caches)  # removed at the end
    for environment in (one, two):
        assert Path(environment["PYTHONPYCACHEPREFIX"]).parent == tmp_path / ".sizes"
        assert "PYTHONDONTWRITEBYTECODE" not in environment


@pytest.mark.slow
def test_a_case_that_announces_it_needs_longer_is_waited_for(tmp_path: Path) -> None:
    slow = GRID.__class__(**{**GRID.__dict__, "m": (SLOW_M,), "passes": 1})
    settings_ = SweepSettings("test", slow, ("double_loop",), (1,), 2, tmp_path, False)
    Sweep(settings_, Console(file=sys.stderr), FAKE_WORKER, case_limit_s=1.0).run()  # 2 s > the 1 s limit
    case = journal.pass_records(journal.read(tmp_path))[("test_step", f"double_loop-threads=1-m={SLOW_M}-n_x=2")]
    assert case[1]["extra_info"]["status"] == "measured"


@pytest.mark.slow
def test_settings_environment_reaches_every_worker(tmp_path: Path, monkeypatch) -> None:
    from bench.measure import manager

    small = GRID.__class__(**{**GRID.__dict__, "m": (10,), "passes": 1})
    settings_ = SweepSettings("test", small, ("fully_vectorized",), (1, 2), 2, tmp_path, False, {"BENCH_PROBE": "42"})
    seen: list[dict[str, str]] = []

    def spy(command, spec, environment, *rest):  # type: ignore[no-untyped-def]
        seen.append(environment)
        return original(command, spec, environment, *rest)

    original = manager.run_worker
    monkeypatch.setattr(manager, "run_worker", spy)
    Sweep(settings_, Console(file=sys.stderr), FAKE_WORKER, case_limit_s=1.5).run()
    assert [(env["BENCH_PROBE"], env["OMP_NUM_THREADS"]) for env in seen] == [("42", "1"), ("42", "2")]


def test_the_manager_loads_no_implementation_and_no_numba() -> None:
    code = "import sys, bench.measure.manager; print(sorted(m for m in sys.modules if m.split('.')[0] in ('impls', 'numba')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def _refined(output: Path, refine, **grid_changes) -> dict[str, set[int]]:
    """A fake run with `refine` as its sampling rule: each measured case's passes, by case id."""
    grid = dataclasses.replace(GRID, **{"m": (10, 20), "sweep_s": 600.0, "most_passes": 6, **grid_changes})
    settings_ = SweepSettings("test", grid, IMPLS, (1, 2), 2, output, False)
    assert Sweep(settings_, Console(file=sys.stderr), FAKE_WORKER, case_limit_s=5, refine=refine).run() == 0
    return {param: set(by_pass) for (_, param), by_pass in journal.pass_records(journal.read(output)).items()}


@pytest.mark.slow
def test_extra_passes_measure_what_the_rule_names_until_it_names_nothing(tmp_path: Path) -> None:
    target = CaseSpec("step", "fully_vectorized", 2, 20, 2)
    asked: list[int] = []

    def refine(run: dict) -> list[CaseSpec]:
        passes = next(len(b["extra_info"]["passes"]) for b in run["benchmarks"] if b["param"] == target.id)
        asked.append(passes)
        return [target] if passes < 5 else []  # settled after five processes

    passes = _refined(tmp_path, refine)
    assert passes[target.id] == {1, 2, 3, 4, 5}
    assert all(found == {1, 2, 3} for case, found in passes.items() if case != target.id)
    assert asked == [3, 4, 5]


@pytest.mark.slow
def test_extra_passes_stop_at_the_most_passes_and_when_the_time_is_spent(tmp_path: Path) -> None:
    target = CaseSpec("step", "double_loop", 1, 10, 2)
    assert _refined(tmp_path / "most", lambda run: [target])[target.id] == {1, 2, 3, 4, 5, 6}
    assert _refined(tmp_path / "time", lambda run: [target], sweep_s=1e-9)[target.id] == {1, 2, 3}


@pytest.mark.slow
def test_resuming_a_run_measured_before_paired_trials_is_refused_with_the_reason(tmp_path: Path, fake_run) -> None:
    output, _ = fake_run
    records = journal.read(output)
    for record in records:  # as the journal of a run before issue 21: no step has trials
        if record["kind"] == "case":
            record["benchmark"]["extra_info"].pop("trials", None)
    (tmp_path / journal.JOURNAL_NAME).write_text("".join(json.dumps(record) + "\n" for record in records))
    console = Console(record=True, width=300)
    assert Sweep(settings(tmp_path, resume=True), console, FAKE_WORKER, case_limit_s=5).run() == 2
    assert "measured before paired trials" in console.export_text()
    assert len(journal.read(tmp_path)) == len(records)  # nothing measured, nothing written
