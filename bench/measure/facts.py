"""What a sweep needs to know of an implementation without running it, and what every record of a case says.

The manager plans workers from `parallel` and labels the records of cases a
worker lost from `label`; it reads both from `ImplFacts` so that it need not
import the registry, which loads every implementation (numba, and the peers'
libraries) in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from bench.measure.plan import CaseSpec
from bench.records.schema import TRAIN

if TYPE_CHECKING:
    from impls import Implementation


class ImplFacts(NamedTuple):
    """An implementation's label (how charts name it), whether one step uses several threads, and the library whose
    threads those are when it may share a worker process with others of this project (plan.process_groups): "numpy"
    (BLAS) or "numba"; None for the peers and for implementations with a preparation of their own (dask)."""

    label: str
    parallel: bool
    shares: str | None = None
    imports: tuple[str, ...] = ()  # what its workers' fork server may import before forking them (Implementation's)


def registry_facts(names: Iterable[str]) -> dict[str, ImplFacts]:
    """The facts of the implementations `names`, read from the registry."""
    # Imported here: it loads every implementation and numba, which a manager given its facts never needs.
    from impls import IMPLEMENTATIONS

    return {name: _facts(IMPLEMENTATIONS[name]) for name in names}


def _facts(impl: Implementation) -> ImplFacts:
    ours = not impl.peer and impl.preparation is None  # this project's compiled implementations are numba's
    shares = ("numba" if impl.compiled else "numpy") if ours else None
    return ImplFacts(impl.label, impl.parallel, shares, impl.imports)


def case_info(case: CaseSpec, facts: ImplFacts, iterations: int) -> dict[str, Any]:
    """What every record of a case says about it, measured or not; `facts` are those of `case.impl`."""
    info: dict[str, Any] = {
        "kind": case.kind,
        "impl": case.impl,
        "label": facts.label,
        "threads": case.threads,
        "dtype": case.dtype,
        "parallel": facts.parallel,
    }
    if case.kind == TRAIN:
        return info | {"train_m": case.m, "train_n_x": case.n_x, "iterations": iterations}
    return info | {"m": case.m, "n_x": case.n_x, "bytes_x": np.dtype(case.dtype).itemsize * case.m * case.n_x}
