"""compare, check and selftest on synthetic runs: what they flag, and what they must not."""

import json

import numpy as np
import pytest

from bench.commands.main import main
from bench.compare.regress import check_invariants, compare_runs, implementation_verdicts
from bench.compare.selftest import selftest
from tests.synthetic import measured_case, run_of

SIZES = [(m, n_x) for m in (100, 300, 1000, 3000, 10_000) for n_x in (10, 100)]
IMPLS = ("double_loop", "fully_vectorized", "numba_fused")


def sweep(seed: int, spread: float = 0.02, slow: dict[str, float] | None = None, rounds: int = 15) -> dict:
    """A run of IMPLS over SIZES; `slow` multiplies an implementation's times."""
    slow = slow or {}
    return run_of(
        [
            measured_case(
                impl, m, n_x, 1e-8 * m * n_x * (k + 1) * slow.get(impl, 1.0), spread=spread, seed=seed, rounds=rounds
            )
            for k, impl in enumerate(IMPLS)
            for m, n_x in SIZES
        ]
    )


def write(tmp_path, name: str, run: dict):
    directory = tmp_path / name
    directory.mkdir()
    (directory / "benchmark.json").write_text(json.dumps(run))
    return directory


def verdicts(base: dict, head: dict) -> dict[str, str]:
    table = implementation_verdicts(compare_runs([base], [head]))
    return dict(zip(table.impl, table.verdict, strict=True))


def test_equal_runs_compare_clean() -> None:
    comparison = compare_runs([sweep(1)], [sweep(2)])
    assert set(comparison.verdict) == {"same"}
    assert set(verdicts(sweep(1), sweep(2)).values()) == {"same"}


def test_a_tight_slowdown_is_named_case_by_case_and_by_implementation() -> None:
    comparison = compare_runs([sweep(1)], [sweep(2, slow={"numba_fused": 1.5})])
    slower = comparison[comparison.verdict == "slower"]
    assert set(slower.impl) == {"numba_fused"} and len(slower) == len(SIZES)
    assert slower.ratio.between(1.4, 1.6).all()
    assert (slower.ratio_low <= slower.ratio).all() and (slower.ratio <= slower.ratio_high).all()
    assert verdicts(sweep(1), sweep(2, slow={"numba_fused": 1.5})) == {
        "double_loop": "same",
        "fully_vectorized": "same",
        "numba_fused": "slower",
    }


def test_the_boundary_is_halfway_to_the_threshold_on_a_log_scale() -> None:
    """A 1.25x slowdown must be caught as often as no change is cleared: the verdict flips at sqrt(1.25)."""
    assert verdicts(sweep(1), sweep(2, slow={"numba_fused": 1.15}))["numba_fused"] == "slower"
    assert verdicts(sweep(1), sweep(2, slow={"numba_fused": 1.08}))["numba_fused"] == "same"


def test_verdicts_are_per_thread_count() -> None:
    def threaded(seed: int, slow_threads: int | None) -> dict:
        return run_of(
            [
                measured_case(
                    "numba_fused",
                    m,
                    n_x,
                    1e-8 * m * n_x * (1.5 if threads == slow_threads else 1.0),
                    seed=seed,
                    threads=threads,
                )
                for threads in (1, 2)
                for m, n_x in SIZES
            ]
        )

    table = implementation_verdicts(compare_runs([threaded(1, None)], [threaded(2, slow_threads=2)]))
    assert dict(zip(table.threads, table.verdict, strict=True)) == {1: "same", 2: "slower"}


def test_a_speedup_is_not_a_regression() -> None:
    assert verdicts(sweep(1), sweep(2, slow={"double_loop": 0.5}))["double_loop"] == "faster"


def test_a_slowdown_drowned_in_noise_is_not_significant() -> None:
    base, head = sweep(1, spread=0.9, rounds=4), sweep(2, spread=0.9, slow={"numba_fused": 1.5}, rounds=4)
    comparison = compare_runs([base], [head])
    fused = comparison[comparison.impl == "numba_fused"]
    assert (fused.verdict != "slower").all()
    assert fused.note.str.contains("not significant|too few rounds").any()


