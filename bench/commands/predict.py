"""`python -m bench predict`: a step's time at any size from a run's cost models, as CSV."""

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.commands.arguments import positive_ints
from bench.records.schema import STEP


def add_parser(commands: Any) -> None:
    """Add `predict` and its options to the subcommands."""
    predict = commands.add_parser(
        "predict",
        help="predict a step's time at any size from a run's cost models; CSV on stdout",
        description="Fits t(m, n_x) = a + b*m + c*m*n_x per implementation x threads x dtype on the run's "
        "measured steps (c per cache level where the data show it; bench/analysis/model.py) and prints, for every "
        "requested size, the predicted seconds per step with its 95%% bootstrap interval. Sizes past the "
        "largest measured one are extrapolations: beyond_measured says so.",
    )
    predict.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory or its benchmark.json")
    predict.add_argument("--m", type=positive_ints, required=True, metavar="M,M,...", help="examples, e.g. 3e4")
    predict.add_argument("--n-x", type=positive_ints, required=True, metavar="N,N,...", help="features")
    predict.add_argument("--impl", action="append", help="only this implementation (repeatable). Default: all")
    predict.add_argument("--threads", metavar="T", help="only this thread count: a number, or 'all' (as installed)")
    predict.add_argument("--dtype", help="only this dtype, e.g. float64")


def _chosen_models(args: argparse.Namespace, run: dict[str, Any]) -> tuple[list[Any], list[str]]:
    """The run's models that the options select, and why others could not be fitted; ValueError naming what is
    missing."""
    from bench.analysis.model import run_models

    models, unfitted = run_models(run)
    in_run = sorted({b["extra_info"]["impl"] for b in run["benchmarks"] if b["extra_info"]["kind"] == STEP})
    for impl in args.impl or []:
        if impl not in in_run:
            raise ValueError(f"{impl!r} is not in this run; it has: {', '.join(in_run)}")
        if not any(key[0] == impl for key in models):
            reasons = [reason for reason in unfitted if reason.startswith(f"{impl} ")]
            raise ValueError("; ".join(reasons) or f"{impl}: no measured step in this run")
    chosen = [model for key, model in models.items() if not args.impl or key[0] in args.impl]
    if args.dtype:
        chosen = [model for model in chosen if model.dtype == args.dtype]
    if args.threads == "all":  # as installed: each implementation's most threads (1 for single-threaded ones)
        most = {model.impl: max(m.threads for m in chosen if m.impl == model.impl) for model in chosen}
        chosen = [model for model in chosen if model.threads == most[model.impl]]
    elif args.threads:
        chosen = [model for model in chosen if str(model.threads) == args.threads]
    if not chosen:
        raise ValueError(f"no model matches --threads {args.threads} --dtype {args.dtype} in this run")
    return chosen, unfitted


def command(args: argparse.Namespace, console: Console) -> int:
    """Print the chosen models' predictions as CSV on stdout; exit 2 when the run or the choice cannot be used."""
    from bench.analysis.model import prediction_table
    from bench.records.results import load_run

    try:
        run = load_run(args.run_dir)
        chosen, unfitted = _chosen_models(args, run)
    except (ValueError, FileNotFoundError) as error:
        console.print(f"[red]error:[/] {error}")
        return 2
    table = prediction_table(chosen, args.m, args.n_x)
    for reason in unfitted:
        console.print(f"[yellow]not predicted:[/] {reason}")
    if not run.get("machine_info", {}).get("caches"):
        console.print("[yellow]note:[/] this run records no cache sizes: one cost per element at every size")
    for row in table[table.beyond_measured].drop_duplicates(["impl", "m", "n_x"]).itertuples():
        console.print(
            f"[yellow]extrapolation:[/] {row.impl} at m={row.m}, n_x={row.n_x} is past the largest size measured"
        )
    table.to_csv(sys.stdout, index=False, float_format="%.6g")
    return 0
