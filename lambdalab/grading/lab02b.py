"""Lesson 02b's lab: sizing concurrency from traffic, concurrency available under each scaling model, the
break-even traffic for provisioned concurrency, and a connection budget for reserved concurrency.

Every check runs the learner's function in a real execution environment (a probe calls it there), on
inputs drawn fresh each time, and compares with lambdalab's own models: Little's law and the
requests-per-second cap, ``sim.scaling.scale_out`` (the model validation case 6 holds to AWS's published
numbers), the pricing arithmetic of ``sim.cost``, and RDS's ``max_connections`` formula in ``sim.database``.
Feedback names the input that went wrong and what was expected for it, never the formula.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from lambdalab.aws_facts import REQUESTS_PER_CONCURRENCY
from lambdalab.grading import checker, exercise, failed, passed
from lambdalab.grading.fixtures import deploy_with_probe, describe_failure
from lambdalab.grading.probes import FUNCTION_PROBE
from lambdalab.grading.results import CheckResult

check = checker("02b")

SIZING_FILE = "lab02b/ex1/sizing.py"
SCALING_FILE = "lab02b/ex2/scaling.py"
BREAK_EVEN_FILE = "lab02b/ex3/breakeven.py"
CONNECTIONS_FILE = "lab02b/ex4/connections.py"

GIB = 1024**3


def _run(answer: Path, relative: str, function: str, calls: list[dict]) -> tuple[list | None, CheckResult | None]:
    """Call the learner's ``function`` once per kwargs dict, inside a real execution environment."""
    fn = deploy_with_probe(answer, relative, FUNCTION_PROBE, function=function, timeout=20)
    try:
        result = fn.invoke({"calls": calls})
    finally:
        fn.delete()
    if not result.ok:
        return None, failed(
            expected=f"{function}(...) to return a value for each input",
            got=describe_failure(result),
            hint=f"run the %%writefile cell, then try {function} on the example in the notebook",
        )
    return result.payload, None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _near_integer(x: float) -> bool:
    return abs(x - round(x)) < 1e-6


# --- exercise 1 ------------------------------------------------------------------------------------------


def reference_concurrency(requests_per_second: float, duration_ms: float) -> int:
    """Little's law (busy = rate x duration), rounded up, and never below what the 10 x concurrency
    requests-per-second cap needs."""
    by_duration = math.ceil(requests_per_second * duration_ms / 1000 - 1e-9)
    by_rate = math.ceil(requests_per_second / REQUESTS_PER_CONCURRENCY - 1e-9)
    return max(by_duration, by_rate)


def _sizing_inputs(rng: random.Random) -> list[dict]:
    """Half long requests (Little's law decides), half very short ones (the rate cap decides), none whose
    answer sits within rounding noise of an integer."""
    calls: list[dict] = []
    while len(calls) < 12:
        short = len(calls) % 2 == 1
        rate = round(rng.uniform(5, 3000), 1)
        duration = rng.randrange(5, 60) if short else rng.randrange(150, 5000)
        if _near_integer(rate * duration / 1000) or _near_integer(rate / REQUESTS_PER_CONCURRENCY):
            continue
        calls.append({"requests_per_second": rate, "duration_ms": duration})
    return calls


