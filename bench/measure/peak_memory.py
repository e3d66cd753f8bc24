"""Peak resident memory of a process, over a stretch of time chosen by the caller.

Linux keeps each process's peak resident set size (VmHWM in /proc/PID/status)
and lets a process reset it by writing 5 to /proc/self/clear_refs (since
Linux 4.0; proc(5)). So a case resets the peak when it starts and reads it
when it ends, and gets that case's peak, not the worker's since it started.
Elsewhere both functions say so by returning False and None.
"""

from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def reset_peak() -> bool:
    """Start a new peak at the current resident size; False where the system does not allow it."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def peak_rss() -> int | None:
    """Bytes: the largest resident set size since the last `reset_peak` (or the start); None if unknown."""
    try:
        status = STATUS.read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # reported in kB
    return None
