"""Preparing a case without pytest: budget, memory guard, agreement, the size cache."""

import dataclasses

import numpy as np
import pytest

from bench.measure.case import NotMeasured
from bench.measure.facts import case_info, registry_facts
from bench.measure.plan import CaseSpec
from bench.measure.prepare import CasePreparer, unsafe_z
from bench.measure.problems import ALIGNMENT, PreparedSize, aligned_copy, cached_size, in_dtype, prepare_size
from impls import IMPLEMENTATIONS, Gradient, Implementation, relative_error, validate
from impls.core import AGREEMENT_RTOL, summand_scale


def preparer(tmp_path, first_pass: bool = True, budget_s: float = 10.0) -> CasePreparer:
    return CasePreparer(tmp_path / "cache", budget_s, calls=10, first_pass=first_pass)


def test_a_measurable_case_is_checked_and_gets_its_trial_members(tmp_path) -> None:
    prep = preparer(tmp_path)
    spec = CaseSpec("step", "numba_fused", 1, 64, 3)
    case = prep.step_case(spec)
    assert case.extra_info["agreement_error"] <= AGREEMENT_RTOL["float64"] and case.extra_info["compiled"] is True
    assert case.size.problem.X.shape == (3, 64)
    members = prep.members([case], prep.loops_to_pair(("double_loop",), 64, 3, "float64", limit_s=1.0))
    assert set(members) == {"numba_fused", "numba_fused again", "read", "double_loop"}
    assert members["read"].call() == pytest.approx(case.size.problem.X.sum())  # one read of X, all of it
    for name in ("numba_fused", "numba_fused again", "double_loop"):
        got = members[name].call()
        assert relative_error(got, case.size.reference, case.size.problem) < 1e-9 and members[name].estimate_s > 0


def test_a_loop_is_paired_only_where_a_call_is_predicted_within_the_limit(tmp_path) -> None:
    prep = preparer(tmp_path)
    small, large = CaseSpec("step", "fully_vectorized", 1, 64, 3), CaseSpec("step", "fully_vectorized", 1, 20_000, 1)
    prep.predictor.record("double_loop", 32, 3, 2.5)  # as if measured at 2.5 s a call: 5 s predicted at m = 64
    assert prep.loops_to_pair(["double_loop"], small.m, small.n_x, small.dtype, limit_s=1.0) == []
    # Unpredicted and too large to time once on trust (m * n_x > 1e4): left out, never timed to find out.
    assert prep.loops_to_pair(["double_loop"], large.m, large.n_x, large.dtype, limit_s=1.0) == []
    prep.predictor.record("double_loop", 10_000, 1, 1e-3)
    assert prep.loops_to_pair(["double_loop"], large.m, large.n_x, large.dtype, limit_s=1.0) == ["double_loop"]
    assert "double_loop" in prep.members([prep.step_case(large)], ["double_loop"])
    # A later pass knows the loop's own time at the size, over the limit: paired still, as pass 1 predicted it.
    prep.predictor.record("double_loop", large.m, large.n_x, 1.5)
    assert prep.loops_to_pair(["double_loop"], large.m, large.n_x, large.dtype, limit_s=1.0) == ["double_loop"]


def test_the_steps_of_one_size_share_one_set_of_members_and_a_loop_among_them_is_timed_once(tmp_path) -> None:
    prep = preparer(tmp_path)
    cases = [prep.step_case(CaseSpec("step", impl, 1, 64, 3)) for impl in ("double_loop", "fully_vectorized")]
    prep.predictor.record("double_loop", 32, 3, 2.5)  # 5 s a call predicted at m = 64
    prep.predictor.record("double_loop", 64, 3, 5.0)  # and measured
    paired = prep.loops_to_pair(("double_loop", "notes_double_loop"), 64, 3, "float64", limit_s=1.0)
    assert paired == ["notes_double_loop"]  # the careful loop is too slow to pair, step of the size or not
    members = prep.members(cases, ("notes_double_loop",))
    # The careful loop once, as a step (no copy: a copy is for steps under 20 ms); the notes' loop as a loop.
    assert set(members) == {"double_loop", "fully_vectorized", "fully_vectorized again", "read", "notes_double_loop"}
    assert members["double_loop"].estimate_s == 5.0  # its prediction, not a second call to probe it


