"""What a user sees while a sweep runs: a progress bar over cases x passes, and a line per case not measured."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

SHOWN = 4  # cases named when an extra pass starts


class SweepProgress:
    """A rich progress bar whose unit is one case in one pass; the total shrinks as pass 1 skips cases."""

    def __init__(self, console: Console, planned: tuple[int, int]) -> None:
        self.console = console
        total, done = planned
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            # Redrawn on events only: a refresh thread would wake every 100 ms beside a worker that wants
            # every core, and a thread pool waiting at a barrier for a preempted thread loses a time slice.
            auto_refresh=False,
        )
        self._task: TaskID = self._progress.add_task("starting", total=total, completed=done)
        self._where = ""
        if done:
            console.print(f"resuming: {done} of {total} case-passes already done")

    def __enter__(self) -> SweepProgress:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.stop()

    def worker(self, impls: tuple[str, ...], threads: int, pass_number: int, passes: int) -> None:
        """A worker process starts: say which pass, which implementations and threads."""
        self._where = f"pass {pass_number}/{passes}" if pass_number <= passes else f"extra pass {pass_number}"
        description = f"{self._where} {', '.join(impls)} threads={threads}"
        self._progress.update(self._task, description=description, refresh=True)

    def refining(self, pass_number: int, case_ids: list[str]) -> None:
        """An extra pass starts: say how many cases are not yet settled, and which (the first few)."""
        total = self._progress.tasks[0].total or 0
        self._progress.update(self._task, total=total + len(case_ids))
        shown = ", ".join(case_ids[:SHOWN]) + (f" and {len(case_ids) - SHOWN} more" if len(case_ids) > SHOWN else "")
        self.console.print(f"pass {pass_number}: {len(case_ids)} cases not yet settled: {shown}", highlight=False)

    def case(self, case_id: str) -> None:
        self._progress.update(self._task, description=f"{self._where} {case_id}", refresh=True)

    def finished(self, case_id: str, pass_number: int, status: str, reason: str | None) -> None:
        """One case-pass done; anything not measured is said on a line of its own."""
        self._progress.advance(self._task)
        self._progress.refresh()
        if status == "measured":
            return
        color = "yellow" if status in ("extrapolated", "refused") else "red"
        self.console.print(f"[{color}]{status}[/] {case_id} (pass {pass_number}): {reason}", highlight=False)

    def drop(self, units: int) -> None:
        """Take units out of the total: the later passes of a case that pass 1 did not measure."""
        total = self._progress.tasks[0].total or 0
        self._progress.update(self._task, total=max(total - units, 0))
