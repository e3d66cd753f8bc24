"""A run's report: results.csv, speedups.csv, PNG charts and report.md, all rebuilt from its JSON.

The analysis is computed once (`analyse_run`) and handed down: tables render
its frames, plot functions draw them, nothing here measures.
"""

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display needed, none assumed

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

from bench.analysis import explain
from bench.analysis.analyse import Analysis, analyse
from bench.analysis.claims import ALL_CORES, BASELINE, BASELINES, NOTES_BASELINE, ONE_THREAD, SETTING_TITLES, SETTINGS
from bench.analysis.model import LEVELS, Caches, coefficient_table
from bench.analysis.ratios import COMPARISONS, summarize_by_range
from bench.analysis.speedups import by_setting, claims_against
from bench.records import results
from bench.records.schema import CASE, NARROW, WIDE, dtypes_in
from bench.reporting import dask_section, model_plots, plots
from bench.text import human_bytes, number_text

REPORT_NAME = "report.md"
SPEEDUPS_CSV_NAME = "speedups.csv"
SPEEDUPS_CSV_COLUMNS = [
    "baseline",  # the loop the speedup is over: double_loop (careful) or notes_double_loop (as written)
    "kind",  # "step" or "train": a training run's m and n_x are its own
    "impl",
    "m",
    "n_x",
    "threads",
    "dtype",
    "setting",
    "speedup",
    "speedup_low",
    "speedup_high",
    "extrapolated",
    "verdict",
]
CHARTS = {
    "time": "time_vs_m.png",
    "speedup": "speedup_vs_m.png",
    "heatmap_1_thread": "speedup_heatmap_1_thread.png",
    "heatmap": "speedup_heatmap.png",  # as installed (all cores)
    "heatmap_notes_1_thread": "speedup_heatmap_notes_1_thread.png",  # over the notes' loop as written
    "heatmap_notes": "speedup_heatmap_notes.png",
    "per_element": "time_per_element.png",
    "bandwidth": "bandwidth.png",
    "dtype_ratio": "float32_vs_float64.png",
    "training": "training.png",
}
HEATMAPS = {  # (baseline, setting) -> chart
    (BASELINE, ONE_THREAD): "heatmap_1_thread",
    (BASELINE, ALL_CORES): "heatmap",
    (NOTES_BASELINE, ONE_THREAD): "heatmap_notes_1_thread",
    (NOTES_BASELINE, ALL_CORES): "heatmap_notes",
}


def analyse_run(run: dict[str, Any]) -> Analysis:
    """The analysis of one loaded run, computed once."""
    caches = Caches.from_machine_info(run.get("machine_info", {}))
    return analyse(results.tidy(run), results.pass_times(run), caches)


def build_report(run_dir: Path) -> Path:
    """Write results.csv, speedups.csv, the charts and report.md into `run_dir`; returns report.md's path."""
    run = results.load_run(run_dir)
    return write_report(run_dir, run, analyse_run(run))


def write_report(run_dir: Path, run: dict[str, Any], found: Analysis) -> Path:
    """Write the report of `run`, whose analysis is `found`, into `run_dir`; returns report.md's path."""
    run_dir = Path(run_dir)
    found.results.to_csv(run_dir / results.CSV_NAME, index=False)
    found.speedups.reindex(columns=SPEEDUPS_CSV_COLUMNS).to_csv(run_dir / SPEEDUPS_CSV_NAME, index=False)
    charts = write_charts(found, results.training_costs(run), run_dir)
    path = run_dir / REPORT_NAME
    path.write_text(render_markdown(run, found, charts), encoding="utf-8")
    return path


# --- charts ---


def _settings_in(frame: pd.DataFrame) -> list[str]:
    return [s for s in SETTINGS if (frame.setting == s).any()]


def _setting_title(setting: str, rows: pd.DataFrame) -> str:
    """E.g. "as installed (all cores: 2 threads)": the thread count read from the rows themselves."""
    most = int(rows.threads.max()) if len(rows) else 1
    if setting == ALL_CORES and most > 1:
        return f"as installed (all cores: {most} threads)"
    return SETTING_TITLES[setting]


def _save(figure: plt.Figure, path: Path, legend: list[Any] | None = None) -> None:
    if legend:
        figure.legend(handles=legend, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9, frameon=False)
    figure.tight_layout()
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)


Draw = Callable[[pd.DataFrame, Sequence[Axes], Sequence[int], plots.Styles], Sequence[Axes]]