def test_over_budget_is_extrapolated_with_the_prediction(tmp_path) -> None:
    prep = preparer(tmp_path, budget_s=1.0)
    prep.predictor.record("double_loop", 100, 10, 0.01)
    with pytest.raises(NotMeasured) as raised:
        prep.step_case(CaseSpec("step", "double_loop", 1, 2000, 10))  # 0.2 s x 10 calls > 1 s
    assert raised.value.status == "extrapolated"
    assert raised.value.extra["predicted_s"] == pytest.approx(0.2)
    assert "0.2 s per call x 10 calls > budget 1 s" in raised.value.reason
    assert not (tmp_path / "cache").exists()  # decided before any data was made


def test_later_passes_do_not_re_decide_the_budget(tmp_path) -> None:
    prep = preparer(tmp_path, first_pass=False, budget_s=1e-9)
    prep.predictor.record("double_loop", 10, 2, 1.0)
    case = prep.step_case(CaseSpec("step", "double_loop", 1, 20, 2))
    assert "agreement_error" not in case.extra_info  # checked in pass 1, on the same data


def test_a_size_that_cannot_fit_is_refused_before_allocating(tmp_path) -> None:
    with pytest.raises(NotMeasured) as raised:
        preparer(tmp_path).step_case(CaseSpec("step", "fully_vectorized", 1, 10**9, 2000))
    assert raised.value.status == "refused"
    assert "needs about 32.1 TB (X is 16 TB)" in raised.value.reason


def test_a_disagreeing_implementation_is_not_timed(tmp_path, monkeypatch) -> None:
    def off_by_a_little(X, Y, w, b):  # type: ignore[no-untyped-def]
        dw, db, cost = IMPLEMENTATIONS["fully_vectorized"].step(X, Y, w, b)
        return Gradient(dw, db, cost * (1 + 1e-6))  # the cost is compared directly: error 1e-6

    broken = Implementation("off_by_a_little", "off", "wrong on purpose", 2, off_by_a_little)
    monkeypatch.setitem(IMPLEMENTATIONS, broken.name, broken)
    with pytest.raises(NotMeasured) as raised:
        preparer(tmp_path).step_case(CaseSpec("step", broken.name, 1, 50, 4))
    assert raised.value.status == "disagrees"
    assert raised.value.reason.startswith("disagrees with fully_vectorized: relative error 1e-06 > 1e-09")
    assert raised.value.extra["agreement_error"] == pytest.approx(1e-6, rel=1e-3)


@pytest.mark.parametrize("impl", ["notes_double_loop", "notes_features_vectorized", "notes_fully_vectorized"])
def test_the_notes_code_as_written_agrees_on_the_sweeps_data(tmp_path, impl: str) -> None:
    case = preparer(tmp_path).step_case(CaseSpec("step", impl, 1, 300, 10))
    assert case.extra_info["agreement_error"] <= AGREEMENT_RTOL["float64"]


def test_naive_code_is_refused_data_beyond_its_safe_range(tmp_path) -> None:
    notes, careful = IMPLEMENTATIONS["notes_double_loop"], IMPLEMENTATIONS["double_loop"]
    at_20 = validate([[1.0, -1.0]], [[1.0, 0.0]], [[20.0]], 0.0)  # z = 20 and -20
    reason = "|z| reaches 20 here, beyond notes_double_loop's safe range |z| <= 15 (naive math)"
    assert unsafe_z(notes, at_20) == reason
    assert unsafe_z(careful, at_20) is None
    assert unsafe_z(notes, validate([[1.0, -1.0]], [[1.0, 0.0]], [[14.9]], 0.0)) is None
    prep = preparer(tmp_path)
    prep.size = lambda m, n_x, dtype: PreparedSize(m, n_x, at_20, careful.step(*at_20))  # type: ignore[method-assign]
    with pytest.raises(NotMeasured) as raised:
        prep.step_case(CaseSpec("step", notes.name, 1, 2, 1))
    assert (raised.value.status, raised.value.reason) == ("refused", reason)
    assert prep.step_case(CaseSpec("step", careful.name, 1, 2, 1)).extra_info["agreement_error"] == 0.0


