"""Lesson 08's lab: size an unseen production service and defend the sizing with measurements.

Five exercises, each run in a real execution environment (a probe calls the learner's function there) on
inputs drawn fresh each time:

1. memory: the cheapest memory size whose measured p99 meets the objective (the billing arithmetic of
   ``sim.cost``: GB-seconds at 1 ms granularity);
2. reserved concurrency within a database budget, **graded by simulation**: the learner's number is run in
   ``sim.simulate_account`` (Poisson arrivals, synchronous callers that do not retry, connections opened at
   init) and must throttle at most 1 % of requests while never exceeding the database's free connections;
3. the SQS queue and mapping settings AWS's guidance gives (visibility timeout, redrive, maximum concurrency);
4. alarms, **graded by a live replay**: the learner's ``put_metric_alarm`` arguments are created for two real
   functions, a healthy one and one replaying an incident (throttles and failures); the incident's throttle
   and error alarms must fire and nothing on the healthy function may;
5. provisioned concurrency for the busy hours, **graded by simulation** (``sim.busy_hours``): at the traffic
   step that opens the busy hours, every minute's p99 must meet the objective, and the month's bill must be
   within ``COST_MARGIN`` of the cheapest provisioned concurrency that meets it on the same simulated traffic.

Feedback names the input that went wrong and what the measurement was, never the formula.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import threading
import uuid
from pathlib import Path

from lambdalab.aws_facts import REQUESTS_PER_CONCURRENCY
from lambdalab.grading import checker, exercise, failed, passed
from lambdalab.grading.probes import FUNCTION_PROBE, deploy_with_probe, describe_failure
from lambdalab.grading.results import CheckResult

check = checker("08")

MEMORY_FILE = "lab08/ex1/memory.py"
RESERVED_FILE = "lab08/ex2/reserved.py"
QUEUE_FILE = "lab08/ex3/queue.py"
ALARMS_FILE = "lab08/ex4/alarms.py"

MAX_THROTTLED = 0.01
GB_SECOND = 0.0000166667  # x86 us-east-1 (sim.cost.US_EAST_1)


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


# --- exercise 1: memory ----------------------------------------------------------------------------------


def cost_per_million(memory_mb: int, mean_ms: float) -> float:
    """Compute dollars per million requests: GB x billed seconds (rounded up to the ms) x the GB-s price."""
    return memory_mb / 1024 * math.ceil(mean_ms) / 1000 * GB_SECOND * 1e6


def reference_memory(measurements: list[dict], p99_objective_ms: float) -> int | None:
    fitting = [m for m in measurements if m["p99_ms"] <= p99_objective_ms]
    if not fitting:
        return None
    return min(fitting, key=lambda m: (cost_per_million(m["memory_mb"], m["mean_ms"]), m["memory_mb"]))["memory_mb"]


def _memory_inputs(rng: random.Random) -> list[dict]:
    """Measured tables of a handler with a CPU part (faster with memory up to 1,769 MB, one vCPU), a waiting
    part, and a working set: below it, garbage collection and paging make the CPU part much slower, so the
    cheapest size is near the working set. Half the objectives are loose (the cheapest size fits, and it is
    not the smallest that fits), half tight (the cheapest size misses them)."""
    calls: list[dict] = []
    sizes = [128, 256, 512, 1024, 1769, 2048, 3008]
    while len(calls) < 8:
        cpu_ms, wait_ms, working_set = rng.uniform(100, 800), rng.uniform(5, 60), rng.choice([384, 600, 900])
        table = []
        for m in sizes:
            pressure = max(1.0, working_set / m) ** 1.5
            mean = wait_ms + cpu_ms * 1769 / min(m, 1769) * pressure
            table.append({"memory_mb": m, "mean_ms": round(mean, 1), "p99_ms": round(mean * 1.8, 1)})
        cheapest = min(table, key=lambda t: cost_per_million(t["memory_mb"], t["mean_ms"]))
        loose = len(calls) % 2 == 0
        if loose:
            objective = round(cheapest["p99_ms"] * rng.uniform(1.5, 3), 1)
        else:
            objective = round(cheapest["p99_ms"] * rng.uniform(0.5, 0.9), 1)
        want = reference_memory(table, objective)
        if want is None:
            continue
        smallest = min(t["memory_mb"] for t in table if t["p99_ms"] <= objective)
        if (loose and want == smallest) or (not loose and want == cheapest["memory_mb"]):
            continue
        calls.append({"measurements": table, "p99_objective_ms": objective})
    rng.shuffle(calls)
    return calls


@exercise(lab="08", number=1, title="The cheapest memory that meets the latency objective", files=[MEMORY_FILE])
def choose_memory(answer: Path) -> CheckResult:
    calls = _memory_inputs(random.Random())
    payload, failure = _run(answer, MEMORY_FILE, "choose_memory", calls)
    if failure:
        return failure
    assert payload is not None
    for call, got in zip(calls, payload, strict=True):
        want = reference_memory(**call)
        if got == want:
            continue
        table = {t["memory_mb"]: t for t in call["measurements"]}
        where = f"objective p99 <= {call['p99_objective_ms']} ms and measurements {json.dumps(call['measurements'])}"
        if got in table and table[got]["p99_ms"] > call["p99_objective_ms"]:
            hint = f"{got} MB measured a p99 of {table[got]['p99_ms']} ms: it misses the objective"
        elif got in table:
            hint = (
                f"{got} MB meets the objective but costs ${cost_per_million(got, table[got]['mean_ms']):.2f} per "
                "million requests; a size billed for fewer GB-seconds also meets it (more memory is more CPU: "
                "it can cost less)"
            )
        else:
            hint = "return one of the measured memory sizes (an int in MB)"
        return failed(expected=f"{want} MB for {where}", got=repr(got), hint=hint)
    return passed(got=f"right for {len(calls)} unseen measurement tables")


# --- exercise 2: reserved concurrency in a database budget, graded by simulation --------------------------


def erlang_b(load: float, servers: int) -> float:
    """Blocking probability of ``servers`` environments under ``load`` (rate x mean duration)."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def budget(call: dict) -> int:
    """Environments the database's free connections can hold."""
    return max(0, (call["max_connections"] - call["other_connections"]) // call["connections_per_environment"])


def _reserved_inputs(rng: random.Random) -> list[dict]:
    """Traffic and databases where an answer exists: the budget is above what throttles 0.5 %; in one case it
    sits below the usual headroom (busy + 3 sqrt(busy)), so the budget must be respected.

    The exercise is about the database budget, so no service may be capped by Lambda's invocation rate
    (10 requests a second per unit of concurrency, lesson 08b): a short, busy service (575 requests/s of
    65 ms) would be throttled 2 % by the rate cap at a reserved concurrency its connections justify."""
    calls = []
    while len(calls) < 4:
        rps = round(rng.uniform(50, 600), 1)
        duration_ms = rng.randrange(60, 400)
        busy = rps * duration_ms / 1000
        per_env = rng.choice([1, 1, 2])
        need = next(r for r in range(1, 10_000) if erlang_b(busy, r) <= 0.005) + 3
        comfortable = math.ceil(busy + 3 * math.sqrt(busy))
        if rps > REQUESTS_PER_CONCURRENCY * need:
            continue  # the invocation-rate cap would bind before the database does
        tight = len(calls) == 0
        if tight and comfortable - need < 3:
            continue
        environments = rng.randrange(need, comfortable) if tight else rng.randrange(comfortable + 5, comfortable + 200)
        others = rng.randrange(5, 60)
        calls.append(
            {
                "requests_per_second": rps,
                "duration_ms": duration_ms,
                "connections_per_environment": per_env,
                "max_connections": environments * per_env + others + rng.randrange(0, per_env),
                "other_connections": others,
            }
        )
    rng.shuffle(calls)
    return calls


def simulate_reserved(call: dict, reserved: int, seed: int) -> tuple[float, int, int]:
    """(throttled fraction, peak connections the function held, refusals) of a 120 s simulation."""
    from lambdalab.sim import Account, Constant, Database, Exponential, FunctionSpec, PoissonArrivals, Synchronous

    spec = FunctionSpec(
        "service",
        PoissonArrivals(call["requests_per_second"]),
        Exponential(call["duration_ms"] / 1000),
        init_duration=Constant(0.3),
        reserved_concurrency=reserved,
        caller=Synchronous(max_attempts=1),
        database="init",
    )
    free = max(1, call["max_connections"] - call["other_connections"])
    database = Database(max_connections=free)
    from lambdalab.sim import simulate_account

    result = simulate_account(Account([spec], horizon=120, database=database, concurrency_limit=None), seed=seed)
    fr = result["service"]
    return fr.throttled_fraction, result.peak_connections * call["connections_per_environment"], fr.database_refusals


@exercise(lab="08", number=2, title="Reserved concurrency within a database budget (simulated)", files=[RESERVED_FILE])
def reserved_within_budget(answer: Path) -> CheckResult:
    rng = random.Random()
    calls = _reserved_inputs(rng)
    payload, failure = _run(answer, RESERVED_FILE, "reserved_concurrency", calls)
    if failure:
        return failure
    assert payload is not None
    for call, got in zip(calls, payload, strict=True):
        where = (
            f"{call['requests_per_second']} requests/s of {call['duration_ms']} ms, "
            f"{call['connections_per_environment']} connection(s) per environment, max_connections "
            f"{call['max_connections']} with {call['other_connections']} held by others"
        )
        if not isinstance(got, int) or isinstance(got, bool) or got < 1:
            return failed(
                expected="a reserved concurrency (an int >= 1)",
                got=f"{got!r} for {where}",
                hint="reserved concurrency is a whole number of environments",
            )
        free = call["max_connections"] - call["other_connections"]
        if got * call["connections_per_environment"] > free:
            return failed(
                expected=f"at most {budget(call)} environments for {where}",
                got=f"{got}: {got * call['connections_per_environment']} connections against {free} free",
                hint="every environment holds its connections while it lives; the other clients' "
                "connections are not yours to take",
            )
        throttled, connections, refusals = simulate_reserved(call, got, seed=rng.randrange(2**31))
        n = call["requests_per_second"] * 120
        tolerance = 3 * math.sqrt(MAX_THROTTLED * (1 - MAX_THROTTLED) / n)
        if throttled > MAX_THROTTLED + tolerance:
            return failed(
                expected=f"at most 1 % of requests throttled for {where}",
                got=f"reserved {got}: the simulation throttled {100 * throttled:.1f} %",
                hint="the average number of busy environments is a floor: random arrivals bunch up, "
                "so leave headroom above it (lesson 02b, section 6)",
            )
    return passed(got=f"simulated {len(calls)} unseen services: at most 1 % throttled, every database within budget")


# --- exercise 3: queue settings --------------------------------------------------------------------------


def _queue_inputs(rng: random.Random) -> list[dict]:
    return [
        {
            "function_timeout_s": rng.choice([3, 10, 30, 60, 120, 300, 900]),
            "batching_window_s": rng.choice([0, 0, 1, 5, 20, 300]),
            "reserved_concurrency": rng.choice([1, 2, 5, 20, 50, 200, 2000]),
        }
        for _ in range(10)
    ]


@exercise(lab="08", number=3, title="Queue and mapping settings", files=[QUEUE_FILE])
def queue_settings(answer: Path) -> CheckResult:
    calls = _queue_inputs(random.Random())
    payload, failure = _run(answer, QUEUE_FILE, "queue_settings", calls)
    if failure:
        return failure
    assert payload is not None
    for call, got in zip(calls, payload, strict=True):
        where = (
            f"timeout {call['function_timeout_s']} s, batching window {call['batching_window_s']} s, reserved "
            f"concurrency {call['reserved_concurrency']}"
        )
        if not isinstance(got, dict) or not {"VisibilityTimeout", "maxReceiveCount", "MaximumConcurrency"} <= set(got):
            return failed(
                expected="a dict with VisibilityTimeout, maxReceiveCount and MaximumConcurrency",
                got=repr(got)[:200],
                hint="return the three settings by their AWS names",
            )
        visibility, receives, concurrency = got["VisibilityTimeout"], got["maxReceiveCount"], got["MaximumConcurrency"]
        least = 6 * call["function_timeout_s"] + call["batching_window_s"]
        if not isinstance(visibility, int) or not least <= visibility <= 43_200:
            return failed(
                expected=f"a VisibilityTimeout of at least {least} s (and at most 43,200) for {where}",
                got=repr(visibility),
                hint="AWS's guidance: at least 6 x the function timeout plus the batching window, so a "
                "message is not delivered again while a throttled or retried batch still runs",
            )
        if not isinstance(receives, int) or receives < 5:
            return failed(
                expected=f"maxReceiveCount of at least 5 for {where}",
                got=repr(receives),
                hint="with fewer receives, messages that were only throttled reach the DLQ",
            )
        top = min(1000, call["reserved_concurrency"])
        if not isinstance(concurrency, int) or not 2 <= concurrency <= max(2, top):
            return failed(
                expected=f"MaximumConcurrency between 2 and {max(2, top)} for {where}",
                got=repr(concurrency),
                hint="MaximumConcurrency is 2-1,000; above the function's reserved concurrency the "
                "pollers' invocations are throttled",
            )
    return passed(got=f"right for {len(calls)} unseen functions and queues")


# --- exercise 4: alarms, graded by a live replay ---------------------------------------------------------

INCIDENT_HANDLER = """
import time

def handler(event, context):
    time.sleep(event.get("work_s", 0.02))
    if event.get("fail"):
        raise RuntimeError("downstream refused the order")
    return "ok"
"""
ALLOWED_KEYS = {
    "AlarmName",
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "Tags",
    "ThresholdMetricId",
}


def _replay(names: dict[str, str], specs: dict[str, list[dict]]) -> tuple[dict[str, dict[str, str]], str | None]:
    """Create each function's alarms, replay healthy and incident traffic, evaluate: states by function."""
    from botocore.config import Config
    from botocore.exceptions import ClientError, ParamValidationError

    import lambdalab

    box = lambdalab.sandbox()
    sandbox_clock = box.clock
    lam = box.client("lambda", config=Config(retries={"total_max_attempts": 1}))
    cloudwatch = box.client("cloudwatch")
    functions = [lambdalab.deploy(name, code=INCIDENT_HANDLER, timeout=3) for name in names.values()]
    created: dict[str, list[str]] = {}
    try:
        lam.put_function_concurrency(FunctionName=names["incident"], ReservedConcurrentExecutions=2)
        for role, alarm_list in specs.items():
            for spec in alarm_list:
                try:
                    cloudwatch.put_metric_alarm(**spec)
                except (ClientError, ParamValidationError) as exc:
                    return {}, f"put_metric_alarm refused {spec.get('AlarmName')!r}: {exc}"
                created.setdefault(role, []).append(spec["AlarmName"])
        sandbox_clock.freeze()
        for i in range(6):
            for name in names.values():
                lam.invoke(FunctionName=name, Payload=json.dumps({"i": i}))
        gate = threading.Barrier(6)

        def burst() -> None:
            gate.wait()
            try:
                lam.invoke(FunctionName=names["incident"], Payload=b'{"work_s": 0.4}')
            except ClientError:
                pass

        threads = [threading.Thread(target=burst) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for _ in range(4):
            lam.invoke(FunctionName=names["incident"], Payload=b'{"fail": true}')
        lambdalab.flush_logs()
        sandbox_clock.set(sandbox_clock.now() + dt.timedelta(minutes=2))
        box.alarms.evaluate()
        alarms = cloudwatch.describe_alarms(AlarmNames=[n for ns in created.values() for n in ns][:100])
        by_name = {a["AlarmName"]: a for a in alarms["MetricAlarms"]}
        states = {role: {n: by_name[n]["StateValue"] for n in ns if n in by_name} for role, ns in created.items()}
        return states, None
    finally:
        sandbox_clock.reset()
        all_names = [n for ns in created.values() for n in ns]
        if all_names:
            cloudwatch.delete_alarms(AlarmNames=all_names)
        for fn in functions:
            fn.delete()


def _watches(spec: dict, metric: str) -> bool:
    text = json.dumps(spec)
    return f'"{metric}"' in text


@exercise(lab="08", number=4, title="Alarms that catch an incident (live replay)", files=[ALARMS_FILE])
def alarms_catch_incident(answer: Path) -> CheckResult:
    suffix = uuid.uuid4().hex[:6]
    names = {"healthy": f"lab08-healthy-{suffix}", "incident": f"lab08-checkout-{suffix}"}
    calls = [
        {"function_name": names["healthy"], "timeout_s": 3, "reserved_concurrency": 100},
        {"function_name": names["incident"], "timeout_s": 3, "reserved_concurrency": 2},
    ]
    payload, failure = _run(answer, ALARMS_FILE, "alarms", calls)
    if failure:
        return failure
    assert payload is not None
    specs: dict[str, list[dict]] = {}
    for role, got in zip(("healthy", "incident"), payload, strict=True):
        if not isinstance(got, list) or not all(isinstance(s, dict) and s.get("AlarmName") for s in got):
            return failed(
                expected="a list of put_metric_alarm arguments (dicts with an AlarmName)",
                got=repr(got)[:200],
                hint="return one dict per alarm, the keyword arguments of put_metric_alarm",
            )
        extra = sorted({k for s in got for k in s} - ALLOWED_KEYS)
        if extra:
            return failed(
                expected="only put_metric_alarm's parameters",
                got=f"unknown keys {extra}",
                hint="check the names against boto3's put_metric_alarm documentation",
            )
        specs[role] = got
    healthy_names = {s["AlarmName"] for s in specs["healthy"]}
    if healthy_names & {s["AlarmName"] for s in specs["incident"]}:
        return failed(
            expected="alarm names that differ from one function to the next",
            got=f"both functions got an alarm named {sorted(healthy_names)[0]!r}",
            hint="put the function's name in each AlarmName: one account holds every function's alarms",
        )
    states, error = _replay(names, specs)
    if error:
        return failed(expected="alarms CloudWatch accepts", got=error, hint="read the refusal: it names the parameter")
    noisy = [n for n, s in states.get("healthy", {}).items() if s == "ALARM"]
    if noisy:
        return failed(
            expected="no alarm on a healthy function (6 quick, successful invocations in a minute)",
            got=f"{noisy} in ALARM",
            hint="an alarm that fires on normal traffic pages someone for nothing: check its threshold and comparison",
        )
    incident = {s["AlarmName"]: s for s in specs["incident"]}
    fired = {n for n, s in states.get("incident", {}).items() if s == "ALARM"}
    for metric, what in (("Throttles", "throttled invocations"), ("Errors", "failed invocations")):
        watching = [n for n, s in incident.items() if _watches(s, metric)]
        if not watching:
            return failed(
                expected=f"an alarm on {metric}",
                got=f"alarms {sorted(incident)}",
                hint=f"the incident had {what}; which AWS/Lambda metric counts them?",
            )
        if not set(watching) & fired:
            return failed(
                expected=f"an alarm on {metric} in ALARM after the incident ({what} within one minute)",
                got=", ".join(f"{n}: {states['incident'].get(n)}" for n in watching),
                hint="check the FunctionName dimension, the statistic (a count is a Sum), the period "
                "(60 s) and the threshold",
            )
    return passed(
        got="replayed live: your throttle and error alarms fired on the incident, and nothing fired on "
        "the healthy function"
    )


# --- exercise 5: provisioned concurrency for the busy hours, graded by simulation ------------------------

PROVISIONED_FILE = "lab08/ex5/provisioned.py"
#: An answer may cost this much more than the cheapest one that meets the objective (same simulated traffic).
COST_MARGIN = 0.10


def busy_hours_profile(rng: random.Random) -> dict:
    """A service whose traffic steps up at the start of its busy hours, drawn so that the rule matters:
    without provisioned concurrency the first minute's p99 misses the objective (cold starts are more than
    1 % of it), while the environments busy on average plus about one standard deviation of them meet it."""
    from lambdalab.sim.busy_hours import BusyHours

    while True:
        median, sigma = rng.randrange(40, 200), round(rng.uniform(0.25, 0.5), 2)
        mean_s = median / 1000 * math.exp(sigma**2 / 2)
        profile = {
            "requests_per_second": float(round(rng.uniform(10, 60) / mean_s)),
            "duration_median_ms": float(median),
            "duration_sigma": sigma,
            "init_ms": float(rng.randrange(1500, 5000, 100)),
            "memory_mb": rng.choice([512, 1024, 1769, 2048]),
            "busy_hours": float(rng.choice([6, 8, 10, 12])),
            "p99_objective_ms": 0.0,
        }
        warm_p99 = median * math.exp(2.326 * sigma)  # the log-normal's 99th percentile
        profile["p99_objective_ms"] = float(round(warm_p99 * rng.uniform(1.3, 2.5) / 10) * 10)
        service = BusyHours.of(profile)
        headroom = math.ceil(service.mean_busy + math.sqrt(service.mean_busy))
        if not service.meets_objective(service.simulate(0, seed=0)) and service.meets_objective(
            service.simulate(headroom, seed=0)
        ):
            return profile


def cheapest_provisioned(profile: dict, seed: int) -> tuple[int, dict[int, object]]:
    """The provisioned concurrency with the smallest monthly bill among those that meet the objective on
    ``seed``'s traffic, and every run it simulated on the way (by provisioned concurrency).

    Smallest passing first (bisection: more environments never add cold starts on the same traffic), then
    upwards while the bill falls: a busy provisioned environment costs less than on-demand, so the cheapest
    passing answer is often above the smallest."""
    from lambdalab.sim.busy_hours import BusyHours

    service = BusyHours.of(profile)
    runs: dict[int, object] = {}

    def run(n: int):  # noqa: ANN202 - a BusyHoursRun
        if n not in runs:
            runs[n] = service.simulate(n, seed=seed)
        return runs[n]

    lo, hi = 0, math.ceil(service.mean_busy + 6 * math.sqrt(service.mean_busy) + 10)
    while not service.meets_objective(run(hi)):
        hi *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if service.meets_objective(run(mid)) else (mid, hi)
    best = hi
    step = max(1, round(service.mean_busy / 20))
    while run(best + step).monthly_cost < run(best).monthly_cost:
        best += step
    for n in range(max(hi, best - step + 1), best + step):
        if service.meets_objective(run(n)) and run(n).monthly_cost < run(best).monthly_cost:
            best = n
    return best, runs


def _describe_profile(p: dict) -> str:
    return (
        f"{p['requests_per_second']:g} requests/s from the start of {p['busy_hours']:g} busy hours, durations "
        f"median {p['duration_median_ms']:g} ms (sigma {p['duration_sigma']}), Init Duration {p['init_ms']:g} ms, "
        f"{p['memory_mb']} MB, p99 objective {p['p99_objective_ms']:g} ms every minute"
    )


@exercise(lab="08", number=5, title="Provisioned concurrency for the busy hours (simulated)", files=[PROVISIONED_FILE])
def provisioned_for_busy_hours(answer: Path) -> CheckResult:
    from lambdalab.sim.busy_hours import BusyHours

    rng = random.Random()
    profile = busy_hours_profile(rng)
    payload, failure = _run(answer, PROVISIONED_FILE, "provisioned_concurrency", [profile])
    if failure:
        return failure
    assert payload is not None
    got = payload[0]
    where = _describe_profile(profile)
    if isinstance(got, bool) or not isinstance(got, int) or got < 0:
        return failed(
            expected="a provisioned concurrency (an int >= 0)",
            got=f"{got!r} for {where}",
            hint="provisioned concurrency is a whole number of environments",
        )
    seed = rng.randrange(2**31)
    service = BusyHours.of(profile)
    run = service.simulate(got, seed=seed)
    if not service.meets_objective(run):
        return failed(
            expected=f"a p99 of at most {profile['p99_objective_ms']:g} ms in every minute for {where}",
            got=(
                f"provisioned concurrency {got}: the simulated worst minute had a p99 of "
                f"{run.worst_minute_p99_ms:.0f} ms ({run.cold_starts} cold starts)"
            ),
            hint="at the step every request beyond the provisioned environments waits for an Init; the p99 "
            "tolerates cold starts in at most 1 % of a minute's requests",
        )
    best, runs = cheapest_provisioned(profile, seed)
    cheapest = runs[best]
    if run.monthly_cost > cheapest.monthly_cost * (1 + COST_MARGIN):  # type: ignore[attr-defined]
        return failed(
            expected=(
                f"a bill within {100 * COST_MARGIN:.0f} % of the cheapest provisioned concurrency that meets the "
                f"objective for {where}"
            ),
            got=(
                f"provisioned concurrency {got} meets the p99 but costs ${run.monthly_cost:,.2f} a month for the "
                f"busy hours (provisioned environments {100 * run.provisioned_utilisation:.0f} % busy); the "
                f"cheapest that meets it costs ${cheapest.monthly_cost:,.2f}"  # type: ignore[attr-defined]
            ),
            hint="an idle provisioned environment is billed all the same: past the utilisation where it costs "
            "less than on-demand, each extra one only adds to the bill (simulate a few sizes and compare)",
        )
    return passed(
        got=(
            "simulated the busy hours of an unseen service: every minute's p99 within its objective, the bill "
            f"within {100 * COST_MARGIN:.0f} % of the cheapest provisioned concurrency that meets it"
        )
    )
