"""Running a sweep: pytest-benchmark in this process, with the sweep plugin."""

import os
from pathlib import Path

import pytest
from rich.console import Console

from bench import journal
from bench.sweep import SweepPlugin, SweepSettings

SUITE = Path(__file__).parent / "suite"


def pytest_arguments(settings: SweepSettings) -> list[str]:
    """The pytest command line of a sweep: hermetic, quiet, timing as the grid says."""
    return [
        str(SUITE),
        "-c",
        os.devnull,  # ignore any project's pytest configuration
        "--rootdir",
        str(SUITE),
        "-p",
        "no:terminal",  # the plugin reports progress, skips and failures itself
        "-p",
        "no:cacheprovider",
        "-W",
        "error::RuntimeWarning",  # an overflow warning in a step is a bug
        "--benchmark-disable-gc",
        "--benchmark-warmup=off",  # implementations warm up (compile) outside the timing
        f"--benchmark-min-rounds={settings.grid.min_rounds}",
        f"--benchmark-max-time={settings.grid.max_time_s}",
        "--benchmark-quiet",
    ]


def run_sweep(settings: SweepSettings, console: Console) -> int:
    """Measure everything `settings` asks for into settings.output; pytest's exit code."""
    settings.output.mkdir(parents=True, exist_ok=True)
    if not settings.resume:
        (settings.output / journal.JOURNAL_NAME).unlink(missing_ok=True)
    plugin = SweepPlugin(settings, console)
    exit_code = pytest.main(pytest_arguments(settings), plugins=[plugin])
    if exit_code == pytest.ExitCode.NO_TESTS_COLLECTED and plugin.resumed_all:
        return 0  # --resume found every case already done: nothing to run is success
    return int(exit_code)
