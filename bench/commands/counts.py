"""`python -m bench counts`: every case's step counted under Valgrind (instructions, cache misses), not timed."""

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

import bench
from bench.commands.arguments import impl_name, parse_dtypes, positive_ints, print_table
from bench.measure.profiles import PROFILES


def add_parser(commands: Any) -> None:
    """Add `counts` and its options to the subcommands."""
    counts = commands.add_parser(
        "counts",
        help="count instructions and simulated cache misses of every case under Valgrind (needs valgrind)",
        description="Runs each implementation's cases under Valgrind's callgrind, one thread, a fixed simulated "
        "cache (32 KiB L1, 8 MiB last level): per step, instructions, L1 and last-level misses and an estimated "
        "cycle count (L1 hits + 5 LL hits + 35 RAM hits). Only the step is counted: imports, data, compilation "
        "and a warm call are not. Counts do not move with the machine's noise: `compare` and `regress --counts` "
        "gate on them. Writes OUTPUT/counts.csv. Exit codes: 0 every case counted or left out with a reason, "
        "1 a case failed, 2 bad input or Valgrind missing.",
    )
    counts.add_argument("--profile", choices=PROFILES, default="quick", help="size grid. Default: quick")
    counts.add_argument("--output", type=Path, default=Path("reports/counts"), help="Default: reports/counts")
    counts.add_argument("--impl", type=impl_name, action="append", help="count only this implementation (repeatable)")
    counts.add_argument("--m", type=positive_ints, metavar="M,M,...", help="override the profile's m values")
    counts.add_argument("--n-x", type=positive_ints, metavar="N,N,...", help="override the profile's n_x values")
    counts.add_argument("--dtype", type=parse_dtypes, metavar="D,D,...", help="dtypes to count at every size")
    counts.add_argument("--threads", default="1", help="only 1: Valgrind runs a program's threads one at a time")


def command(args: argparse.Namespace, console: Console) -> int:
    """Count, print instructions per element by implementation, exit 1 when a case failed."""
    from bench.measure.counting import ValgrindMissingError

    if args.threads != "1":
        console.print(
            f"[red]error:[/] counts are made with one thread only (--threads {args.threads} asked): Valgrind "
            "serializes a program's threads, so counts cannot show thread scaling; time it with `run`"
        )
        return 2
    try:
        table = bench.count(
            args.output, args.profile, impls=args.impl, m=args.m, n_x=args.n_x, dtypes=args.dtype, console=console
        )
    except (ValgrindMissingError, ValueError) as error:  # Valgrind missing, or a bad option: named
        console.print(f"[red]error:[/] {error}")
        return 2
    counted = table[table.status == "counted"]
    if len(counted):
        shown = counted.assign(
            per_element=counted.instructions / (counted.m * counted.n_x),
            cycles_per_element=counted.estimated_cycles / (counted.m * counted.n_x),
        )[["impl", "dtype", "m", "n_x", "instructions", "per_element", "cycles_per_element", "ll_misses"]]
        print_table(console, shown, "counted (instructions and estimated cycles per element of X)")
    console.print(f"counts: {args.output / 'counts.csv'} ({len(counted)} of {len(table)} cases counted)")
    return 1 if (table.status == "failed").any() else 0