def _chart_by_setting(
    path: Path, title: str, frame: pd.DataFrame, draw: Draw, styles: plots.Styles, legend: list[Any]
) -> None:
    """One row of panels per setting ("1 thread" on top), one panel per n_x, a shared y axis."""
    settings = _settings_in(frame)
    n_xs = sorted(frame.n_x.unique())
    figure, grid = plt.subplots(
        len(settings), len(n_xs), figsize=(4.6 * len(n_xs) + 1.5, 4.4 * len(settings)), sharey=True, squeeze=False
    )
    figure.suptitle(title, fontsize=13)
    for axes, setting in zip(grid, settings, strict=True):
        rows = frame[frame.setting == setting]
        draw(rows, list(axes), n_xs, styles)
        axes[0].set_ylabel(f"{_setting_title(setting, rows)}\n\n{axes[0].get_ylabel()}")
    _save(figure, path, legend)


def write_charts(found: Analysis, costs: pd.DataFrame, run_dir: Path) -> dict[str, str]:
    """Draw every chart the data allows; returns {chart: file name} of those written."""
    written: dict[str, str] = {}
    timed = found.steps
    if timed.empty:
        return written
    styles = plots.Styles.of(found.results)
    impls = styles.order(timed)

    _chart_by_setting(
        run_dir / CHARTS["time"],
        "Time per gradient step (lower is better)",
        timed,
        plots.plot_time_vs_m,
        styles,
        styles.handles(impls, dtypes_in(timed)),
    )
    written["time"] = CHARTS["time"]

    # The notes' claims are about float64 numpy: speedup charts are float64's (report.md has every dtype's verdict).
    step_pairs = found.speedups[(found.speedups.kind == "step") & (found.speedups.dtype == WIDE)]
    pairs = step_pairs[(step_pairs.baseline == BASELINE) & (step_pairs.impl != BASELINE)]
    if not pairs.empty:
        handles = styles.handles([i for i in impls if i != BASELINE])
        handles += [plt.Line2D([], [], color=c, linestyle=":", label=t) for c, t in plots.CLAIM_STYLE.values()]
        handles.append(plt.Line2D([], [], color="grey", linewidth=2, alpha=0.6, label="95% interval (paired passes)"))
        _chart_by_setting(
            run_dir / CHARTS["speedup"],
            "Speedup over the careful loop, double_loop (higher is better)",
            pairs,
            plots.plot_speedup_vs_m,
            styles,
            handles,
        )
        written["speedup"] = CHARTS["speedup"]
    written |= _write_heatmaps(found, run_dir)
    written |= _write_per_element(found, run_dir, styles)

    if not found.read_limit.empty:
        handles = styles.handles(impls, dtypes_in(found.read_limit))
        handles.append(plt.Line2D([], [], color="black", linestyle="--", linewidth=2, label="fastest read of X"))
        _chart_by_setting(
            run_dir / CHARTS["bandwidth"],
            "Achieved bandwidth: GB of X (as stored: float32 is half) per second of gradient step",
            found.read_limit,
            plots.plot_bandwidth,
            styles,
            handles,
        )
        written["bandwidth"] = CHARTS["bandwidth"]

    ratios = by_setting(found.dtype_ratios)
    if not ratios.empty:
        handles = styles.handles(styles.order(ratios), extrapolated=False)
        handles.append(plt.Line2D([], [], color="black", linestyle=":", label="half the time: half the bytes of X"))
        _chart_by_setting(
            run_dir / CHARTS["dtype_ratio"],
            "float32 time / float64 time per gradient step (lower: float32 gains more)",
            ratios,
            plots.plot_dtype_ratio,
            styles,
            handles,
        )
        written["dtype_ratio"] = CHARTS["dtype_ratio"]

    training = found.results[found.results.kind == "train"]
    if not training.empty:
        figure, axes = plt.subplots(1, 2, figsize=(13, 4.6))
        first = training.iloc[0]
        iterations = f"{costs.iteration.max() + 1} iterations of " if not costs.empty else ""
        figure.suptitle(f"Training: train() for {iterations}m = {first.m}, n_x = {first.n_x}", fontsize=13)
        plots.plot_training(training, costs, axes, styles)
        _save(figure, run_dir / CHARTS["training"])
        written["training"] = CHARTS["training"]
    return written


