"""The whole analysis of one run, computed once for the report (`analyse`)."""

from dataclasses import dataclass

import pandas as pd

from bench.analysis.claims import BASELINES, SETTINGS
from bench.analysis.explain import Explanation, Models, explain, setting_model
from bench.analysis.model import Caches, CostModel, fit_models, measured_steps
from bench.analysis.paired import self_pairs
from bench.analysis.ratios import (
    comparisons,
    dtype_ratios,
    fastest_at_largest,
    read_limit,
    summarize_by_range,
    thread_scaling,
)
from bench.analysis.speedups import by_setting, loop_form, speedups_by_baseline, steps
from bench.analysis.verdicts import claims_verdicts
from bench.records.schema import STEP


@dataclass(frozen=True)
class Analysis:
    """Everything the report shows about a run, computed once (see `analyse`)."""

    results: pd.DataFrame  # bench.records.results.tidy
    passes: pd.DataFrame  # bench.records.results.pass_times
    steps: pd.DataFrame  # timed steps per setting: by_setting(steps(results))
    speedups: pd.DataFrame  # speedups_by_baseline
    verdict: pd.DataFrame  # claims_verdicts
    loop_form: pd.DataFrame
    thread_scaling: pd.DataFrame
    dtype_ratios: pd.DataFrame  # per setting: by_setting(dtype_ratios)
    relative: pd.DataFrame  # relative_times of every COMPARISONS pair measured, stacked
    relative_by_range: pd.DataFrame  # summarize_by_range(relative)
    read_limit: pd.DataFrame
    fastest: pd.Series | None  # fastest_at_largest
    caches: Caches  # the machine's, from the run's machine info
    models: Models  # bench.analysis.model.fit_models, per implementation x threads x dtype
    setting_models: dict[tuple[str, str], CostModel]  # (impl, setting): the float64 model it runs with there
    unfitted: list[str]  # why a model could not be fitted
    explanations: dict[tuple[str, str, str], Explanation]  # (baseline, claim's implementation, setting)
    pairing_check: pd.DataFrame  # self_pairs: each step against a second copy of itself (empty before issue 21)


def explanations(models: Models, results: pd.DataFrame) -> dict[tuple[str, str, str], Explanation]:
    """Each baseline's claims according to the cost models, over the run's measured sizes (explain.py)."""
    measured = measured_steps(results)
    if measured.empty:
        return {}
    return {
        (baseline.impl, impl, setting): explained
        for baseline in BASELINES
        for (impl, setting), explained in explain(models, baseline.impl, measured, baseline.claims).items()
    }


def with_model_times(results: pd.DataFrame, models: Models) -> pd.DataFrame:
    """The results with each extrapolated step's `seconds` predicted by its cost model from every measured size.

    The sweep's own prediction (`predicted_s`, from smaller sizes only) decided
    to skip the case; the run's model knows every size, larger n_x included.
    Without a model, the sweep's prediction stays.
    """
    out = results.copy()
    for index, row in results[(results.kind == STEP) & (results.status == "extrapolated")].iterrows():
        model = models.get((row.impl, int(row.threads), row["dtype"]))
        if model is not None:
            out.at[index, "seconds"] = float(model.predict(row.m, row.n_x)[0])
    return out


def setting_models(models: Models) -> dict[tuple[str, str], CostModel]:
    """Per implementation and setting, the float64 model it runs with there (explain.setting_model)."""
    found = {(impl, setting): setting_model(models, impl, setting) for impl, _, _ in models for setting in SETTINGS}
    return {key: model for key, model in found.items() if model is not None}


def analyse(
    results: pd.DataFrame, passes: pd.DataFrame, caches: Caches | None = None, trials: pd.DataFrame | None = None
) -> Analysis:
    """The whole analysis of one run's tables; `caches` sizes the cost models' levels (unknown: one level);
    `trials` are its paired trials (bench.records.results.paired_trials; none in runs before them)."""
    caches = caches or Caches()
    models, unfitted = fit_models(results, caches)
    results = with_model_times(results, models)
    pairs = speedups_by_baseline(results, passes, trials)
    relative = comparisons(results, passes, trials)
    limits = read_limit(results, trials)
    return Analysis(
        results=results,
        passes=passes,
        steps=by_setting(steps(results)),
        speedups=pairs,
        verdict=claims_verdicts(pairs),
        loop_form=loop_form(pairs),
        thread_scaling=thread_scaling(results, passes, trials),
        dtype_ratios=by_setting(dtype_ratios(results, passes, trials)),
        relative=relative,
        relative_by_range=summarize_by_range(relative),
        read_limit=limits,
        fastest=fastest_at_largest(limits),
        caches=caches,
        models=models,
        setting_models=setting_models(models),
        unfitted=unfitted,
        explanations=explanations(models, results),
        pairing_check=self_pairs(trials),
    )
