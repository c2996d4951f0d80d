"""Run a simulation described in a file: ``lambdalab sim SCENARIO.toml|.yaml --out DIR``.

For instructors preparing material and engineers sizing a real system: the file names the account's
limits, its functions (traffic, durations, memory, concurrency settings, callers, database habits), an
optional database and optional SQS queues; the runner simulates, prices the month, and writes

- ``result.json``: every figure per function and for the account, the bill, the inputs echoed back;
- ``functions.csv`` (one row per function) and ``timeseries.csv`` (busy, throttles, connections per bin);
- ``concurrency.png``, ``latency.png`` and, per queue, ``sqs-NAME.json`` / ``.csv`` / ``.png``.

The format (TOML shown; YAML has the same keys)::

    [run]
    name = "black-friday"
    horizon = 3600            # seconds of arrivals
    seed = 1

    [account]                 # all optional
    concurrency_limit = 1000
    scaling = "per-function"  # or "regional" (with region = "us-east-1") or "none"
    requests_per_concurrency = 10

    [database]                # optional: max_connections, or memory_gib (+ engine) for the RDS formula
    memory_gib = 8
    proxy = { max_connections_percent = 80 }

    [[functions]]
    name = "api"
    arrivals = { type = "poisson", rate = 50 }       # constant | poisson | burst | diurnal | replay
    duration = { type = "lognormal", median = 0.12, sigma = 0.5 }   # constant | exponential | lognormal | empirical
    init_duration = { runtime = "python3.12" }       # a preset, or a distribution
    memory_mb = 512
    reserved_concurrency = 100
    caller = { type = "sync", max_attempts = 3 }     # or { type = "async", maximum_retry_attempts = 2 }
    database = "init"                                # or "request"

    [[queues]]                # optional SQS queues drained by event source mappings
    name = "orders"
    arrivals = { type = "poisson", rate = 20 }
    processing = { type = "exponential", mean = 0.5 }
    batch_size = 10
    visibility_timeout = 30
    max_receive_count = 5
    failure_rate = 0.01
    function_concurrency = 50   # the consumer's reserved concurrency; maximum_concurrency caps pollers

TOML is read with the standard library's ``tomllib``; YAML needs PyYAML.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np

from lambdalab.sim.account import Account, FunctionSpec
from lambdalab.sim.account_results import AccountResult
from lambdalab.sim.arrivals import Arrivals, ConstantRateArrivals, PoissonArrivals, ReplayedArrivals
from lambdalab.sim.callers import Asynchronous, Synchronous
from lambdalab.sim.cost import AccountCost, price_account
from lambdalab.sim.database import Database, RdsProxy
from lambdalab.sim.distributions import Constant, Distribution, Empirical, Exponential, LogNormal
from lambdalab.sim.presets import COLD_START_PRESETS
from lambdalab.sim.scaling import PerFunctionScaling, RegionalBurstScaling
from lambdalab.sim.simulate import simulate_account
from lambdalab.sim.sqs_mapping import SqsEventSource, SqsResult, SqsScenario, simulate_sqs
from lambdalab.sim.traffic import BurstArrivals, DiurnalArrivals


class ScenarioFileError(ValueError):
    """The scenario file is not valid; the message says where and why."""


def load(path: str | Path) -> dict[str, Any]:
    """The file's contents as plain data (TOML by tomllib, YAML by PyYAML)."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        import tomllib

        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioFileError(f"{path}: not valid TOML: {exc}") from None
    if suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise ScenarioFileError("YAML scenario files need PyYAML (pip install pyyaml), or use TOML") from None
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ScenarioFileError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ScenarioFileError(f"{path}: the file must be a mapping of sections (run, account, functions...)")
        return data
    raise ScenarioFileError(f"{path}: a scenario file ends in .toml, .yaml or .yml")


def _take(section: Mapping[str, Any], where: str, allowed: Sequence[str]) -> dict[str, Any]:
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise ScenarioFileError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    return dict(section)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioFileError(f"{where}: expected a number, got {value!r}")
    return float(value)