def _write_heatmaps(found: Analysis, run_dir: Path) -> dict[str, str]:
    """Per baseline and setting, a map of each of its claims: the verdict per measured cell, the models' edges."""
    step_pairs = found.speedups[(found.speedups.kind == "step") & (found.speedups.dtype == WIDE)]
    written = {}
    for (baseline, setting), key in HEATMAPS.items():
        pairs = step_pairs[(step_pairs.baseline == baseline) & (step_pairs.setting == setting)]
        claims = [claim for claim in claims_against(baseline) if (pairs.impl == claim.impl).any()]
        if not claims:
            continue
        figure, axes = plt.subplots(
            1, len(claims), figsize=(5.6 * len(claims), 4.4), squeeze=False, layout="constrained"
        )
        for ax, claim in zip(axes[0], claims, strict=True):
            explained = found.explanations.get((baseline, claim.impl, setting)) or found.explanations.get(
                (baseline, claim.impl, ONE_THREAD)  # a single-threaded implementation runs the same with all cores
            )
            model_plots.plot_claim_map(
                pairs[pairs.impl == claim.impl], claim, ax, explained.grid if explained else None
            )
        figure.suptitle(
            f"Where the notes' claims hold: speedup over {_baseline_title(baseline)}, {_setting_title(setting, pairs)}"
            "\ncell: verdict from its measured 95% interval (~ = extrapolated); lines: the claim's band "
            "according to the cost models",
            fontsize=11,
        )
        figure.legend(handles=model_plots.verdict_legend(), loc="outside right center", fontsize=9, frameon=False)
        figure.savefig(run_dir / CHARTS[key], dpi=110, bbox_inches="tight")
        plt.close(figure)
        written[key] = CHARTS[key]
    return {key: written[key] for key in CHARTS if key in written}  # 1 thread first, as everywhere


def _baseline_title(impl: str) -> str:
    """E.g. "the careful loop (double_loop)"."""
    return next(f"{b.title} ({b.impl})" for b in BASELINES if b.impl == impl)


def _write_per_element(found: Analysis, run_dir: Path, styles: plots.Styles) -> dict[str, str]:
    """Nanoseconds per element of X against its bytes, one panel per setting, the caches marked."""
    measured = found.steps[(found.steps.status == "measured") & (found.steps.dtype == WIDE)]  # the models' dtype
    settings = _settings_in(measured)
    if measured.empty or not found.models:
        return {}
    figure, axes = plt.subplots(1, len(settings), figsize=(6.4 * len(settings), 4.8), squeeze=False, sharey=True)
    for ax, setting in zip(axes[0], settings, strict=True):
        rows = measured[measured.setting == setting]
        models = [explain.setting_model(found.models, impl, setting) for impl in styles.order(rows)]
        model_plots.plot_time_per_element(rows, [m for m in models if m], found.caches, ax, styles)
        ax.set_title(_setting_title(setting, rows))
    figure.suptitle("Time per element of X: where X outgrows a cache, each element costs more (dots: measured, "
                    "lines: cost models)", fontsize=12)  # fmt: skip
    _save(figure, run_dir / CHARTS["per_element"], styles.handles(styles.order(measured))[:-1])
    return {"per_element": CHARTS["per_element"]}


# --- report.md ---


def render_markdown(run: dict[str, Any], found: Analysis, charts: dict[str, str]) -> str:
    """The whole report as markdown."""
    sections = [
        "# Loop vs vectorized logistic regression: benchmark report",
        _summary(run, found.results),
        "## Environment\n\n" + _environment(run.get("machine_info", {})),
        "## Do the notes' claims hold here?\n\n" + _headline(found) + "\n\n" + _verdict(found.verdict),
        "## The loop's form alone: the notes' loop against the careful loop\n\n" + _loop_form(found.loop_form),
        "## Slower with all cores than with one\n\n" + _thread_scaling(found.thread_scaling),
        f"## {NARROW} against {WIDE}\n\n" + _dtype_ratios(found),
        "## JAX against numpy and the fused kernel\n\n" + _relative(found),
        _charts_section(charts),
        *(f"## Speedup over {b.title} (`{b.impl}`)\n\n" + _speedup_tables(found.speedups, b.impl) for b in BASELINES),
        "## Against the memory-bandwidth limit\n\n" + _bandwidth(found),
        "## Why: a cost model per implementation\n\n" + _why(found),
        "## Not measured\n\n" + _not_measured(found.results),
    ]
    dask = dask_section.section(dask_section.dask_cases(run, found.results))
    if dask:
        sections.insert(-1, "## dask_array: its floor, numpy's step and its memory\n\n" + dask)
    return "\n\n".join(sections) + "\n"


def _pass_count(run: dict[str, Any], table: pd.DataFrame) -> int:
    measured = table.passes[table.status == "measured"]
    return int(run.get("run", {}).get("passes") or (measured.max() if len(measured) else 0))


