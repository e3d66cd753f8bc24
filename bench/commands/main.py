"""`python -m bench COMMAND`: the parser of every command, and the dispatch to its module."""

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console

from bench.commands import check, compare, counts, predict, regress, report, reproduce, run, selftest

# In `python -m bench --help`'s order: each module adds its parser and holds its `command(args, console)`.
COMMANDS = {
    "run": run,
    "report": report,
    "compare": compare,
    "check": check,
    "counts": counts,
    "selftest": selftest,
    "regress": regress,
    "reproduce": reproduce,
    "predict": predict,
}


def build_parser() -> argparse.ArgumentParser:
    """The parser of `python -m bench` and every command's options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure loop vs vectorized logistic-regression gradient steps, and analyse the runs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS.values():
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` (default: the command line), run the command; its exit code (2 for a missing file)."""
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)  # logs get full lines
    try:
        return COMMANDS[args.command].command(args, console)
    except FileNotFoundError as error:  # a run directory or JSON that is not there: exit code 2
        console.print(f"[red]error:[/] {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