@exercise(lab="02b", number=1, title="Size concurrency from traffic", files=[SIZING_FILE])
def size_concurrency(answer: Path) -> CheckResult:
    calls = _sizing_inputs(random.Random())
    payload, failure = _run(answer, SIZING_FILE, "concurrency_needed", calls)
    if failure:
        return failure
    assert payload is not None
    for call, got in zip(calls, payload, strict=True):
        want = reference_concurrency(**call)
        if not isinstance(got, int) or isinstance(got, bool):
            return failed(
                expected="a whole number of concurrent executions (an int)",
                got=f"{got!r} for {call['requests_per_second']} requests/s of {call['duration_ms']} ms",
                hint="concurrency is a count of environments: round up, and return an int",
            )
        if got != want:
            rate_binds = math.ceil(call["requests_per_second"] / REQUESTS_PER_CONCURRENCY - 1e-9) > math.ceil(
                call["requests_per_second"] * call["duration_ms"] / 1000 - 1e-9
            )
            hint = (
                "these requests are so short that another Lambda limit binds first: requests per second are "
                "capped at 10 x the concurrency limit"
                if rate_binds
                else "on average, busy environments = arrival rate x time each request holds one (in seconds); "
                "a limit below that throttles even steady traffic"
            )
            return failed(
                expected=f"{want} for {call['requests_per_second']} requests/s of {call['duration_ms']} ms",
                got=str(got),
                hint=hint,
            )
    return passed(got=f"right for {len(calls)} unseen traffic levels, long requests and very short ones")


# --- exercise 2 ------------------------------------------------------------------------------------------

REGIONS = [
    "us-east-1",
    "eu-west-1",
    "us-west-2",
    "eu-central-1",
    "ap-northeast-1",
    "us-east-2",
    "sa-east-1",
    "ap-south-1",
    "ca-central-1",
]


def reference_available(model: str, seconds: int, demand: int, account_limit: int, region: str) -> int:
    """Environments available ``seconds`` after demand jumped from 0 to ``demand``, by ``scale_out``."""
    from lambdalab.sim.scaling import PerFunctionScaling, RegionalBurstScaling, scale_out

    scaling = PerFunctionScaling() if model == "per-function" else RegionalBurstScaling.for_region(region)
    _, available = scale_out(scaling, lambda t: demand, account_limit, horizon=seconds, step=0.1)
    return int(available[-1])


#: The regional burst each group of Regions had before Nov 2023 (one of each is always among the inputs).
BURST_GROUPS = (
    ("us-east-1", "eu-west-1", "us-west-2"),
    ("eu-central-1", "ap-northeast-1", "us-east-2"),
    ("sa-east-1", "ap-south-1", "ca-central-1"),
)


def _scaling_inputs(rng: random.Random) -> list[dict]:
    """Twelve jumps in demand: random values, but always one case for every rule the check teaches — each
    burst size of the regional model after a minute or more, per-function growth within the first minute,
    an account limit that binds, a demand that binds — so that an answer missing one rule cannot pass."""

    def call(model: str, seconds: int, demand: int, account_limit: int, region: str) -> dict:
        return {"model": model, "seconds": seconds, "demand": demand, "account_limit": account_limit, "region": region}

    calls = [
        call("regional", rng.randrange(60, 400), rng.randrange(20_000, 40_000), 50_000, rng.choice(group))
        for group in BURST_GROUPS
    ]
    calls.append(call("per-function", rng.randrange(1, 60), rng.randrange(20_000, 40_000), 50_000, rng.choice(REGIONS)))
    calls.append(
        call(
            "per-function",
            rng.randrange(60, 400),
            rng.randrange(20_000, 40_000),
            rng.randrange(1_000, 3_000),
            rng.choice(REGIONS),
        )
    )
    calls.append(call("per-function", rng.randrange(0, 60), rng.randrange(500, 900), 10_000, rng.choice(REGIONS)))
    while len(calls) < 12:
        calls.append(
            call(
                "per-function" if len(calls) % 2 == 0 else "regional",
                rng.choice([0, rng.randrange(1, 60), rng.randrange(60, 400), rng.randrange(400, 900)]),
                rng.randrange(500, 40_000),
                rng.choice([1000, 3000, 10_000, rng.randrange(2000, 50_000)]),
                rng.choice(REGIONS),
            )
        )
    rng.shuffle(calls)
    return calls


