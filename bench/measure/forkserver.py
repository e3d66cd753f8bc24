"""Worker processes forked from a warm parent that has already imported what every worker imports.

A worker took 0.6-1.7 s to start here before it measured anything, in
each of the ~9 processes of every pass (70-90 in a default run): a new
interpreter importing numpy, numba, pytest, the registry and its peer's
library (scikit-learn 0.85 s, JAX 0.9 s, dask 0.3 s, from bytecode), and
the like. A fork server, one per thread count and set of
libraries, is started with the workers' environment (so every pool is
sized before numpy loads), imports all that once (`module.preload()` and
the libraries its workers' steps import, `Implementation.imports`), then
forks one worker per request: 0.2-1.0 s to a worker's first case, 96 s to
40 s summed over a default run. Each worker is still a process of its
own, run one at a time, with its own memory; a peer library's server forks
that library's workers only. Nothing runs in a server that a fork would not
carry: no measurement, no thread of Python's (it refuses to fork if an
import started one), no pool at work (numba starts its pool at the first
parallel call, XLA its client at the first array; OpenBLAS shuts its pool
down before a fork and starts it again when next called: the worker reads
its pools back, as every worker does).

Protocol, one JSON line each, on the server's stdin and stdout:
  request            {"spec": "<the worker's spec as JSON>", "stderr": "<path of a file for its stderr>"}
  the worker's       {"event": "pid", "pid": N}, then its events as `module.run` writes them
  when it has ended  {"event": "exit", "returncode": C}  (C < 0: killed by signal -C)
The server ends when its stdin closes.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import traceback
from typing import IO, Any


def main(module_name: str, *imports: str) -> int:
    """Serve workers of `module_name` (its preload() and run(spec, events)), `imports` imported beforehand."""
    events = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # nothing a library prints can corrupt the events
    module = importlib.import_module(module_name)
    module.preload()
    for name in imports:
        importlib.import_module(name)
    if threading.active_count() > 1:  # a thread of Python's would be half-copied into every worker
        print(f"not forking: importing {', '.join(imports)} started threads: {threading.enumerate()}", file=sys.stderr)
        return 2
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _worker(module, request, events)
        _, status = os.waitpid(pid, 0)
        _emit(events, {"event": "exit", "returncode": os.waitstatus_to_exitcode(status)})
    return 0


def _worker(module: Any, request: dict[str, Any], events: IO[str]) -> None:
    """In the forked child: stdin from nothing, stdout and stderr to the request's file, the worker's events to
    the server's stdout; never returns."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        log = os.open(request["stderr"], os.O_WRONLY | os.O_APPEND)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        os.close(log)
        _emit(events, {"event": "pid", "pid": os.getpid()})
        code = module.run(request["spec"], events)
    except BaseException:  # a KeyboardInterrupt too: the worker's exit code says it failed, the server goes on
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        events.flush()
        os._exit(code)  # not the server's teardown, nor its loop


def _emit(events: IO[str], event: dict[str, Any]) -> None:
    events.write(json.dumps(event) + "\n")
    events.flush()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