def test_the_size_cache_gives_back_the_same_arrays_and_reference(tmp_path) -> None:
    built = cached_size(30, 4, tmp_path)
    assert (tmp_path / "m=30-n_x=4" / "X.npy").exists()
    loaded = cached_size(30, 4, tmp_path)
    fresh = prepare_size(30, 4)
    for got in (built, loaded):
        np.testing.assert_array_equal(got.problem.X, fresh.problem.X)
        np.testing.assert_array_equal(got.reference.dw, fresh.reference.dw)
        assert got.problem.b == fresh.problem.b and got.reference.cost == fresh.reference.cost
        assert got.scale == summand_scale(fresh.problem) > 0  # the agreement check's scale, computed once a run
    narrow = cached_size(30, 4, tmp_path, "float32")
    assert narrow.scale == summand_scale(narrow.problem) != loaded.scale  # of the float32 problem itself
    assert loaded.problem.X.flags.c_contiguous and loaded.problem.X.flags.writeable  # copy-on-write: a step may write
    for got in (built, loaded):  # the first worker reads the cache too: every step reads X laid out alike
        assert all(array.ctypes.data % ALIGNMENT == 0 for array in (*got.problem[:3], got.reference.dw))


def test_a_mapped_size_is_copy_on_write_a_step_writing_it_never_changes_the_cache(tmp_path) -> None:
    first = cached_size(30, 4, tmp_path).problem.X
    first[0, 0] = 12345.0  # in this process's copy of the page only
    again = cached_size(30, 4, tmp_path).problem.X
    assert again[0, 0] != 12345.0 and first[0, 0] == 12345.0
    np.testing.assert_array_equal(again, prepare_size(30, 4).problem.X)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_summand_scale_by_blocks_of_examples_is_the_scale_of_all_of_them(monkeypatch, dtype) -> None:
    from impls import core

    problem = in_dtype(prepare_size(1_000, 7).problem, dtype)
    X, Y, w, b = problem
    abs_dZ = np.abs(core.dz_and_loss(w.T @ X + b, Y)[0])
    whole = max(float(np.max(np.abs(X) @ abs_dZ.T)), float(abs_dZ.sum())) / X.shape[1]
    monkeypatch.setattr(core, "SCALE_BLOCK_ELEMENTS", 7 * 64 + 3)  # 64 examples a block, the last one shorter
    assert summand_scale(problem) == pytest.approx(whole, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_aligned_copy_starts_at_a_cache_line_and_holds_the_same_values(dtype) -> None:
    for shape in ((1, 1), (3, 5), (7, 1001)):
        array = np.arange(np.prod(shape), dtype=dtype).reshape(shape)[:, ::-1]  # not contiguous either
        copy = aligned_copy(array)
        assert copy.ctypes.data % ALIGNMENT == 0 and copy.flags.c_contiguous and copy.flags.writeable
        assert copy.dtype == dtype and copy.shape == shape
        np.testing.assert_array_equal(copy, array)


def test_a_call_predicted_slow_is_timed_in_fixed_rounds(tmp_path) -> None:
    prep = CasePreparer(tmp_path / "cache", budget_s=100.0, calls=10, first_pass=False, slow_call_s=0.05)
    prep.predictor.record("double_loop", 20, 2, 0.01)
    assert prep.check_budget(CaseSpec("step", "double_loop", 1, 40, 2)) is False  # predicted 0.02 s
    assert prep.check_budget(CaseSpec("step", "double_loop", 1, 200, 2)) is True  # predicted 0.1 s
    assert prep.check_budget(CaseSpec("train", "double_loop", 1, 20, 2), repeat=10) is True  # 10 steps
    assert prep.check_budget(CaseSpec("step", "numba_loop", 1, 20, 2)) is False  # nothing to predict from


def off_by(relative: float) -> Implementation:
    """fully_vectorized with its cost off by `relative` (compared directly: that is its relative error)."""

    def step(X, Y, w, b):  # type: ignore[no-untyped-def]
        dw, db, cost = IMPLEMENTATIONS["fully_vectorized"].step(X, Y, w, b)
        return Gradient(dw, db, cost * (1 + relative))

    return Implementation(f"off_by_{relative:g}", "off", "wrong on purpose", 2, step)


def test_a_float32_case_is_float32_data_checked_against_the_float64_result(tmp_path, monkeypatch) -> None:
    slightly_off = off_by(1e-6)  # within float32's tolerance, far outside float64's
    monkeypatch.setitem(IMPLEMENTATIONS, slightly_off.name, slightly_off)
    case = preparer(tmp_path).step_case(CaseSpec("step", slightly_off.name, 1, 64, 3, "float32"))
    X = case.arguments[0]
    assert X.dtype == np.float32 and case.size.reference.dw.dtype == np.float64
    assert case.extra_info["agreement_error"] == pytest.approx(1e-6, rel=0.1)
    assert case.extra_info["result_dtype"] == "float32"
    np.testing.assert_array_equal(X, prepare_size(64, 3).problem.X.astype(np.float32))
    with pytest.raises(NotMeasured, match=r"relative error 1e-06 > 1e-09$"):
        preparer(tmp_path).step_case(CaseSpec("step", slightly_off.name, 1, 64, 3))


def test_a_float32_case_beyond_its_tolerance_disagrees(tmp_path, monkeypatch) -> None:
    broken = off_by(1e-3)
    monkeypatch.setitem(IMPLEMENTATIONS, broken.name, broken)
    with pytest.raises(NotMeasured) as raised:
        preparer(tmp_path).step_case(CaseSpec("step", broken.name, 1, 64, 3, "float32"))
    assert raised.value.status == "disagrees"
    assert raised.value.reason == (
        "disagrees with fully_vectorized: relative error 0.001 > 0.0001 (float32, against the float64 result)"
    )


def test_float32_records_half_the_bytes_of_x() -> None:
    facts = registry_facts(["fully_vectorized"])["fully_vectorized"]
    assert case_info(CaseSpec("step", "fully_vectorized", 1, 1000, 10, "float32"), facts, 5)["bytes_x"] == 4 * 1000 * 10
    assert case_info(CaseSpec("step", "fully_vectorized", 1, 1000, 10), facts, 5)["bytes_x"] == 8 * 1000 * 10


def counting(compiled: bool) -> tuple[Implementation, list[int]]:
    calls: list[int] = []

    def step(X, Y, w, b):  # type: ignore[no-untyped-def]
        calls.append(1)
        return IMPLEMENTATIONS["fully_vectorized"].step(X, Y, w, b)

    return Implementation(f"counting_{compiled}", "c", "counts its calls", 2, step, compiled=compiled), calls


@pytest.mark.parametrize("compiled", [True, False])
def test_a_compiled_step_is_called_once_untimed_in_every_pass(tmp_path, monkeypatch, compiled: bool) -> None:
    impl, calls = counting(compiled)
    monkeypatch.setitem(IMPLEMENTATIONS, impl.name, impl)
    preparer(tmp_path, first_pass=False).step_case(CaseSpec("step", impl.name, 1, 30, 2, "float32"))
    assert len(calls) == (1 if compiled else 0)  # numba compiles per dtype, XLA per shape: not in the timing


def test_preparation_gives_the_step_its_arguments(tmp_path, monkeypatch) -> None:
    impl, _ = counting(False)
    moved = dataclasses.replace(impl, prepare=lambda problem: (*problem[:3], problem.b + 1.0))
    monkeypatch.setitem(IMPLEMENTATIONS, moved.name, moved)
    case = preparer(tmp_path, first_pass=False).step_case(CaseSpec("step", moved.name, 1, 30, 2))
    assert case.arguments[3] == case.size.problem.b + 1.0


def test_a_float32_size_is_cached_beside_its_float64_source(tmp_path) -> None:
    built = cached_size(30, 4, tmp_path, "float32")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m=30-n_x=4", "m=30-n_x=4-dtype=float32"]
    loaded = cached_size(30, 4, tmp_path, "float32")
    wide = cached_size(30, 4, tmp_path)
    for got in (built, loaded):
        assert got.dtype == "float32" and got.problem.w.dtype == got.problem.Y.dtype == np.float32
        np.testing.assert_array_equal(got.problem.X, wide.problem.X.astype(np.float32))
        np.testing.assert_array_equal(got.reference.dw, wide.reference.dw)  # the float64 reference
