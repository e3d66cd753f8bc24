"""What preparing a case yields, shared by every preparation: a case to time, or the reason it is not timed.

Each decision not to time a case is a `NotMeasured` with a status and a
reason a user can read: "extrapolated" (the budget cannot afford it; the
prediction is kept), "refused" (it would not fit in memory, or its z leaves
the range where a naive implementation is accurate), "disagrees" (its result
differs from `fully_vectorized`'s in float64 by more than AGREEMENT_RTOL of
the case's dtype). The worker records it and moves on.
"""

from dataclasses import dataclass
from typing import Any

from bench.measure.problems import PreparedSize
from bench.records.schema import DEFAULT_DTYPE
from impls import Gradient, Implementation, Problem, relative_error
from impls.core import AGREEMENT_RTOL


class NotMeasured(Exception):  # noqa: N818 (an outcome, not an error)
    """A case that will not be timed: `status` says why in a word, `reason` in a sentence."""

    def __init__(self, status: str, reason: str, **extra: Any) -> None:
        super().__init__(reason)
        self.status, self.reason, self.extra = status, reason, extra


@dataclass(frozen=True)
class PreparedCase:
    """What to time (`impl.step(*arguments)`), and what to record about it."""

    impl: Implementation
    size: PreparedSize
    arguments: tuple[Any, ...]  # the step's arguments, from impl.prepare(size.problem)
    extra_info: dict[str, Any]


def check_agreement(
    got: Gradient,
    reference: Gradient,
    problem: Problem | None,
    dtype: str,
    extra: dict[str, Any],
    scale: float | None = None,
) -> dict[str, Any]:
    """`extra` with the step's `agreement_error` against the float64 reference; NotMeasured('disagrees') past
    AGREEMENT_RTOL of `dtype`. `problem` scales the error (None: data generated past memory, not held); `scale`
    is its summand_scale where already computed."""
    error = relative_error(got, reference, problem, scale)
    extra = extra | {"agreement_error": error}
    rtol = AGREEMENT_RTOL[dtype]
    if not error <= rtol:
        against = "" if dtype == DEFAULT_DTYPE else f" ({dtype}, against the float64 result)"
        reason = f"disagrees with fully_vectorized: relative error {error:.3g} > {rtol:g}{against}"
        raise NotMeasured("disagrees", reason, **extra)
    return extra
