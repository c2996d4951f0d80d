"""A scenario file read into the simulator's objects: an ``Account`` and its SQS queues.

Every mistake is a :class:`ScenarioFileError` that names the section and key (``[[functions]] #2.duration``)
and says what was expected, so ``lambdalab sim`` can print one line and exit 2.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from lambdalab.aws_facts import DEFAULT_REGION
from lambdalab.sim.account import Account, FunctionSpec
from lambdalab.sim.arrivals import Arrivals, ConstantRateArrivals, PoissonArrivals, ReplayedArrivals
from lambdalab.sim.callers import Asynchronous, Synchronous
from lambdalab.sim.database import Database, RdsProxy
from lambdalab.sim.distributions import Constant, Distribution, Empirical, Exponential, LogNormal
from lambdalab.sim.presets import COLD_START_PRESETS
from lambdalab.sim.scaling import PerFunctionScaling, RegionalBurstScaling
from lambdalab.sim.sqs_mapping import SqsEventSource, SqsScenario
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


@dataclass(frozen=True)
class NumericType:
    """A ``type`` whose keys are all numbers: what it makes, and its keys (required, then optional)."""

    make: Callable[..., Any]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    def build(self, spec: Mapping[str, Any], where: str) -> Any:
        _take(spec, where, ["type", *self.required, *self.optional])
        values = {key: _number(spec[key], f"{where}.{key}") for key in self.required}  # KeyError: "needs"
        values |= {key: _number(spec[key], f"{where}.{key}") for key in self.optional if key in spec}
        return self.make(**values)


#: The types a file may name, one table each: a new one is a row here (and, if its keys are not all
#: numbers, a branch in ``distribution`` or ``arrivals``).
DISTRIBUTION_TYPES: dict[str, NumericType] = {
    "constant": NumericType(Constant, ("value",)),
    "exponential": NumericType(Exponential, ("mean",)),
    "lognormal": NumericType(LogNormal, ("median", "sigma")),
}
ARRIVAL_TYPES: dict[str, NumericType] = {
    "poisson": NumericType(PoissonArrivals, ("rate",)),
    "constant": NumericType(ConstantRateArrivals, ("rate",)),
    "diurnal": NumericType(DiurnalArrivals, ("mean_rate",), ("amplitude", "period", "peak_at")),
}


def distribution(spec: Any, where: str) -> Distribution:
    """``{type = "lognormal", median = 0.1, sigma = 0.5}`` and friends; a bare number is a constant."""
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return Constant(float(spec))
    if not isinstance(spec, Mapping) or "type" not in spec:
        raise ScenarioFileError(f"{where}: expected a number or a table with a 'type', got {spec!r}")
    kind = spec["type"]
    try:
        if kind in DISTRIBUTION_TYPES:
            return DISTRIBUTION_TYPES[kind].build(spec, where)
        if kind == "empirical":
            _take(spec, where, ["type", "samples"])
            return Empirical([_number(v, f"{where}.samples") for v in spec["samples"]])
    except KeyError as exc:
        raise ScenarioFileError(f"{where}: '{kind}' needs {exc.args[0]!r}") from None
    known = ", ".join([*DISTRIBUTION_TYPES, "empirical"])
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
        if kind in ARRIVAL_TYPES:
            return ARRIVAL_TYPES[kind].build(spec, where)
        if kind == "burst":
            _take(spec, where, ["type", "base_rate", "bursts"])
            bursts = tuple(tuple(_number(x, f"{where}.bursts") for x in b) for b in spec.get("bursts", ()))
            if any(len(b) != 3 for b in bursts):
                raise ScenarioFileError(f"{where}.bursts: each burst is [start, duration, rate]")
            return BurstArrivals(_number(spec["base_rate"], f"{where}.base_rate"), bursts)  # type: ignore[arg-type]
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
    known = ", ".join([*ARRIVAL_TYPES, "burst", "replay"])
    raise ScenarioFileError(f"{where}: unknown arrivals type {kind!r} ({known})")


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
    "name",
    "arrivals",
    "duration",
    "init_duration",
    "memory_mb",
    "architecture",
    "keep_alive",
    "routing",
    "reserved_concurrency",
    "provisioned_concurrency",
    "caller",
    "error_rate",
    "database",
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
    section = _take(
        data.get("account", {}),
        "[account]",
        [
            "concurrency_limit",
            "scaling",
            "region",
            "requests_per_concurrency",
            "unreserved_minimum",
        ],
    )
    region = section.pop("region", DEFAULT_REGION)
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
            database = Database.rds(
                _number(db["memory_gib"], "[database].memory_gib"), db.get("engine", "postgres"), proxy
            )
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


QUEUE_KEYS = [
    "name",
    "arrivals",
    "processing",
    "horizon",
    "failure_rate",
    "function_concurrency",
    *[f.name for f in fields(SqsEventSource)],
]


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