def distribution(spec: Any, where: str) -> Distribution:
    """``{type = "lognormal", median = 0.1, sigma = 0.5}`` and friends; a bare number is a constant."""
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return Constant(float(spec))
    if not isinstance(spec, Mapping) or "type" not in spec:
        raise ScenarioFileError(f"{where}: expected a number or a table with a 'type', got {spec!r}")
    kind = spec["type"]
    try:
        if kind == "constant":
            _take(spec, where, ["type", "value"])
            return Constant(_number(spec["value"], f"{where}.value"))
        if kind == "exponential":
            _take(spec, where, ["type", "mean"])
            return Exponential(_number(spec["mean"], f"{where}.mean"))
        if kind == "lognormal":
            _take(spec, where, ["type", "median", "sigma"])
            return LogNormal(_number(spec["median"], f"{where}.median"), _number(spec["sigma"], f"{where}.sigma"))
        if kind == "empirical":
            _take(spec, where, ["type", "samples"])
            return Empirical([_number(v, f"{where}.samples") for v in spec["samples"]])
    except KeyError as exc:
        raise ScenarioFileError(f"{where}: '{kind}' needs {exc.args[0]!r}") from None
    known = "constant, exponential, lognormal, empirical"
    raise ScenarioFileError(f"{where}: unknown distribution type {kind!r} ({known})")


def init_distribution(spec: Any, where: str) -> Distribution:
    """A distribution, or ``{runtime = "python3.12"}`` for a measured preset (see presets.py)."""
    if isinstance(spec, Mapping) and "runtime" in spec:
        _take(spec, where, ["runtime"])
        preset = COLD_START_PRESETS.get(spec["runtime"])
        if preset is None:
            known = sorted(COLD_START_PRESETS)
            raise ScenarioFileError(f"{where}: unknown runtime {spec['runtime']!r}; known: {known}")
        return Constant(preset.extra)
    return distribution(spec, where)


