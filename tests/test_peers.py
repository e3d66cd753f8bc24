"""Optional peers: a missing or unsupported library is a message naming what to install, never a traceback."""

import importlib
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from impls import IMPLEMENTATIONS, UNAVAILABLE, train

REPO = Path(__file__).parents[1]
# `python -m bench` with one library hidden or one version changed, as a user without it would run it.
WITHOUT_JAX = """
import importlib.util, sys
find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, *rest: None if name == "jax" else find_spec(name, *rest)
from bench.commands.main import main
sys.exit(main(sys.argv[1:]))
"""
WITH_JAX_0_11 = """
import sys
from importlib import metadata
version = metadata.version
metadata.version = lambda name: "0.11.1" if name == "jax" else version(name)
from bench.commands.main import main
sys.exit(main(sys.argv[1:]))
"""


def bench_with(patch: str, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", patch, *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120)


@pytest.mark.slow
def test_without_jax_asking_for_jax_peer_says_which_extra_to_install(tmp_path: Path) -> None:
    done = bench_with(WITHOUT_JAX, "run", "--impl", "jax_peer", "--output", str(tmp_path))
    assert done.returncode == 2
    assert "jax_peer needs JAX, which is not installed: pip install -e '.[peers]'" in done.stderr
    assert "Traceback" not in done.stderr and not list(tmp_path.iterdir())


@pytest.mark.slow
def test_an_unsupported_jax_is_named_with_the_supported_range(tmp_path: Path) -> None:
    done = bench_with(WITH_JAX_0_11, "run", "--impl", "jax_peer", "--output", str(tmp_path))
    assert done.returncode == 2
    assert "jax_peer supports JAX 0.8.0 up to (not including) 0.11; found JAX 0.11.1" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unsupported_jax_leaves_the_peer_out_of_the_registry(monkeypatch) -> None:
    version = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "0.7.2" if name == "jax" else version(name))
    monkeypatch.delitem(sys.modules, "impls.jax_peer", raising=False)  # imported afresh, then put back
    with pytest.raises(ImportError, match=r"supports JAX 0\.8\.0 up to \(not including\) 0\.11; found JAX 0\.7\.2"):
        importlib.import_module("impls.jax_peer")


def test_an_unavailable_peer_is_a_value_error_naming_why(monkeypatch) -> None:
    monkeypatch.delitem(IMPLEMENTATIONS, "jax_peer", raising=False)
    monkeypatch.setitem(UNAVAILABLE, "jax_peer", "jax_peer needs JAX, which is not installed")
    with pytest.raises(ValueError, match="jax_peer is not available here: jax_peer needs JAX, which is not installed"):
        train("jax_peer", np.ones((2, 3)), [[0, 1, 1]], alpha=0.1, iterations=1)


@pytest.mark.skipif("jax_peer" not in IMPLEMENTATIONS, reason=f"JAX not usable here: {UNAVAILABLE.get('jax_peer')}")
@pytest.mark.parametrize(
    ("version", "supported"),
    [("0.8.0", True), ("0.10.2", True), ("0.10.9.dev20261201", True), ("0.7.2", False), ("0.11.0", False)],
)
def test_the_supported_range_is_from_the_lowest_up_to_the_bound(version: str, supported: bool) -> None:
    from impls.jax_peer import version_problem

    assert (version_problem(version) is None) is supported


@pytest.mark.slow
@pytest.mark.skipif("jax_peer" not in IMPLEMENTATIONS, reason=f"JAX not usable here: {UNAVAILABLE.get('jax_peer')}")
def test_jax_uses_the_sweeps_arrays_in_place(tmp_path: Path) -> None:
    # The sweep's arrays start at a cache line; JAX on the CPU then does not copy X (1.5 s at 800 MB), which the
    # README and jax_peer's docstring say. A JAX that copies again fails here, not silently in the sweep's time.
    from bench.measure.problems import cached_size

    problem = cached_size(300, 20, tmp_path).problem
    X_on_device = IMPLEMENTATIONS["jax_peer"].prepare(problem)[0]
    assert X_on_device.unsafe_buffer_pointer() == problem.X.ctypes.data
