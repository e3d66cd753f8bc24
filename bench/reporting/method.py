"""The report's first lines: what was run, how it was measured, on which machine."""

from typing import Any

import pandas as pd

from bench.records import results
from bench.records.schema import READ_MEMBER
from bench.reporting.format import threads_text


def _pass_count(run: dict[str, Any], table: pd.DataFrame) -> int:
    measured = table.passes[table.status == "measured"]
    return int(run.get("run", {}).get("passes") or (measured.max() if len(measured) else 0))


def _how_measured(run: dict[str, Any], table: pd.DataFrame) -> str:
    """The summary's line on how times and intervals were computed, true to the run's format."""
    passes = _pass_count(run, table)
    if any("trials" in p for case in run.get("benchmarks", []) for p in case["extra_info"].get("passes", [])):
        return _how_paired(run, passes)
    if results.is_legacy(run):
        return (
            "- how times are computed: this run was written before isolated workers and passes (issue 9): "
            "every implementation ran in one process as installed, each case in a single pass, and its time is "
            "the median of its pytest-benchmark rounds. **With one pass there are no intervals, so every "
            "claim's verdict is undecided**: measure again to decide. "
            "`~` marks a value extrapolated from smaller sizes, never timed."
        )
    text = (
        "- how times are computed: each implementation runs in its own worker process with fixed thread counts "
        "(1 thread; parallel implementations also with all cores), set before its libraries load. "
        f"Each case is measured in R = {passes} interleaved passes; its time is the median over the R passes of "
        "the per-pass medians of pytest-benchmark rounds (garbage collector off, compilation outside the timing). "
        "95% intervals come from the paired passes (pass p of every implementation is measured close in time): "
        "a t-interval on the log ratios of pass medians. `~` marks a value extrapolated from smaller sizes, "
        "never timed."
    )
    if passes < 2:
        text += " **With one pass there are no intervals, so every claim's verdict is undecided.**"
    return text


def _timed_by_size(run: dict[str, Any]) -> bool:
    """Whether a worker timed the steps of a size in one set of trials (the read of X, timed in every trial where
    X is held, has the same times in the records of the size's steps), as runs since issue 21's joint trials do;
    before, each step had trials of its own."""
    seen = set()
    for case in run.get("benchmarks", []):
        info = case["extra_info"]
        for summary in info.get("passes", []):
            read = (summary.get("trials") or {}).get(READ_MEMBER)
            if read:
                size = (info.get("threads"), info.get("m"), info.get("n_x"), info.get("dtype"))
                key = (*size, summary["pass"], tuple(read))
                if key in seen:
                    return True
                seen.add(key)
    return False


def _how_paired(run: dict[str, Any], passes: int) -> str:
    """The method of a run timed in paired trials (issue 21), and its intervals."""
    settings = run.get("run", {}).get("grid", {})
    most = settings.get("most_passes") or passes
    if _timed_by_size(run):
        trials = (
            "In each process the steps of a size are timed together in randomized interleaved trials (Abedi & "
            "Brecht, ICPE 2017), beside the loops their speedups divide them by, a streaming read of X and, under "
            "20 ms, a second copy of each: each trial times every member once, in a fresh random order (a loop "
            "once for all the steps paired with it), as the mean of calls filling about 1 ms, or a quarter of "
            "the longest member's call up to 50 ms"
        )
    else:
        trials = (
            "In each process a step is timed in randomized interleaved trials (Abedi & Brecht, ICPE 2017) beside "
            "the loop its speedups divide it by, a streaming read of X and, under 20 ms, a second copy of itself: "
            "each trial times every member once, in a fresh random order, as the mean of calls filling about 1 ms"
        )
    return (
        "- how times are computed: every case runs in worker processes, one at a time, with fixed thread counts "
        "(1 thread; parallel implementations also with all cores), set before the libraries load, and never "
        f"two libraries' thread pools side by side. {trials} "
        "(after one untimed call for members under 20 ms, so that what the member before evicted from the "
        "caches is not charged to it). A slow spell of the machine or of a process then lands on both sides of "
        "a ratio. A case's time is the median over processes of its trials' median. A speedup is the mean over "
        "P processes of each process's median log ratio, its 95% interval two-level (Kalibera & Jones, ISMM "
        "2013): a t-interval over the P process medians (P - 1 degrees of freedom), which holds the noise "
        "between processes as well as within one, since trials of one process share its state and are not "
        f"independent samples. Every case is measured in {passes} processes; one whose speedups are not yet "
        f"settled (a claim undecided, or an interval wider than 1.25x) in up to {most}, as the run's time "
        "allows. A speedup over the loop a step was not timed beside is chained through the other loop and "
        "the loop form (two paired ratios, errors combined); one over a loop too slow to pair comes from the "
        "pass medians, minutes apart (`pairing` in speedups.csv says which). "
        "`~` marks a value extrapolated from smaller sizes, never timed."
    )


