"""`reproduce`: how far two synthetic runs agree, and when a changed verdict fails it."""

import json
import re

import numpy as np
import pytest

from bench.commands.main import main
from bench.compare.reproduce import reproduce
from tests.synthetic import measured_case, old_format, run_of, train_case

SIZES = [(100, 10), (1000, 10), (100, 100)]


def sweep(seed: int, fully_speedup: float = 280.0, pass_spread: float = 0.01, threads: tuple = (1, 2)) -> dict:
    """double_loop, features_vectorized (12x) and fully_vectorized at `threads` (1.5x faster with 2), plus training."""
    cases = []
    for m, n_x in SIZES:
        base = 1e-7 * m * n_x
        cases += [
            measured_case("double_loop", m, n_x, base, seed=seed, pass_spread=pass_spread),
            measured_case("features_vectorized", m, n_x, base / 12, seed=seed, pass_spread=pass_spread),
        ]
        cases += [
            measured_case(
                "fully_vectorized",
                m,
                n_x,
                base / fully_speedup / (1.5 if t == 2 else 1.0),
                seed=seed,
                threads=t,
                pass_spread=pass_spread,
            )
            for t in threads
        ]
    cases += [train_case("double_loop", 0.5, [0.7, 0.6]), train_case("fully_vectorized", 0.002, [0.7, 0.6])]
    return run_of(cases)


def write(tmp_path, name: str, run: dict):
    directory = tmp_path / name
    directory.mkdir()
    (directory / "benchmark.json").write_text(json.dumps(run))
    return directory


def test_two_honest_runs_agree() -> None:
    comparison, agreement = reproduce(sweep(1), sweep(2))
    # 3 sizes x (features, fully 1 thread, fully 2 threads) + fully_vectorized's training run
    assert agreement.cells == len(comparison) == 10
    assert (agreement.only_in_a, agreement.only_in_b) == (0, 0)
    # 95% intervals from 3 passes each: two honest runs overlap in most cells, not necessarily in all.
    assert agreement.with_intervals == 10 and agreement.overlap_share >= 0.8
    assert agreement.flipped == []
    assert 1.0 <= agreement.drift_median <= agreement.drift_p90 < 1.2
    assert set(comparison.kind) == {"step", "train"} and "double_loop" not in set(comparison.impl)


def test_drift_is_the_larger_ratio_either_way() -> None:
    comparison, _ = reproduce(sweep(1, pass_spread=0.0), sweep(1, fully_speedup=140.0, pass_spread=0.0))
    fully = comparison[(comparison.impl == "fully_vectorized") & (comparison.kind == "step")]
    assert fully.drift.to_numpy() == pytest.approx(np.full(6, 2.0), rel=0.05)
    features = comparison[comparison.impl == "features_vectorized"]
    assert features.drift.to_numpy() == pytest.approx(np.ones(3), rel=0.05)


def test_a_flipped_verdict_is_named() -> None:
    # 280x holds (150x..600x); 1000x is exceeded at every size: decided in both runs, differently.
    comparison, agreement = reproduce(sweep(1), sweep(2, fully_speedup=1000.0))
    flipped = comparison[comparison.flipped]
    assert set(flipped.impl) == {"fully_vectorized"} and len(flipped) == 6
    assert set(zip(flipped.verdict_a, flipped.verdict_b)) == {("holds", "exceeded")}
    assert "fully_vectorized threads=1 m=100 n_x=10 (step): holds -> exceeded" in agreement.flipped
    assert agreement.overlap_share < 1.0


def test_undecided_against_decided_is_not_a_flip() -> None:
    # One pass: no interval, so every verdict of the old run is undecided.
    old = old_format(sweep(1, threads=(1,)), numba_threads=1)
    comparison, agreement = reproduce(old, sweep(2, fully_speedup=1000.0))
    assert set(comparison.verdict_a) == {"undecided", ""}
    assert agreement.flipped == [] and agreement.with_intervals == 0 and np.isnan(agreement.overlap_share)
    assert agreement.only_in_b == 3  # fully_vectorized with 2 threads: not in the old run


def test_reproduce_command_exit_codes_and_json(tmp_path, capsys) -> None:
    a, b = write(tmp_path, "a", sweep(1)), write(tmp_path, "b", sweep(2))
    flipped = write(tmp_path, "flipped", sweep(2, fully_speedup=1000.0))
    assert main(["reproduce", str(a), str(b)]) == 0
    err = capsys.readouterr().err
    assert re.search(r"10 cells in both runs .*; 95% intervals overlap: \d+% of 10", err)
    assert "VERDICT CHANGED" not in err and "no verdict decided in both runs changed" in err
    assert main(["reproduce", str(a), str(flipped)]) == 1
    assert (
        "VERDICT CHANGED fully_vectorized threads=2 m=1000 n_x=10 (step): holds -> exceeded" in capsys.readouterr().err
    )
    assert main(["reproduce", str(a), str(flipped), "--json"]) == 1
    output = json.loads(capsys.readouterr().out)
    assert len(output["summary"]["flipped"]) == 6 and len(output["cells"]) == 10
    assert main(["reproduce", str(a), str(tmp_path / "missing")]) == 2