def arrivals(spec: Any, where: str, base: Path) -> Arrivals:
    """``{type = "poisson", rate = 5}``, constant, burst (base_rate, bursts = [[start, duration, rate]]),
    diurnal (mean_rate, amplitude, period, peak_at) or replay (timestamps = [...] or file = "times.csv")."""
    if not isinstance(spec, Mapping) or "type" not in spec:
        raise ScenarioFileError(f"{where}: expected a table with a 'type', got {spec!r}")
    kind = spec["type"]
    try:
        if kind == "poisson":
            _take(spec, where, ["type", "rate"])
            return PoissonArrivals(_number(spec["rate"], f"{where}.rate"))
        if kind == "constant":
            _take(spec, where, ["type", "rate"])
            return ConstantRateArrivals(_number(spec["rate"], f"{where}.rate"))
        if kind == "burst":
            _take(spec, where, ["type", "base_rate", "bursts"])
            bursts = tuple(tuple(_number(x, f"{where}.bursts") for x in b) for b in spec.get("bursts", ()))
            if any(len(b) != 3 for b in bursts):
                raise ScenarioFileError(f"{where}.bursts: each burst is [start, duration, rate]")
            return BurstArrivals(_number(spec["base_rate"], f"{where}.base_rate"), bursts)  # type: ignore[arg-type]
        if kind == "diurnal":
            params = _take(spec, where, ["type", "mean_rate", "amplitude", "period", "peak_at"])
            params.pop("type")
            return DiurnalArrivals(**{k: _number(v, f"{where}.{k}") for k, v in params.items()})
        if kind == "replay":
            _take(spec, where, ["type", "timestamps", "file"])
            if "file" in spec:
                file = base / spec["file"]
                if not file.is_file():
                    raise ScenarioFileError(f"{where}.file: {file} does not exist")
                text = file.read_text(encoding="utf-8").replace(",", "\n").split()
                return ReplayedArrivals([float(v) for v in text if _is_number(v)])
            return ReplayedArrivals([_number(v, f"{where}.timestamps") for v in spec["timestamps"]])
    except KeyError as exc:
        raise ScenarioFileError(f"{where}: '{kind}' needs {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ScenarioFileError):
            raise
        raise ScenarioFileError(f"{where}: {exc}") from None
    raise ScenarioFileError(f"{where}: unknown arrivals type {kind!r} (poisson, constant, burst, diurnal, replay)")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def caller(spec: Any, where: str) -> Synchronous | Asynchronous:
    if spec is None:
        return Synchronous()
    if not isinstance(spec, Mapping):
        raise ScenarioFileError(f"{where}: expected a table such as {{type = 'sync', max_attempts = 3}}")
    kind = spec.get("type", "sync")
    params = dict(spec)
    params.pop("type", None)
    cls = {"sync": Synchronous, "async": Asynchronous}.get(kind)
    if cls is None:
        raise ScenarioFileError(f"{where}: caller type is 'sync' or 'async', got {kind!r}")
    _take(params, where, [f.name for f in fields(cls)])
    if "error_delays" in params:
        params["error_delays"] = tuple(params["error_delays"])
    return cls(**params)


FUNCTION_KEYS = [
    "name", "arrivals", "duration", "init_duration", "memory_mb", "architecture", "keep_alive", "routing",
    "reserved_concurrency", "provisioned_concurrency", "caller", "error_rate", "database",
]


def function_spec(spec: Any, where: str, base: Path) -> FunctionSpec:
    if not isinstance(spec, Mapping):
        raise ScenarioFileError(f"{where}: expected a table")
    params = _take(spec, where, FUNCTION_KEYS)
    for required in ("name", "arrivals", "duration"):
        if required not in params:
            raise ScenarioFileError(f"{where}: a function needs '{required}'")
    params["arrivals"] = arrivals(params["arrivals"], f"{where}.arrivals", base)
    params["duration"] = distribution(params["duration"], f"{where}.duration")
    if "init_duration" in params:
        params["init_duration"] = init_distribution(params["init_duration"], f"{where}.init_duration")
    params["caller"] = caller(params.get("caller"), f"{where}.caller")
    return FunctionSpec(**params)


def build_account(data: Mapping[str, Any], base: Path = Path(".")) -> tuple[Account, dict[str, Any]]:
    """The ``Account`` a scenario file describes, and its ``[run]`` settings."""
    _take(data, "scenario", ["run", "account", "database", "functions", "queues"])
    run = _take(data.get("run", {}), "[run]", ["name", "horizon", "seed", "engine"])
    if "horizon" not in run:
        raise ScenarioFileError("[run]: 'horizon' (seconds of arrivals) is required")
    horizon = _number(run["horizon"], "[run].horizon")
    section = _take(data.get("account", {}), "[account]", [
        "concurrency_limit", "scaling", "region", "requests_per_concurrency", "unreserved_minimum",
    ])
    region = section.pop("region", "us-east-1")
    scaling_name = section.pop("scaling", "per-function")
    scaling: PerFunctionScaling | RegionalBurstScaling | None
    if scaling_name == "per-function":
        scaling = PerFunctionScaling()
    elif scaling_name == "regional":
        scaling = RegionalBurstScaling.for_region(region)
    elif scaling_name in ("none", None):
        scaling = None
    else:
        raise ScenarioFileError(f"[account].scaling: 'per-function', 'regional' or 'none', got {scaling_name!r}")
    database = None
    if "database" in data:
        db = _take(data["database"], "[database]", ["max_connections", "memory_gib", "engine", "proxy"])
        proxy = None
        if "proxy" in db:
            proxy = RdsProxy(**_take(db["proxy"] or {}, "[database].proxy", ["max_connections_percent"]))
        if "max_connections" in db:
            database = Database(int(db["max_connections"]), proxy)
        elif "memory_gib" in db:
            database = Database.rds(_number(db["memory_gib"], "[database].memory_gib"), db.get("engine", "postgres"),
                                    proxy)
        else:
            raise ScenarioFileError("[database]: give max_connections, or memory_gib for RDS's formula")
    functions = data.get("functions")
    if not functions:
        raise ScenarioFileError("a scenario needs at least one [[functions]] entry")
    specs = tuple(function_spec(f, f"[[functions]] #{i + 1}", base) for i, f in enumerate(functions))
    try:
        account = Account(specs, horizon=horizon, scaling=scaling, database=database, region=region, **section)
    except TypeError as exc:
        raise ScenarioFileError(f"[account]: {exc}") from None
    return account, run


QUEUE_KEYS = ["name", "arrivals", "processing", "horizon", "failure_rate", "function_concurrency",
              *[f.name for f in fields(SqsEventSource)]]


def build_queues(data: Mapping[str, Any], horizon: float, base: Path = Path(".")) -> list[tuple[str, SqsScenario]]:
    queues = []
    for i, spec in enumerate(data.get("queues", []) or []):
        where = f"[[queues]] #{i + 1}"
        params = _take(spec, where, QUEUE_KEYS)
        for required in ("name", "arrivals", "processing"):
            if required not in params:
                raise ScenarioFileError(f"{where}: a queue needs '{required}'")
        mapping = SqsEventSource(**{f.name: params[f.name] for f in fields(SqsEventSource) if f.name in params})
        scenario = SqsScenario(
            arrivals=arrivals(params["arrivals"], f"{where}.arrivals", base),
            processing=distribution(params["processing"], f"{where}.processing"),
            horizon=_number(params.get("horizon", horizon), f"{where}.horizon"),
            mapping=mapping,
            failure_rate=_number(params.get("failure_rate", 0.0), f"{where}.failure_rate"),
            function_concurrency=params.get("function_concurrency"),
        )
        queues.append((str(params["name"]), scenario))
    return queues


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, np.floating | np.integer):
        return _jsonable(value.item())
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def summary(result: AccountResult, cost: AccountCost) -> dict[str, Any]:
    """Everything a reader of ``result.json`` needs, as plain data."""
    functions = {}
    for name, fr in result.functions.items():
        row = {f.name: getattr(fr, f.name) for f in fields(fr)}
        row["throttled_fraction"] = fr.throttled_fraction
        row["monthly_cost"] = asdict(cost.functions[name]) | {"total": cost.functions[name].total}
        functions[name] = row
    return _jsonable({
        "seed": result.seed,
        "engine": result.engine,
        "horizon": result.account.horizon,
        "requests": result.requests,
        "attempts": result.attempts,
        "executions": result.executions,
        "throttles": result.throttles,
        "database_refusals": result.database_refusals,
        "outcomes": result.outcomes,
        "peak_concurrency": result.peak_concurrency,
        "mean_concurrency": result.mean_concurrency,
        "peak_connections": result.peak_connections,
        "mean_connections": result.mean_connections,
        "monthly_cost": asdict(cost.total) | {"total": cost.total.total},
        "monthly_cost_basis": "the run's traffic repeated for a 730-hour month, us-east-1 prices, free tier applied "
                              "to the account total (per-function costs are before the free tier)",
        "functions": functions,
    })


