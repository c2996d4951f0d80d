"""``lambdalab sim SCENARIO --out DIR``: read the file, simulate, price the month, write the results."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from lambdalab.sim.account_results import AccountResult
from lambdalab.sim.cost import price_account
from lambdalab.sim.scenario_file.parser import ScenarioFileError, build_account, build_queues, load
from lambdalab.sim.scenario_file.writer import write_outputs
from lambdalab.sim.simulate import simulate_account
from lambdalab.sim.sqs_mapping import simulate_sqs


def run_file(
    path: str | Path,
    out: str | Path | None = None,
    *,
    seed: int | None = None,
    engine: str | None = None,
    plots: bool = True,
    progress: bool | None = None,
) -> tuple[AccountResult, list[Path]]:
    """Load, simulate, price and write; returns the result and the files written."""
    path = Path(path)
    data = load(path)
    account, run = build_account(data, path.parent)
    queues = build_queues(data, account.horizon, path.parent)
    chosen_seed = int(seed if seed is not None else run.get("seed", 0))
    chosen_engine = engine or run.get("engine", "fast")
    result = simulate_account(account, seed=chosen_seed, engine=chosen_engine, progress=progress)
    cost = price_account(result)
    queue_results = [(name, simulate_sqs(q, seed=chosen_seed)) for name, q in queues]
    target = Path(out) if out is not None else Path("sim-results") / str(run.get("name", path.stem))
    files = write_outputs(target, result, cost, queue_results, data, plots=plots)
    return result, files


def main(argv: Sequence[str] | None = None) -> int:
    """``lambdalab sim SCENARIO --out DIR``: returns 0, or 2 with a one-line reason on a bad file."""
    parser = argparse.ArgumentParser(prog="lambdalab sim", description="Run a simulation described in a scenario file.")
    parser.add_argument("scenario", type=Path, help="a .toml or .yaml scenario file")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: sim-results/NAME)")
    parser.add_argument("--seed", type=int, default=None, help="override [run].seed")
    parser.add_argument("--engine", choices=["fast", "simpy"], default=None, help="override [run].engine")
    parser.add_argument("--no-plots", action="store_true", help="write JSON and CSV only")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: only for long runs)",
    )
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        result, files = run_file(
            args.scenario, args.out, seed=args.seed, engine=args.engine, plots=not args.no_plots, progress=args.progress
        )
    except ScenarioFileError as exc:
        print(f"lambdalab sim: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a model refusing an impossible setting, in its own words
        print(f"lambdalab sim: {args.scenario}: {exc}", file=sys.stderr)
        return 2
    cost = price_account(result).total.total
    print(
        f"{args.scenario}: {result.requests:,} requests, {result.throttles:,} throttled attempts, "
        f"peak concurrency {result.peak_concurrency:,}, ${cost:,.2f} a month"
    )
    for path in files:
        print(f"  wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