@exercise(lab="02b", number=2, title="Concurrency available under each scaling model", files=[SCALING_FILE])
def available_concurrency(answer: Path) -> CheckResult:
    calls = _scaling_inputs(random.Random())
    payload, failure = _run(answer, SCALING_FILE, "available_concurrency", calls)
    if failure:
        return failure
    assert payload is not None
    for call, got in zip(calls, payload, strict=True):
        want = reference_available(**call)
        if got != want:
            where = (
                f"{call['model']} scaling, {call['seconds']} s after demand jumped to {call['demand']:,} "
                f"(account limit {call['account_limit']:,}, {call['region']})"
            )
            if call["model"] == "per-function":
                hint = (
                    "since Nov 2023 each function starts with 1,000 and gains 100 more every second (1,000 per "
                    "10 s, refilled continuously); never more than the demand or the account limit"
                )
            else:
                hint = (
                    "before Nov 2023 the burst depended on the Region (3,000, 1,000 or 500), then 500 more at "
                    "the end of each whole minute; never more than the demand or the account limit"
                )
            return failed(expected=f"{want:,} for {where}", got=repr(got), hint=hint)
    return passed(got=f"matched lambdalab's scaling model on {len(calls)} unseen jumps in demand, both models")


# --- exercise 3 ------------------------------------------------------------------------------------------


def reference_break_even(provisioned: int, duration_ms: float, memory_mb: int, prices: dict) -> float:
    """Requests per second at which ``provisioned`` environments, enabled all month, cost what on-demand
    would for the same requests. Memory multiplies both sides and cancels; request fees are equal."""
    saved_per_request = duration_ms / 1000 * (prices["on_demand_gb_second"] - prices["provisioned_execution_gb_second"])
    return provisioned * prices["provisioned_gb_second"] / saved_per_request


def _break_even_inputs(rng: random.Random) -> list[dict]:
    calls = []
    for _ in range(10):
        on_demand = 0.0000166667 * rng.uniform(0.6, 1.6)
        execution = on_demand * rng.uniform(0.4, 0.7)
        enabled = (on_demand - execution) * rng.uniform(0.2, 0.9)  # break-even below full utilisation
        calls.append(
            {
                "provisioned": rng.randrange(1, 200),
                "duration_ms": rng.choice([rng.randrange(20, 200), rng.randrange(200, 3000)]),
                "memory_mb": rng.choice([128, 512, 1024, 1769, 4096]),
                "prices": {
                    "on_demand_gb_second": on_demand,
                    "provisioned_gb_second": enabled,
                    "provisioned_execution_gb_second": execution,
                },
            }
        )
    return calls


@exercise(lab="02b", number=3, title="The traffic where provisioned concurrency pays", files=[BREAK_EVEN_FILE])
def break_even(answer: Path) -> CheckResult:
    calls = _break_even_inputs(random.Random())
    payload, failure = _run(answer, BREAK_EVEN_FILE, "break_even_rate", calls)
    if failure:
        return failure
    assert payload is not None
    for call, got in zip(calls, payload, strict=True):
        want = reference_break_even(**call)
        where = (
            f"{call['provisioned']} provisioned environments of {call['memory_mb']} MB, requests of "
            f"{call['duration_ms']} ms, at the prices given"
        )
        if not _is_number(got):
            return failed(expected=f"a number of requests per second for {where}", got=repr(got), hint="return a float")
        if not math.isclose(got, want, rel_tol=1e-6):
            ratio = got / want if want else float("inf")
            hint = (
                "every GB-second that runs on a provisioned environment saves the difference between the "
                "on-demand and the provisioned execution price; the enabled price is paid all month either way"
            )
            if math.isclose(ratio, call["memory_mb"] / 1024, rel_tol=1e-6) or math.isclose(
                ratio, 1024 / call["memory_mb"], rel_tol=1e-6
            ):
                hint = "memory multiplies both bills: it should cancel out"
            elif math.isclose(ratio, 1000, rel_tol=1e-6) or math.isclose(ratio, 1e-3, rel_tol=1e-6):
                hint = "the duration is given in milliseconds, prices per GB-second"
            return failed(expected=f"{want:.4g} requests/s for {where}", got=f"{got:.4g}", hint=hint)
    return passed(got=f"right for {len(calls)} unseen sizes, durations and price lists")