def pairing_check(check: pd.DataFrame) -> str:
    """The line that shows pairing adds no bias: each step against a second copy of itself, in the same trials."""
    measured = check.dropna(subset=["low", "high"])
    if measured.empty:
        return ""
    covers = ((measured.low <= 1) & (measured.high >= 1)).mean()
    return (
        f"- check of the pairing: each step under 20 ms against a second copy of itself in the same trials: "
        f"median {measured.ratio.median():.3f}x (from {measured.ratio.min():.3g}x to {measured.ratio.max():.3g}x), "
        f"its 95% interval covering 1 in **{covers:.0%}** of {len(measured)} cases (95% expected)"
    )


def summary_lines(run: dict[str, Any], table: pd.DataFrame) -> str:
    """The report's first lines: when and with which profile, the commit, how to regenerate it, how it was measured."""
    settings = run.get("run", {})
    commit = run.get("commit_info", {})
    dirty = " (with uncommitted changes)" if commit.get("dirty") else ""
    lines = [
        f"- run: {run.get('datetime', 'unknown time')}, profile `{settings.get('profile', '?')}`",
        f"- commit: `{commit.get('id', 'unknown')}`{dirty}",
        f"- regenerate: `{settings.get('command') or _profile_command(settings)}`; "
        "rebuild this report from the JSON: `python -m bench report DIR`",
        _how_measured(run, table),
    ]
    if settings.get("interrupted"):
        lines.append("- **this sweep was interrupted**: the report shows the cases it finished")
    return "\n".join(lines)


def _profile_command(settings: dict[str, Any]) -> str:
    """The command of a run that did not record its own (made before it did): its profile's."""
    return f"python -m bench run --profile {settings.get('profile', 'default')} --output DIR"


def _pools(pools: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{p.get('internal_api')} {p.get('version') or ''} ({p.get('prefix') or p.get('user_api')}, "
        f"{threads_text(p.get('num_threads'))})"
        for p in pools
    )


def environment_table(machine: dict[str, Any]) -> str:
    """The machine, its libraries and thread pools, as a markdown table."""
    cpu = machine.get("cpu", {})
    packages = machine.get("packages", {})
    env = ", ".join(f"{k}={v}" for k, v in machine.get("environment", {}).items()) or "none set"
    ram = machine.get("ram_bytes")
    rows = [
        (
            "CPU",
            f"{cpu.get('brand_raw', machine.get('machine', '?'))}, {machine.get('logical_cores', '?')} logical cores",
        ),
        ("memory", f"{ram / 2**30:.1f} GiB" if ram else "?"),
        ("Python", machine.get("python_version", "?")),
        ("packages", ", ".join(f"{k} {v}" for k, v in packages.items() if v)),
    ]
    settings = machine.get("thread_settings", {})
    # Since issue 9 each worker reads its pools back (threadpoolctl, numba) per thread setting; the machine's
    # own threadpools and numba_threads are then those of whichever worker reported the machine: not shown.
    for threads, read_back in sorted(settings.items(), key=lambda item: int(item[0])):
        pools = _pools(read_back.get("threadpools", [])) or "none loaded"
        numba = read_back.get("numba_threads", "?")
        xla = f"; XLA (JAX) {threads_text(read_back['xla_threads'])}" if "xla_threads" in read_back else ""
        rows.append(
            (
                f"workers with {threads_text(int(threads))}: pools read back",
                f"{pools}; numba {threads_text(numba)}{xla}",
            )
        )
    if settings:
        rows.append(("numba threading layer", str(machine.get("numba_threading_layer", "?"))))
    else:
        rows.append(("BLAS and OpenMP thread pools", _pools(machine.get("threadpools", [])) or "?"))
        rows.append(
            ("numba threads", f"{machine.get('numba_threads', '?')} ({machine.get('numba_threading_layer', '?')})")
        )
    rows.append(("OPENBLAS_*, OMP_*, MKL_*, NUMBA_* environment", env))
    return pd.DataFrame(rows, columns=["what", "value"]).to_markdown(index=False)