def sqs_summary(result: SqsResult) -> dict[str, Any]:
    return _jsonable({
        "sent": result.sent,
        "deleted": result.deleted,
        "in_dlq": result.in_dlq,
        "visible": result.visible,
        "in_flight": result.in_flight,
        "batches": result.batches,
        "throttled_batches": result.throttled_batches,
        "failed_processings": result.failed_processings,
        "peak_batches": result.peak_batches,
        "peak_visible": result.peak_visible,
        "delivered_twice_fraction": result.delivered_twice_fraction,
        "duplicate_fraction": result.duplicate_fraction,
        "mean_age_at_delete": result.mean_age_at_delete,
    })


def write_outputs(out: Path, result: AccountResult, cost: AccountCost, queues: list[tuple[str, SqsResult]],
                  inputs: Mapping[str, Any], plots: bool = True) -> list[Path]:
    """Write the JSON, CSV and PNG files; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    document = summary(result, cost)
    document["queues"] = {name: sqs_summary(q) for name, q in queues}
    document["inputs"] = _jsonable(inputs)
    path = out / "result.json"
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    written.append(path)

    path = out / "functions.csv"
    columns = ["name", "requests", "attempts", "executions", "cold_starts", "throttles", "database_refusals",
               "errors", "cold_start_fraction", "mean_busy", "peak_busy", "mean_live", "peak_live",
               "provisioned_utilisation", "latency_p50", "latency_p95", "latency_p99"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*columns, "succeeded", "failed", "throttled", "dropped", "monthly_cost"])
        for name, fr in result.functions.items():
            writer.writerow([getattr(fr, c) for c in columns] + list(fr.outcomes.values())
                            + [round(cost.functions[name].total, 4)])
    written.append(path)

    path = out / "timeseries.csv"
    names = list(result.functions)
    series = result.series
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["time", *[f"busy_{n}" for n in names], *[f"throttles_{n}" for n in names], "connections"])
        for k, t in enumerate(series.start):
            writer.writerow([round(float(t), 6), *[round(float(series.busy[i][k]), 6) for i in range(len(names))],
                             *[int(series.throttles[i][k]) for i in range(len(names))],
                             round(float(series.connections[k]), 6)])
    written.append(path)

    for name, q in queues:
        path = out / f"sqs-{name}.json"
        path.write_text(json.dumps(sqs_summary(q), indent=2) + "\n", encoding="utf-8")
        written.append(path)
        path = out / f"sqs-{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["time", "visible", "in_flight", "in_dlq", "deleted", "batches"])
            s = q.series
            for row in zip(s.times, s.visible, s.in_flight, s.in_dlq, s.deleted, s.batches, strict=True):
                writer.writerow([round(float(row[0]), 6), *[int(v) for v in row[1:]]])
        written.append(path)

    if plots:
        from lambdalab.sim.plots import plot_concurrency, plot_latency_percentiles, plot_sqs

        figures = {
            "concurrency.png": plot_concurrency(result, title=str(inputs.get("run", {}).get("name", "scenario"))),
            "latency.png": plot_latency_percentiles(dict(result.functions)),
            **{f"sqs-{name}.png": plot_sqs(q, title=f"SQS queue {name}") for name, q in queues},
        }
        for filename, fig in figures.items():
            path = out / filename
            fig.savefig(path, dpi=100)
            written.append(path)
    return written


def run_file(path: str | Path, out: str | Path | None = None, *, seed: int | None = None, engine: str | None = None,
             plots: bool = True, progress: bool | None = None) -> tuple[AccountResult, list[Path]]:
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
    parser = argparse.ArgumentParser(prog="lambdalab sim", description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path, help="a .toml or .yaml scenario file")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: sim-results/NAME)")
    parser.add_argument("--seed", type=int, default=None, help="override [run].seed")
    parser.add_argument("--engine", choices=["fast", "simpy"], default=None, help="override [run].engine")
    parser.add_argument("--no-plots", action="store_true", help="write JSON and CSV only")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show a progress bar (default: only for long runs)")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        result, files = run_file(args.scenario, args.out, seed=args.seed, engine=args.engine,
                                 plots=not args.no_plots, progress=args.progress)
    except ScenarioFileError as exc:
        print(f"lambdalab sim: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a model refusing an impossible setting, in its own words
        print(f"lambdalab sim: {args.scenario}: {exc}", file=sys.stderr)
        return 2
    cost = price_account(result).total.total
    print(f"{args.scenario}: {result.requests:,} requests, {result.throttles:,} throttled attempts, "
          f"peak concurrency {result.peak_concurrency:,}, ${cost:,.2f} a month")
    for path in files:
        print(f"  wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