def _how_measured(run: dict[str, Any], table: pd.DataFrame) -> str:
    """The summary's line on how times and intervals were computed, true to the run's format."""
    passes = _pass_count(run, table)
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


def _summary(run: dict[str, Any], table: pd.DataFrame) -> str:
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


def _threads(count: Any) -> str:
    return f"{count} thread{'' if count == 1 else 's'}"


def _pools(pools: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{p.get('internal_api')} {p.get('version') or ''} ({p.get('prefix') or p.get('user_api')}, "
        f"{_threads(p.get('num_threads'))})"
        for p in pools
    )


def _environment(machine: dict[str, Any]) -> str:
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
        xla = f"; XLA (JAX) {_threads(read_back['xla_threads'])}" if "xla_threads" in read_back else ""
        rows.append(
            (f"workers with {_threads(int(threads))}: pools read back", f"{pools}; numba {_threads(numba)}{xla}")
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


_TWO_BASELINES_TEXT = (
    "Two baselines. `double_loop` is the careful loop: Python lists, `math` and the stable cost, the fastest "
    "honest pure-Python form. `notes_double_loop` is the notes' loop as written: numpy arrays indexed element "
    "by element, `np.exp` and `np.log` on scalars. Every implementation's speedup is given over each (the "
    "speedup sections below; `speedups.csv`, column `baseline`), so each loop appears in the other's table. "
    "The claims are judged like against like: the careful `features_vectorized` and `fully_vectorized` against "
    "the careful loop, the notes' `notes_features_vectorized` and `notes_fully_vectorized` against the notes' "
    "loop, so that a verdict measures what vectorizing does, not how carefully the loop was written."
)


def _spread(row: Any) -> str:
    """A verdict row's measured speedups, e.g. '12x to 280x, median 40x'."""
    if row.measured_sizes == 0:
        return "no measured pairs"
    return (
        f"{number_text(row.speedup_min)}x to {number_text(row.speedup_max)}x, median {number_text(row.speedup_median)}x"
    )


def _headline(found: Analysis) -> str:
    """Which baseline gives which answer (float64, the notes' dtype), and how much the loop's form alone moves
    every speedup."""
    verdict = found.verdict[found.verdict.dtype == WIDE]
    measured = verdict[verdict.measured_sizes > 0]
    setting = ONE_THREAD if (measured.setting == ONE_THREAD).any() else ALL_CORES
    answers = []
    for baseline in BASELINES:
        rows = verdict[(verdict.baseline == baseline.impl) & (verdict.setting == setting)]
        claims = "; ".join(f"~{r.factor:g}x **{r.verdict}** ({_spread(r)})" for r in rows.itertuples())
        answers.append(f"Against {baseline.title} (`{baseline.impl}`): {claims}.")
    return " ".join(
        [f"**Two baselines, two answers**, {SETTING_TITLES[setting]}.", *answers, _loop_form_sentence(found.loop_form)]
    )


def _loop_form_sentence(form: pd.DataFrame) -> str:
    measured = form[~form.extrapolated]
    if measured.empty:
        return "This run measured the two loops at no common size: the loop's form is not separated here."
    return (
        "The loop's form alone (numpy elements, `np.exp` and `np.log` on scalars, against lists and `math`) "
        f"makes the notes' loop **{measured.ratio.min():.2g}x to {measured.ratio.max():.2g}x slower** than the "
        f"careful one (median {measured.ratio.median():.2g}x over {len(measured)} measured sizes), and every "
        "speedup over it that much larger."
    )


def _verdict(verdict: pd.DataFrame) -> str:
    text = (
        "Per measured size, the claim **holds** where the whole 95% interval of the speedup lies within 2x of "
        "the claimed factor, is **exceeded** where it lies wholly above, **does not hold** where it lies wholly "
        "below, and is **undecided** where the interval straddles an edge of that band. "
        "Vectorization alone (1 thread) compares implementations on one core each; "
        "as installed (all cores) lets parallel implementations use every core, as a user gets them. "
        f"A {NARROW} speedup divides the loop's time on the {NARROW} problem (Python floats are {WIDE} "
        "whatever it is given) by the step's.\n\n"
        + _TWO_BASELINES_TEXT
        + "\n\n"
        + _verdicts_side_by_side(verdict)
        + "\n\nWhere each verdict was reached:\n\n"
        + _verdict_details(verdict)
    )
    extrapolated = "; ".join(
        f"{r.impl} ({r.setting}, {r.dtype}): {r.extrapolated_at}"
        for r in verdict.itertuples()
        if r.extrapolated_at != "nowhere"
    )
    if extrapolated:
        text += f"\n\nNot counted in the verdict (extrapolated): {extrapolated}."
    return text


def _verdicts_side_by_side(verdict: pd.DataFrame) -> str:
    """One row per claim and setting, one column per baseline."""
    rows = []
    for (claim, setting, dtype), group in verdict.groupby(["claim", "setting", "dtype"], sort=False):
        row = {"claim": claim, "setting": SETTING_TITLES[setting], "dtype": dtype}
        for baseline in BASELINES:
            found = group[group.baseline == baseline.impl]
            verdict_text = f"**{found.verdict.iloc[0]}**: {_spread(found.iloc[0])}" if len(found) else "not measured"
            row[f"against {baseline.title} (`{baseline.impl}`)"] = verdict_text
        rows.append(row)
    return pd.DataFrame(rows).to_markdown(index=False)


def _verdict_details(verdict: pd.DataFrame) -> str:
    rows = [
        {
            "baseline": f"`{row.baseline}`",
            "claim on": f"`{row.impl}`",
            "setting": SETTING_TITLES[row.setting],
            "dtype": row.dtype,
            "verdict": f"**{row.verdict}**",
            "holds": row.holds_at,
            "exceeded": row.exceeded_at,
            "does not hold": row.does_not_hold_at,
            "undecided": row.undecided_at,
        }
        for row in verdict.itertuples()
    ]
    return pd.DataFrame(rows).to_markdown(index=False)


def _loop_form(form: pd.DataFrame) -> str:
    if form.empty:
        return f"This run has no size with both `{NOTES_BASELINE}` and `{BASELINE}` timed."
    cells = form.assign(
        cell=[
            f"~{number_text(r.ratio)}x" if r.extrapolated else _interval(r.ratio, r.ratio_low, r.ratio_high)
            for r in form.itertuples()
        ]
    )
    table = cells.pivot(index=["dtype", "n_x"], columns="m", values="cell").fillna("n/a")
    table.columns = [f"m = {m:.0e}".replace("e+0", "e") for m in table.columns]
    return (
        f"Time of `{NOTES_BASELINE}` over time of `{BASELINE}` at each size, with its 95% interval from the "
        "paired passes (`~`: extrapolated). Both compute the same step with the same loops; only the way they "
        "are written differs. A speedup over the notes' loop is the speedup over the careful loop times this "
        "ratio.\n\n" + table.reset_index().to_markdown(index=False)
    )


def _interval(value: float, low: float, high: float, suffix: str = "x") -> str:
    """E.g. '123x [100, 150]'; the bare value where there is no interval."""
    text = f"{number_text(value)}{suffix}"
    return text if pd.isna(low) else f"{text} [{number_text(low)}, {number_text(high)}]"


def _thread_scaling(scaling: pd.DataFrame) -> str:
    if scaling.empty:
        return "This run has no parallel implementation measured both with 1 thread and with all cores."
    slower = scaling[scaling.slower_with_all_cores]
    faster = scaling[scaling.ratio_high < 1]
    lines = [
        f"Time with all cores over time with 1 thread, per parallel implementation and size, with its 95% "
        f"interval from the paired passes. Of {len(scaling)} measured pairs, **{len(slower)}** are slower with all "
        f"cores beyond their interval, {len(faster)} faster beyond it; the others are within their interval of 1."
    ]
    if not slower.empty:
        named = slower.assign(
            case=[f"{r.label} ({r.kind})" for r in slower.itertuples()],
            ratio_text=[_interval(r.ratio, r.ratio_low, r.ratio_high) for r in slower.itertuples()],
        )
        lines += [
            "",
            named[["case", "dtype", "m", "n_x", "threads", "seconds_one_thread", "seconds_all_cores", "ratio_text"]]
            .rename(
                columns={
                    "case": "slower with all cores",
                    "seconds_one_thread": "seconds, 1 thread",
                    "seconds_all_cores": "seconds, all cores",
                    "ratio_text": "all cores / 1 thread",
                }
            )
            .to_markdown(index=False, floatfmt=".3g"),
            "",
            "These are findings about the library on this machine, not noise: the whole interval lies above 1. "
            "On a machine with few cores the thread pools of OpenBLAS and OpenMP can compete for them "
            "(OpenBLAS FAQ, 'using OpenBLAS with OpenMP'): a thread left waiting loses a scheduler quantum, "
            "about 8 ms, per call. A user running these libraries as installed pays it; "
            "one thread (e.g. OPENBLAS_NUM_THREADS=1) avoids it.",
        ]
    cells = scaling[scaling.kind == "step"]
    if not cells.empty:
        cells = cells.assign(
            cell=[
                f"**{_interval(r.ratio, r.ratio_low, r.ratio_high)}**"
                if r.slower_with_all_cores
                else _interval(r.ratio, r.ratio_low, r.ratio_high)
                for r in cells.itertuples()
            ]
        )
        order = list(dict.fromkeys(cells.impl))  # the run's order
        index = ["n_x", "m"] if set(cells.dtype) == {WIDE} else ["dtype", "n_x", "m"]
        pivot = cells.pivot(index=index, columns="impl", values="cell").reindex(columns=order).fillna("n/a")
        pivot = pivot.sort_index(key=lambda level: level != WIDE if level.name == "dtype" else level)  # float64 first
        lines += [
            "",
            "All cores / 1 thread, per size (bold: slower beyond the interval):",
            "",
            pivot.reset_index().to_markdown(index=False),
        ]
    return "\n".join(lines)


def _dtype_ratios(found: Analysis) -> str:
    ratios = by_setting(found.dtype_ratios)
    if ratios.empty:
        return (
            f"No implementation was measured in both {WIDE} and {NARROW} "
            f"(`python -m bench run --dtype {WIDE},{NARROW}` measures both at every size)."
        )
    lines = [
        f"Time per step in {NARROW} over time in {WIDE}: the same implementation, threads and size, with its 95% "
        f"interval from the paired passes. {NARROW} halves the bytes of X: where a step streams X from memory, "
        "0.5 is what half the bytes can give; near 1, something else bounds the step (per-call costs, arithmetic "
        f"in {WIDE}, Python floats)."
    ]
    steps = found.results[(found.results.kind == "step") & (found.results.dtype == NARROW)]
    wide_inside = list(dict.fromkeys(steps.impl[steps.result_dtype == WIDE]))
    if wide_inside:
        named = ", ".join(f"`{impl}`" for impl in wide_inside)
        lines.append(f"Given {NARROW}, these returned {WIDE}: they compute in {WIDE} whatever they are given: {named}.")
    for setting in _settings_in(ratios):
        rows = ratios[ratios.setting == setting]
        cells = [_interval(r.ratio, r.ratio_low, r.ratio_high) for r in rows.itertuples()]
        title = _setting_title(setting, rows)
        lines.append(f"### {title[0].upper()}{title[1:]}\n\n" + _by_size(rows.assign(cell=cells)))
    return "\n\n".join(lines)


def _relative(found: Analysis) -> str:
    relative = found.relative
    pairs = " and ".join(f"`{against}`" for _, against in COMPARISONS)
    if relative.empty:
        return f"This run did not measure `jax_peer` beside {pairs}."
    labels = dict(zip(found.results.impl, found.results.label, strict=False))
    parts = [
        "Time of the peer's step over time of ours, per setting, dtype and range of the size of X (below 1: the "
        "peer is faster): the median over the sizes of the range, and how many sizes are faster or slower beyond "
        "their 95% interval. Per-call costs weigh at small X, memory traffic at large X."
    ]
    summary = summarize_by_range(relative)
    for (impl, against), rows in summary.groupby(["impl", "against"], sort=False):
        installed = rows[(rows.setting == ALL_CORES) & (rows.dtype == WIDE)]
        said = [f"{r.ratio_median:.2g}x with {r.size_range}" for r in installed.itertuples()]
        headline = (
            f"As installed ({WIDE}), the time of the step of {labels.get(impl, impl)} over that of "
            f"{labels.get(against, against)} is {' and '.join(said)} (medians)."
            if said
            else ""
        )
        table = rows.assign(
            setting=rows.setting.map(SETTING_TITLES),
            ratio=[f"{r.ratio_median:.3g}x ({r.ratio_min:.3g}x .. {r.ratio_max:.3g}x)" for r in rows.itertuples()],
        )[["setting", "dtype", "size_range", "sizes", "ratio", "faster", "slower"]].rename(
            columns={"size_range": "size of X", "ratio": f"{impl} / {against} (min .. max)"}
        )
        parts.append(f"### `{impl}` against `{against}`\n\n{headline}\n\n" + table.to_markdown(index=False))
    return "\n\n".join(parts)


def _charts_section(charts: dict[str, str]) -> str:
    captions = {
        "time": "Time per gradient step against m, one panel per n_x; top row one thread, bottom row as installed; "
        f"dash-dot lines: {NARROW}.",
        "speedup": "Speedup over the careful loop (double_loop), with the notes' claims marked; one row per setting. "
        "Vertical bars: 95% interval from the paired passes.",
        "heatmap_1_thread": "Where the notes' claims hold over the careful loop, one thread (vectorization "
        "alone): each measured m x n_x cell coloured by its verdict, the speedup written in it, and the claim's "
        "band according to the cost models drawn over it.",
        "heatmap": "The same as installed (all cores).",
        "heatmap_notes_1_thread": "The same for the notes' code over the notes' loop as written (notes_double_loop), "
        "one thread.",
        "heatmap_notes": "The notes' code over the notes' loop as written, as installed (all cores).",
        "per_element": "Nanoseconds per element of X against the bytes of X, the cache sizes marked: dots are "
        "measured steps, lines the cost models at the same n_x.",
        "bandwidth": "GB of X read per second of step (fastest round), one row per setting, "
        f"against the fastest streaming read of the same X in that setting; {NARROW} X holds half the bytes.",
        "dtype_ratio": f"Time in {NARROW} over time in {WIDE} per implementation and size, one row per setting; "
        "at the dotted line, half the bytes of X gave half the time.",
        "training": "train() for a fixed number of iterations: the loop over iterations stays in every version.",
    }
    if not charts:
        return "## Charts\n\nNo measured step: nothing to chart."
    return "## Charts\n\n" + "\n\n".join(f"![{captions[k]}]({name})\n\n{captions[k]}" for k, name in charts.items())


def _speedup_tables(pairs: pd.DataFrame, baseline: str) -> str:
    pairs = pairs[pairs.baseline == baseline]
    steps = pairs[(pairs.kind == "step") & (pairs.impl != baseline)]
    if steps.empty:
        return f"No size has both `{baseline}` and another implementation timed."
    parts = []
    for setting, dtype in itertools.product(_settings_in(steps), dtypes_in(steps)):
        rows = steps[(steps.setting == setting) & (steps.dtype == dtype)]
        if rows.empty:
            continue
        title = _setting_title(setting, rows) + ("" if dtype == WIDE else f", {dtype}")
        cells = rows.assign(cell=[_speedup_cell(r) for r in rows.itertuples()])
        parts.append(f"### {title[0].upper()}{title[1:]}\n\n" + _by_size(cells))
    parts.append("### Training\n\n" + _training_table(pairs, baseline))
    return "\n\n".join(parts)


def _by_size(cells: pd.DataFrame) -> str:
    """A markdown table of `cells.cell`: a row per (n_x, m), a column per implementation and thread count."""
    cells = cells.assign(
        column=[f"{r.impl} ({r.threads} threads)" if r.threads > 1 else r.impl for r in cells.itertuples()]
    )
    order = list(dict.fromkeys(cells.column))  # the run's order
    pivot = cells.pivot(index=["n_x", "m"], columns="column", values="cell").reindex(columns=order).fillna("n/a")
    return pivot.reset_index().to_markdown(index=False)


def _training_table(pairs: pd.DataFrame, baseline: str) -> str:
    train = pairs[pairs.kind == "train"].drop_duplicates(CASE)
    if train.empty:
        return f"No training run of `{baseline}` and another implementation timed."
    table = pd.DataFrame(
        {
            "implementation": train.label,
            "threads": train.threads,
            "seconds per run": [
                _interval(r.seconds, r.seconds_low, r.seconds_high, " s")
                if r.status == "measured"
                else f"~{number_text(r.seconds)} s"
                for r in train.itertuples()
            ],
            "speedup": [_speedup_cell(r) for r in train.itertuples()],
        }
    )
    first = train.iloc[0]
    return f"train() at m = {first.m}, n_x = {first.n_x}:\n\n" + table.to_markdown(index=False)


def _speedup_cell(row: Any) -> str:
    """A speedup with its interval; '~' and the bare value where either side is extrapolated."""
    if row.extrapolated:
        return f"~{number_text(row.speedup)}x"
    return _interval(row.speedup, row.speedup_low, row.speedup_high)


def _bandwidth(found: Analysis) -> str:
    fastest = found.fastest
    if fastest is None:
        return "No measured step has a streaming-read reference."
    limits = found.read_limit[(found.read_limit.setting == ALL_CORES) & (found.read_limit.dtype == fastest["dtype"])]
    largest = limits[(limits.m == fastest.m) & (limits.n_x == fastest.n_x)].sort_values("read_multiple")
    lines = [
        f"At the largest X measured (m = {fastest.m}, n_x = {fastest.n_x}, {fastest.bytes_x / 1e6:.0f} MB), "
        f"as installed: one streaming read of X with {_threads(fastest.threads)} takes {fastest.read_s * 1e3:.3g} ms "
        f"({fastest.read_gbytes_per_s:.3g} GB/s). The fastest step, **{fastest.label}**, takes "
        f"{fastest.min_s * 1e3:.3g} ms at best (median {fastest.seconds * 1e3:.3g} ms): "
        f"**{fastest.read_multiple:.2f}x** the time of reading X once (best round against its worker's best read, "
        "same threads).",
        "",
        largest[["label", "threads", "min_s", "seconds", "best_gbytes_per_s", "read_multiple"]]
        .rename(
            columns={
                "label": "implementation",
                "min_s": "best seconds per step",
                "seconds": "median seconds",
                "best_gbytes_per_s": "GB/s of X (best)",
                "read_multiple": "x one read of X",
            }
        )
        .to_markdown(index=False, floatfmt=".3g"),
    ]
    return "\n".join(lines)


_MODEL_TEXT = (
    "Each implementation's measured steps, per thread count and dtype, fitted to t(m, n_x) = a + b m + c m n_x: "
    "**a** is paid once per call (dispatch, a kernel's launch, waking threads), **b** once per example (its exp "
    "and log1p, the interpreter's per-example work), **c** once per element of X (a multiply-add and the bytes "
    "brought from where X lives: one c per cache level X fits in where that predicts better). Fitted on relative "
    "error with non-negative costs; [intervals] are 95% from a residual bootstrap. *Leave-one-out* predicts each "
    "measured size from a fit without it: how far to trust the model between and beyond the measured sizes. "
    "`python -m bench predict` gives the same models' prediction at any size."
)


def _cost(value: float, low: float, high: float) -> str:
    """E.g. '27.7 [19.8, 40.8]', '1170 [856, 1440]'; costs below 0.001 of the unit are 0."""
    text, low_text, high_text = (number_text(round(v, 3)) for v in (value, low, high))
    return f"{text} [{low_text}, {high_text}]"


def _model_table(found: Analysis) -> str:
    table = coefficient_table(found.models)
    rows = []
    for row in table.itertuples():
        levels = {level: _cost(*(getattr(row, f"element_{level}_ns{end}") for end in ("", "_low", "_high")))
                  for level in LEVELS}  # fmt: skip
        one_cost = row.levels == "one"
        rows.append({
            "implementation": row.impl, "threads": row.threads, "dtype": row.dtype,
            "per call (us)": _cost(row.call_us, row.call_us_low, row.call_us_high),
            "per example (ns)": _cost(row.example_ns, row.example_ns_low, row.example_ns_high),
            **{f"per element, X in {level} (ns)": "same" if one_cost and level != "L2" else levels[level]
               for level in LEVELS},
            "fit error": f"{row.fit_error:.0%}", "leave-one-out error": f"{row.loo_error:.0%}",
            "within 1.5x": f"{row.loo_within:.0%} of {row.cases}",
        })  # fmt: skip
    return pd.DataFrame(rows).to_markdown(index=False)


def _caches_line(caches: Caches) -> str:
    known = [("L1d", caches.l1d_bytes), ("L2", caches.l2_bytes), ("L3", caches.l3_bytes)]
    sizes = ", ".join(f"{name} {human_bytes(size)}" for name, size in known if size)
    if not sizes:
        return "This run records no cache sizes: each model has one cost per element at every size."
    return f"Cache sizes of this machine (CPU 0): {sizes}. X of m x n_x float64 takes 8 m n_x bytes."


def _why(found: Analysis) -> str:
    unfitted = "\n".join(f"- not modelled: {reason}" for reason in found.unfitted)
    if not found.models:
        return "No implementation has enough measured sizes for a model.\n\n" + unfitted
    parts = [_MODEL_TEXT, _caches_line(found.caches), _model_table(found), unfitted]
    for (baseline, _, setting), explained in found.explanations.items():
        title = f"### {explained.grid.claim.statement}, over {_baseline_title(baseline)}, {SETTING_TITLES[setting]}"
        parts.append(title + "\n\n" + "\n".join(f"- {line}" for line in explained.why + explained.boundaries))
    return "\n\n".join(part for part in parts if part)


def _not_measured(table: pd.DataFrame) -> str:
    skipped = table[table.status != "measured"]
    if skipped.empty:
        return "Every case was measured."
    return skipped[["kind", "impl", "threads", "dtype", "m", "n_x", "status", "predicted_s", "reason"]].to_markdown(
        index=False, floatfmt=".3g"
    )