# --- exercise 4 ------------------------------------------------------------------------------------------


def reference_max_reserved(
    memory_gib: float, engine: str, connections_per_environment: int, other_connections: int
) -> int:
    from lambdalab.sim.database import rds_max_connections

    spare = rds_max_connections(memory_gib * GIB, engine) - other_connections
    return max(0, spare // connections_per_environment)


def _connection_inputs(rng: random.Random) -> list[dict]:
    """Twelve databases: random values, but always one case for every rule the check teaches — PostgreSQL's
    5,000 cap, MySQL's and MariaDB's formula, rounding down with several connections per environment, and
    other clients holding more than the database has (the answer is 0) — so that no rule can be skipped."""

    def call(memory: float, engine: str, per_environment: int, others: int) -> dict:
        return {
            "memory_gib": memory,
            "engine": engine,
            "connections_per_environment": per_environment,
            "other_connections": others,
        }

    calls = [
        call(rng.choice([64, 128, 256]), "postgres", rng.choice([1, 2, 3]), rng.randrange(0, 50)),
        call(
            rng.choice([1, 2, 4, 8, 16, 32]), rng.choice(["mysql", "mariadb"]), rng.choice([1, 2]), rng.randrange(0, 50)
        ),
        _rounding_case(rng, call),
        call(0.5, rng.choice(["postgres", "mysql"]), 1, rng.randrange(60, 400)),
    ]
    while len(calls) < 12:
        memory = rng.choice([0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256])
        engine = "postgres" if len(calls) % 3 else rng.choice(["mysql", "mariadb"])
        calls.append(
            call(
                memory,
                engine,
                rng.choice([1, 1, 2, 3, 5]),
                rng.choice([0, rng.randrange(1, 50), rng.randrange(50, 400)]),
            )
        )
    rng.shuffle(calls)
    return calls


def _rounding_case(rng: random.Random, call) -> dict:
    """PostgreSQL with several connections per environment and a spare count that does not divide evenly."""
    from lambdalab.sim.database import rds_max_connections

    memory, per_environment, others = rng.choice([1, 2, 4, 8, 16]), rng.choice([2, 3, 5]), rng.randrange(1, 50)
    while (rds_max_connections(memory * GIB, "postgres") - others) % per_environment == 0:
        others += 1
    return call(memory, "postgres", per_environment, others)


@exercise(lab="02b", number=4, title="A connection budget for reserved concurrency", files=[CONNECTIONS_FILE])
def connection_budget(answer: Path) -> CheckResult:
    calls = _connection_inputs(random.Random())
    payload, failure = _run(answer, CONNECTIONS_FILE, "max_reserved_concurrency", calls)
    if failure:
        return failure
    assert payload is not None
    for call, got in zip(calls, payload, strict=True):
        want = reference_max_reserved(**call)
        where = (
            f"a {call['memory_gib']:g} GiB {call['engine']} instance, {call['connections_per_environment']} "
            f"connection(s) per environment, {call['other_connections']} held by other clients"
        )
        if got != want:
            if call["engine"] != "postgres":
                hint = "MySQL and MariaDB divide DBInstanceClassMemory by 12,582,880 and have no 5,000 cap"
            elif call["memory_gib"] >= 64:
                hint = "PostgreSQL's default is LEAST(memory / 9,531,392, 5000): large instances hit the cap"
            else:
                hint = (
                    "connections opened at init are held by every live environment, and a reserved concurrency "
                    "of R allows up to R environments; round down, never below 0"
                )
            return failed(expected=f"{want} for {where}", got=repr(got), hint=hint)
    return passed(got=f"right for {len(calls)} unseen databases and connection habits")