def test_one_noisy_case_does_not_fail_an_implementation() -> None:
    head = sweep(2)
    head["benchmarks"][0]["stats"]["data"] = [x * 3 for x in head["benchmarks"][0]["stats"]["data"]]
    comparison = compare_runs([sweep(1)], [head])
    assert (comparison.verdict == "slower").sum() == 1
    assert verdicts(sweep(1), head)["double_loop"] == "same"


def test_runs_pooled_per_side_must_agree_run_by_run() -> None:
    # One of two head runs is slow: drift, not a regression, so the case is not "slower".
    comparison = compare_runs([sweep(1), sweep(3)], [sweep(2, slow={"numba_fused": 1.5}), sweep(4)])
    fused = comparison[comparison.impl == "numba_fused"]
    assert (fused.verdict == "same").all()
    assert (fused.note == "not consistent across passes").any()


def test_missing_cases_are_reported_not_crashed_on(tmp_path) -> None:
    base = sweep(1)
    head = sweep(2)
    head["benchmarks"] = [b for b in head["benchmarks"] if b["extra_info"]["impl"] != "numba_fused"]
    comparison = compare_runs([base], [head])
    assert set(comparison.loc[comparison.impl == "numba_fused", "verdict"]) == {"only in base"}
    code = main(["compare", str(write(tmp_path, "base", base)), str(write(tmp_path, "head", head))])
    assert code == 0


def test_compare_command_exit_codes_and_json(tmp_path, capsys) -> None:
    base = write(tmp_path, "base", sweep(1))
    same = write(tmp_path, "same", sweep(2))
    slow = write(tmp_path, "slow", sweep(2, slow={"numba_fused": 1.5}))
    assert main(["compare", str(base), str(same)]) == 0
    assert main(["compare", str(base), str(slow)]) == 1
    assert "REGRESSION numba_fused threads=1: 1.48x slower over 10 cases" in capsys.readouterr().err  # 2% noise
    assert main(["compare", str(base), f"{slow},{slow}", "--json"]) == 1
    output = json.loads(capsys.readouterr().out)
    assert [row["impl"] for row in output["implementations"] if row["verdict"] == "slower"] == ["numba_fused"]
    assert main(["compare", str(base), str(tmp_path / "nothing")]) == 2


def invariant_run(fully_over_double: float) -> dict:
    """Every implementation the invariants name, at their size, with fully_vectorized at the given ratio."""
    seconds = {"double_loop": 1.0, "features_vectorized": 0.3, "numba_loop": 0.02}
    seconds |= {"fully_vectorized": fully_over_double, "numba_fused": fully_over_double}
    return run_of([measured_case(impl, 10_000, 100, t, spread=0.0) for impl, t in seconds.items()])


def test_check_holds_breaks_and_reports_missing() -> None:
    fine = check_invariants(invariant_run(fully_over_double=1 / 300))
    assert set(fine.loc[fine.impl == "fully_vectorized", "status"]) == {"holds"}
    broken = check_invariants(invariant_run(fully_over_double=1 / 10))
    assert set(broken.loc[broken.impl == "fully_vectorized", "status"]) == {"broken"}
    empty = check_invariants(run_of([measured_case("double_loop", 7, 7, 1.0)]))
    assert set(empty.status) == {"not in run"}


def test_check_command_exit_codes(tmp_path) -> None:
    assert main(["check", str(write(tmp_path, "bad", invariant_run(1 / 10)))]) == 1
    assert main(["check", str(write(tmp_path, "none", run_of([measured_case("double_loop", 7, 7, 1.0)])))]) == 1
    assert main(["check", str(tmp_path / "missing")]) == 2


@pytest.mark.parametrize("n_runs", [1, 2, 4])
def test_selftest_counts_false_alarms_and_detections(n_runs: int) -> None:
    runs = [sweep(seed) for seed in range(n_runs)]
    false_alarms, detections = selftest(runs, trials=5, slowdowns=(1.05, 2.0))
    assert false_alarms == 0
    caught = detections.set_index(["slowdown", "impl", "threads"]).detected
    assert (caught.loc[2.0] == 5).all()  # 2x with 2% noise: always caught
    assert (caught.loc[1.05] == 0).all()  # well below sqrt(1.25) = 1.118: never flagged
    assert np.all(detections.other_impls_flagged == 0)
