"""Why: the cost models' coefficients, and what they say about the claims."""

import pandas as pd

from bench.analysis.analyse import Analysis
from bench.analysis.claims import SETTING_TITLES
from bench.analysis.model import LEVELS, Caches, coefficient_table
from bench.reporting.format import baseline_title
from bench.text import human_bytes, number_text

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


def why_section(found: Analysis) -> str:
    """The cost models' coefficients per implementation, and what they say about the claims."""
    unfitted = "\n".join(f"- not modelled: {reason}" for reason in found.unfitted)
    if not found.models:
        return "No implementation has enough measured sizes for a model.\n\n" + unfitted
    parts = [_MODEL_TEXT, _caches_line(found.caches), _model_table(found), unfitted]
    for (baseline, _, setting), explained in found.explanations.items():
        title = f"### {explained.grid.claim.statement}, over {baseline_title(baseline)}, {SETTING_TITLES[setting]}"
        parts.append(title + "\n\n" + "\n".join(f"- {line}" for line in explained.why + explained.boundaries))
    return "\n\n".join(part for part in parts if part)
