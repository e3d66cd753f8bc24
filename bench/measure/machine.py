"""What a run records about the machine, beside pytest-benchmark's own machine info."""

import os
from importlib import metadata
from pathlib import Path

import numba
import psutil

from bench.measure.threads import read_back, relevant_environment

PACKAGES = ("numpy", "numba", "llvmlite", "scipy", "pandas", "scikit-learn", "pytest-benchmark")
CACHE_DIRECTORY = Path("/sys/devices/system/cpu/cpu0/cache")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _numba_threading_layer() -> str:
    try:
        return str(numba.threading_layer())  # known once a parallel kernel has run
    except ValueError:
        configured = getattr(numba.config, "THREADING_LAYER", "default")
        return f"not started (configured: {configured})"


def read_caches(directory: Path = CACHE_DIRECTORY) -> dict[str, int]:
    """This machine's data and unified cache sizes seen by CPU 0, in bytes: {"L1d": ..., "L2": ..., "L3": ...}.

    From Linux's sysfs; empty where it is not readable (other systems), and
    the cost models (bench/analysis/model.py) then fit one per-element cost for all sizes.
    """
    sizes = {}
    for index in sorted(directory.glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        if kind == "Instruction" or not size.endswith("K"):
            continue
        sizes["L1d" if level == "1" else f"L{level}"] = int(size[:-1]) * 1024
    return sizes


def machine_info() -> dict[str, object]:
    """Cores, memory, cache sizes, library versions, BLAS and thread settings, and the relevant environment.

    OPENBLAS_CORETYPE and friends can slow numpy a lot; they are recorded,
    never changed, so a surprising result can be traced to them.
    """
    memory = psutil.virtual_memory()
    return {
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_bytes": memory.total,
        "available_ram_bytes": memory.available,
        "caches": read_caches(),  # bytes of L1d, L2, L3: the cost model's levels (bench/analysis/model.py)
        "packages": {name: _version(name) for name in PACKAGES},
        **read_back(),  # threadpools, numba_threads
        "numba_threading_layer": _numba_threading_layer(),
        "environment": relevant_environment(),
    }
