"""`python -m bench check`: same-run invariants (ratios between implementations); exit 1 if one is broken."""

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.commands.arguments import emit_json, load_runs


def add_parser(commands: Any) -> None:
    """Add `check` and its options to the subcommands."""
    check = commands.add_parser(
        "check",
        help="check same-run invariants (ratios between implementations); exit 1 if one is broken",
        description="Ratios that must hold within one run whatever the machine, from the reviewed table "
        "bench.compare.regress.INVARIANTS. Exit codes: 0 all checked invariants hold, 1 one is broken or none "
        "could be checked, 2 bad input.",
    )
    check.add_argument("run_dir", type=Path, metavar="DIR", help="a run directory or its benchmark.json")
    check.add_argument("--json", action="store_true", help="print the table as JSON on stdout")


def command(args: argparse.Namespace, console: Console) -> int:
    """Check DIR's same-run invariants and print each; exit 1 when one is broken or none could be checked."""
    from bench.compare.regress import check_invariants

    (run,) = load_runs([args.run_dir])
    table = check_invariants(run)
    if args.json:
        emit_json(table)
    colors = {"holds": "green", "broken": "red", "not in run": "yellow"}
    for row in table.itertuples():
        console.print(
            f"[{colors[row.status]}]{row.status:>10}[/]  time({row.impl}) / time({row.reference}) at m={row.m} "
            f"n_x={row.n_x} = {row.ratio:.3g}, must be <= {row.max_ratio:.3g}: {row.why}"
        )
    broken = table[table.status == "broken"]
    if (table.status == "holds").sum() == 0:
        console.print("[red]no invariant could be checked[/]: the run lacks the sizes or implementations they need")
        return 1
    return 1 if len(broken) else 0
