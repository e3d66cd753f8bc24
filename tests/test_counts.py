"""Counted runs: callgrind's dumps parsed, the counted region bracketed, the counted check's rules, the faults."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import bench
from bench.commands.main import main
from bench.compare.ab import _missing_harness
from bench.compare.counted import compare_counts, implementation_verdicts, summary_markdown
from bench.measure import counting
from bench.measure.profiles import PROFILES, with_overrides
from bench.records.counts import COUNTS_CSV, COUNTS_JSON, read_dump, summarize

needs_valgrind = pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
REPO = Path(__file__).resolve().parents[1]


def _callgrind(script: str, dumps: Path) -> None:
    """Run `script` in Python under callgrind as counted runs do, dumps into `dumps`."""
    dumps.mkdir()
    command = [*counting.valgrind_command(dumps), sys.executable, "-c", textwrap.dedent(script)]
    environment = os.environ | {"CODSPEED_ENV": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    subprocess.run(command, check=True, capture_output=True, env=environment, timeout=300)


@pytest.fixture(scope="module")
def dumped(tmp_path_factory) -> dict[str, dict[str, int]]:
    """Real callgrind dumps of a numpy sum: once, twice, and once after heavy work outside the counted region."""
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed")
    dumps = tmp_path_factory.mktemp("counts") / "dumps"
    _callgrind(
        f"""
        from pathlib import Path
        import numpy as np
        from bench.measure.count_worker import Counter
        counter = Counter(Path({str(dumps)!r}))
        x = np.ones(20_000)
        counter.count("once", lambda: x.sum())
        counter.count("twice", lambda: (x.sum(), x.sum()))
        np.ones(2_000_000).cumsum()  # setup: outside any counted region
        counter.count("after setup", lambda: x.sum())
        """,
        dumps,
    )
    found = (read_dump(path) for path in dumps.iterdir())
    return {name: events for name, events in (dump for dump in found if dump is not None)}


@pytest.mark.slow
def test_a_real_dump_is_parsed_with_its_name_and_every_event(dumped) -> None:
    assert {"once", "twice", "after setup", "warm:once"} <= set(dumped)
    once = dumped["once"]
    assert once["Ir"] > 10_000 and once["Dr"] > 0 and once["D1mr"] <= once["Dr"] + once["Dw"]
    assert summarize(once)["estimated_cycles"] >= once["Ir"]


@pytest.mark.slow
def test_the_counted_region_holds_the_call_only(dumped) -> None:
    twice, once = dumped["twice"]["Ir"], dumped["once"]["Ir"]
    assert 1.7 < twice / once < 2.3  # twice the work, about twice the instructions
    # Millions of instructions of setup before it, none of them counted: the same count as without it.
    assert dumped["after setup"]["Ir"] == pytest.approx(once, rel=0.05)


def test_estimated_cycles_are_l1_hits_plus_5_ll_hits_plus_35_ram_hits() -> None:
    events = {"Ir": 1000, "Dr": 400, "Dw": 100, "I1mr": 10, "D1mr": 40, "D1mw": 10, "ILmr": 2, "DLmr": 5, "DLmw": 3}
    counted = summarize(events)
    assert counted["l1_misses"] == 60 and counted["ll_misses"] == 10
    assert counted["estimated_cycles"] == (1500 - 60) + 5 * (60 - 10) + 35 * 10


def test_a_dump_without_cache_events_is_refused(tmp_path) -> None:
    dump = tmp_path / "callgrind.out.1.1"
    dump.write_text("desc: Trigger: Client Request: case\nevents: Ir\ntotals: 5\n")
    with pytest.raises(ValueError, match="--cache-sim=yes"):
        read_dump(dump)
    dump.write_text("desc: Trigger: Program termination\nevents: Ir\ntotals: 0\n")
    assert read_dump(dump) is None  # the dump callgrind makes at exit: nobody's case


def _counts(cycles: dict[tuple[str, int], float], instructions_per_cycle: float = 0.5) -> pd.DataFrame:
    rows = [
        {"kind": "step", "impl": impl, "threads": 1, "dtype": "float64", "m": m, "n_x": 10}
        | {"instructions": value * instructions_per_cycle, "estimated_cycles": value, "status": "counted"}
        for (impl, m), value in cycles.items()
    ]
    return pd.DataFrame(rows)


BASE = {("fully_vectorized", 100): 1e6, ("fully_vectorized", 1000): 5e6, ("double_loop", 100): 3e7}


def test_the_same_counts_are_the_same_and_a_moved_case_is_slower() -> None:
    same = compare_counts([_counts(BASE), _counts(BASE)], [_counts(BASE)])
    assert set(same.verdict) == {"same"}
    head = BASE | {("double_loop", 100): 3e7 * 1.05}
    moved = compare_counts([_counts(BASE), _counts(BASE)], [_counts(head)])
    verdicts = implementation_verdicts(moved).set_index("impl").verdict
    assert verdicts["double_loop"] == "slower" and verdicts["fully_vectorized"] == "same"
    assert moved.set_index("impl").loc["double_loop", "estimated_cycles_ratio"] == pytest.approx(1.05)
    # Below the threshold: not slower.
    small = compare_counts([_counts(BASE)] * 2, [_counts(BASE | {("double_loop", 100): 3e7 * 1.01})])
    assert set(small.verdict) == {"same"}


def test_a_move_of_a_few_thousand_instructions_is_layout_not_a_change() -> None:
    # As measured: the same step counted from two checkouts, 150,266 against 147,038 instructions (2.15%).
    tiny = {("fully_vectorized", 100): 150_266 / 0.5}  # instructions = half the cycles in _counts
    moved = compare_counts([_counts(tiny)] * 2, [_counts({("fully_vectorized", 100): 147_038 / 0.5})])
    assert list(moved.verdict) == ["same"]
    doubled = compare_counts([_counts(tiny)] * 2, [_counts({("fully_vectorized", 100): 2 * 150_266 / 0.5})])
    assert list(doubled.verdict) == ["slower"]  # past SMALLEST_MOVE: a change, however small the step


def test_estimated_cycles_alone_gate_only_past_what_layout_moved_them() -> None:
    def with_cycles(factor: float) -> pd.DataFrame:
        head = _counts(BASE)
        head.loc[head.impl == "double_loop", "estimated_cycles"] *= factor  # instructions unchanged
        return head

    layout = compare_counts([_counts(BASE)] * 2, [with_cycles(1.03)])  # as a different layout moved them: 2.2%
    assert set(layout.verdict) == {"same"}
    misses = compare_counts([_counts(BASE)] * 2, [with_cycles(1.06)])  # more misses than layout explains
    assert misses.set_index("impl").loc["double_loop", "verdict"] == "slower"


def test_a_case_whose_two_base_counts_differ_is_unstable_never_slower() -> None:
    wobbly = BASE | {("fully_vectorized", 100): 1e6 * 1.01}
    head = BASE | {("fully_vectorized", 100): 1e6 * 1.5}
    comparison = compare_counts([_counts(BASE), _counts(wobbly)], [_counts(head)]).set_index(["impl", "m"])
    assert comparison.loc[("fully_vectorized", 100), "verdict"] == "unstable"
    assert implementation_verdicts(comparison.reset_index()).set_index("impl").verdict["fully_vectorized"] == "same"


def test_a_case_counted_on_one_side_only_is_listed_not_judged() -> None:
    head = {key: value for key, value in BASE.items() if key != ("double_loop", 100)}
    comparison = compare_counts([_counts(BASE)] * 2, [_counts(head)])
    assert comparison.set_index("impl").loc["double_loop", "verdict"] == "only in base"


def test_the_step_summary_names_the_slower_implementation_and_its_case() -> None:
    comparison = compare_counts([_counts(BASE)] * 2, [_counts(BASE | {("double_loop", 100): 3.3e7})])
    markdown = summary_markdown(comparison, implementation_verdicts(comparison), "Counted")
    assert "| double_loop | 1 | 1 | 0 | 0 | 1.1000 | **slower** |" in markdown
    assert "| double_loop m=100 n_x=10 | 1.1000 |" in markdown
    assert "| fully_vectorized | 2 | 0 | 0 | 0 | 1.0000 | same |" in markdown


def test_without_valgrind_counts_says_how_to_install_it(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setattr(counting.shutil, "which", lambda name: None)
    assert main(["counts", "--impl", "fully_vectorized", "--m", "100", "--n-x", "10", "--output", str(tmp_path)]) == 2
    assert "apt-get install valgrind" in capsys.readouterr().err


def test_counts_refuse_other_thread_counts(tmp_path, capsys) -> None:
    assert main(["counts", "--threads", "2", "--output", str(tmp_path)]) == 2
    assert "one thread" in capsys.readouterr().err


def test_a_base_that_predates_counts_is_named(tmp_path) -> None:
    (tmp_path / "bench" / "commands").mkdir(parents=True)
    (tmp_path / "bench" / "__main__.py").write_text("")
    assert "predates counted runs" in _missing_harness(tmp_path, "counts")
    assert _missing_harness(tmp_path, "run") is None


@needs_valgrind
@pytest.mark.slow
def test_counts_of_a_small_grid(tmp_path) -> None:
    grid = with_overrides(PROFILES["quick"], (10_000, 100_000), (10,), None, "1")
    table = counting.count(tmp_path, grid, ["numba_fused"])
    assert list(table.status) == ["counted", "counted"]
    small, large = table.instructions
    assert 5 < large / small < 11  # ten times the data, a per-call cost (~65,000 instructions) beside it
    assert (tmp_path / COUNTS_CSV).exists() and (tmp_path / COUNTS_JSON).exists()


@needs_valgrind
@pytest.mark.slow
def test_a_worker_that_crashes_fails_its_case_and_the_rest_go_on(tmp_path) -> None:
    grid = with_overrides(PROFILES["quick"], (100, 1000), (10,), None, "1")
    crash = (sys.executable, "-c", "import sys; print('broken here', file=sys.stderr); sys.exit(3)")
    table = counting.count(tmp_path, grid, ["fully_vectorized"], announce=lambda text: None, command=crash)
    assert list(table.status) == ["failed", "failed"]  # each in a worker of its own: the second was tried too
    assert all("exited with code 3" in reason and "broken here" in reason for reason in table.reason)


def test_the_report_gains_a_counted_section_from_a_counted_run_beside_it(tmp_path) -> None:
    from bench.reporting.counts_section import counts_section
    from tests.synthetic import claim_grid
    from tests.test_report import write_run

    directory = write_run(tmp_path, claim_grid(12.0, 280.0, [(100, 10)]))
    assert counts_section(directory) is None  # no counted run: no section
    counted = _counts({("double_loop", 1000): 3e7, ("fully_vectorized", 1000): 1e5}, instructions_per_cycle=0.6)
    left_out = {"kind": "step", "impl": "double_loop", "threads": 1, "dtype": "float64", "m": 10_000, "n_x": 10}
    pd.concat([counted, pd.DataFrame([left_out | {"status": "not counted", "reason": "over the limit"}])]).to_csv(
        directory / COUNTS_CSV, index=False
    )
    text = bench.report(directory).read_text()
    section = " ".join(text.split("## Counted")[1].split("\n## ")[0].split())  # wrapped prose joined
    # 3e7 cycles x 0.6 over 1e4 elements: 1800 instructions per element; numpy's 6: 300x fewer.
    assert "executes 1,800 instructions per element of X, numpy's vectorized step 6: 300x fewer" in section
    assert "- double_loop: 1 case(s), from m=10000 n_x=10 (not counted: over the limit)" in section
    assert "thread scaling" in section and "AVX-512" in section


@needs_valgrind
@pytest.mark.slow
def test_counted_ab_against_head_finds_nothing_slower(tmp_path) -> None:
    from bench.compare.ab import run_ab
    from bench.records.counts import read_counts

    options = ("--profile", "quick", "--impl", "fully_vectorized", "--m", "100,1000", "--n-x", "10")
    base, head = run_ab("HEAD", tmp_path, 2, options, announce=lambda text: None, command="counts", head_repeats=1)
    assert [path.name for path in base + head] == ["base-1", "base-2", "head-1"]
    comparison = compare_counts([read_counts(path) for path in base], [read_counts(path) for path in head])
    assert len(comparison) == 2 and set(comparison.verdict) == {"same"}
    assert (comparison.base_spread < 0.001).all()  # the same code counted twice: the same counts
