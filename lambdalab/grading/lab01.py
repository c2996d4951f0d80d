"""Lesson 01's lab: reading REPORT lines, SDK clients outside the handler, predicting cold starts.

Every check runs the learner's code in real execution environments, on inputs drawn fresh each time
(REPORT lines produced by real cold and warm invocations, objects with random names and sizes, random
traffic traces), and compares with what lambdalab itself measured or computed.
"""

from __future__ import annotations

import math
import random
import uuid
from pathlib import Path

from lambdalab.grading import checker, exercise, failed, passed
from lambdalab.grading.fixtures import deploy_answer, deploy_with_probe, describe_failure
from lambdalab.grading.probes import FUNCTION_PROBE
from lambdalab.grading.results import CheckResult

check = checker("01")

REPORT_FILE = "lab01/ex1/report.py"
CLIENT_FILE = "lab01/ex2/app.py"
PREDICT_FILE = "lab01/ex3/predict.py"
REPORT_KEYS = (
    "request_id",
    "duration_ms",
    "billed_duration_ms",
    "memory_size_mb",
    "max_memory_used_mb",
    "init_duration_ms",
)


def _real_report_lines(rng: random.Random) -> list:
    """REPORT figures from real invocations: a cold one and a warm one, at a memory size drawn now."""
    import lambdalab

    memory = rng.choice([128, 256, 512, 1024, 1769])
    fn = lambdalab.deploy(
        f"check-reports-{uuid.uuid4().hex[:8]}",
        memory=memory,
        code="def handler(event, context):\n    return sum(range(event['n']))\n",
    )
    try:
        return [fn.invoke({"n": rng.randrange(1, 200_000)}).report for _ in range(3)]
    finally:
        fn.delete()


def _same_figure(got: object, want: object) -> bool:
    """Strings and None must match exactly, ints be ints, floats agree to the line's 2 decimals."""
    if want is None or isinstance(want, str):
        return got == want
    if isinstance(got, bool) or not isinstance(got, int | float):
        return False
    if isinstance(want, int):
        return isinstance(got, int) and got == want
    return math.isclose(got, want, abs_tol=0.006)


@exercise(lab="01", number=1, title="Read a REPORT line", files=[REPORT_FILE])
def read_report(answer: Path) -> CheckResult:
    rng = random.Random()
    reports = _real_report_lines(rng)
    fn = deploy_with_probe(answer, REPORT_FILE, FUNCTION_PROBE, function="parse_report", timeout=5)
    try:
        result = fn.invoke({"calls": [{"line": r.line()} for r in reports]})
    finally:
        fn.delete()
    if not result.ok:
        return failed(
            expected="a dict of the REPORT line's figures",
            got=describe_failure(result),
            hint="split the line on tabs, then each part on ': '",
        )
    for report, parsed in zip(reports, result.payload, strict=True):
        if not isinstance(parsed, dict) or set(parsed) != set(REPORT_KEYS):
            keys = sorted(parsed) if isinstance(parsed, dict) else type(parsed).__name__
            return failed(
                expected=f"a dict with exactly the keys {', '.join(REPORT_KEYS)}",
                got=f"{keys}",
                hint="include init_duration_ms even on a warm line, as None",
            )
        wanted = {
            "request_id": report.request_id,
            "duration_ms": round(report.duration_ms, 2),
            "billed_duration_ms": report.billed_duration_ms,
            "memory_size_mb": report.memory_size_mb,
            "max_memory_used_mb": report.max_memory_used_mb,
            "init_duration_ms": None if report.init_duration_ms is None else round(report.init_duration_ms, 2),
        }
        for key, value in wanted.items():
            if not _same_figure(parsed[key], value):
                kind = "cold" if report.cold else "warm"
                return failed(
                    expected=f"{key} = {value!r} for a {kind} REPORT line",
                    got=f"{key} = {parsed[key]!r}",
                    hint="durations are floats in ms, sizes and billed duration are ints; "
                    "a warm line has no Init Duration (None)",
                )
    return passed(got=f"parsed {len(reports)} REPORT lines from real cold and warm invocations")


@exercise(lab="01", number=2, title="Create the SDK client once, outside the handler", files=[CLIENT_FILE])
def client_outside_handler(answer: Path) -> CheckResult:
    """Judged by what reaches S3 from the function, never by the answer's text or by counters inside its
    process: the sandbox keeps connections alive (as AWS's endpoints do), so a client made once sends every
    warm invocation's request on the connection it keeps open; a client made per invocation opens a new one.
    The sandbox sees which connection each request came on, outside the function's process."""
    import lambdalab
    from lambdalab.service.lambda_api import observe_requests

    rng = random.Random()
    box = lambdalab.sandbox()
    bucket = f"lab01-{uuid.uuid4().hex[:12]}"
    s3 = box.client("s3")
    s3.create_bucket(Bucket=bucket)
    objects = {f"data/{uuid.uuid4().hex[:6]} {i}.bin": rng.randrange(0, 50_000) for i in range(4)}
    for key, size in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=bytes(size))
    with observe_requests(lambda method, path: method == "HEAD" and path.startswith(f"/{bucket}/")) as seen:
        fn = deploy_answer(answer, CLIENT_FILE, module="app")
        try:
            outcomes = []
            for key, size in objects.items():  # one after another: one warm environment serves them all
                count = len(seen)
                result = fn.invoke({"bucket": bucket, "key": key})
                outcomes.append((key, size, result, {r.remote_port for r in seen[count:]}))
        finally:
            fn.delete()
    for key, size, result, _ in outcomes:
        if not result.ok:
            return failed(
                expected=f"the size of s3://{bucket}/{key}",
                got=describe_failure(result),
                hint="head_object(Bucket=..., Key=...) returns the object's ContentLength",
            )
        if result.payload != size:
            return failed(
                expected=f"{size} for an object of {size} bytes",
                got=repr(result.payload),
                hint="return the ContentLength of the object named by event['bucket'] and event['key'], as an int",
            )
    if any(not ports for *_, ports in outcomes):
        return failed(
            expected="a HeadObject request to S3 on every invocation",
            got="an invocation returned a size without asking S3",
            hint="call s3.head_object on every invocation",
        )
    connections = len(set().union(*(ports for *_, ports in outcomes)))
    if connections > 1:
        return failed(
            expected=f"one SDK client serving all {len(outcomes)} invocations of one warm environment (its "
            "requests all on the one connection it keeps open)",
            got=f"the handler's requests came on {connections} different connections over {len(outcomes)} "
            "invocations: a new client (and a new connection) for each",
            hint="move the client to module level, outside the handler: init runs once per "
            "environment, the handler on every request",
        )
    return passed(got=f"correct sizes for {len(objects)} unseen objects, one client for {len(objects)} invocations")


def _reference_cold_starts(arrivals: list[float], durations: list[float], keep_alive: float) -> list[bool]:
    from lambdalab.sim import Constant, ReplayedArrivals, Scenario, Workload, run_fast

    workload = Workload.of(arrivals, durations, durations)
    scenario = Scenario(
        ReplayedArrivals(arrivals),
        Constant(1.0),
        Constant(1.0),
        horizon=max(arrivals) + 1.0,
        keep_alive=keep_alive,
        concurrency_limit=None,
    )
    return [bool(c) for c in run_fast(scenario, workload).cold]


def _random_trace(rng: random.Random) -> dict:
    """A trace with no ties: arrivals sit on a millisecond grid, durations end in half a millisecond, so
    no request finishes (or expires) at the very instant another arrives — the answer never hangs on how
    a tie is broken."""
    n = rng.randrange(8, 25)
    t, arrivals = 0.0, []
    for _ in range(n):
        t += round(rng.expovariate(rng.choice([0.5, 1.0, 2.0])), 3) + 0.001
        arrivals.append(round(t, 3))
    durations = [round(rng.uniform(0.05, 1.5), 3) + 0.0005 for _ in range(n)]
    return {"arrivals": arrivals, "durations": durations, "keep_alive": rng.choice([0.5, 1.0, 2.0, 3.0])}


def _covering_trace(rng: random.Random) -> dict:
    """A trace, random in its values, that always meets every rule the exercise teaches: a request that
    overlaps a busy environment starts cold, one that finds an environment idle for less than keep_alive is
    warm, one that comes after keep_alive of idleness is cold again, and the warmest idle environment is not
    the only one kept."""
    keep_alive = rng.choice([0.5, 1.0, 2.0])
    first = round(rng.uniform(0.05, 0.5), 3) + 0.0005  # durations end in half a millisecond: no ties
    t0 = round(rng.uniform(0.0, 1.0), 3)
    arrivals = [t0, round(t0 + first / 2, 3)]  # the second overlaps the first: a second environment, cold
    durations = [first, first]
    end = arrivals[1] + first
    reuse = round(end + keep_alive * rng.uniform(0.2, 0.8), 3)  # both idle, well within keep_alive: warm
    arrivals.append(reuse)
    durations.append(round(rng.uniform(0.05, 0.3), 3) + 0.0005)
    later = round(reuse + durations[-1] + keep_alive * rng.uniform(1.3, 2.0), 3)  # every environment expired
    arrivals.append(later)
    durations.append(round(rng.uniform(0.05, 0.3), 3) + 0.0005)
    return {"arrivals": arrivals, "durations": durations, "keep_alive": keep_alive}


@exercise(lab="01", number=3, title="Predict which requests start cold", files=[PREDICT_FILE])
def predict_cold_starts(answer: Path) -> CheckResult:
    rng = random.Random()
    traces = [_covering_trace(rng), *(_random_trace(rng) for _ in range(11))]
    rng.shuffle(traces)
    fn = deploy_with_probe(answer, PREDICT_FILE, FUNCTION_PROBE, function="cold_starts", timeout=20)
    try:
        result = fn.invoke({"calls": traces})
    finally:
        fn.delete()
    if not result.ok:
        return failed(
            expected="a list of booleans, one per request",
            got=describe_failure(result),
            hint="walk the requests in order, keeping each environment's busy-until time",
        )
    for trace, predicted in zip(traces, result.payload, strict=True):
        expected = _reference_cold_starts(**trace)
        if not isinstance(predicted, list) or len(predicted) != len(expected):
            return failed(
                expected=f"a list of {len(expected)} booleans",
                got=f"{type(predicted).__name__} of length {len(predicted) if hasattr(predicted, '__len__') else '?'}",
                hint="one True/False per request, in arrival order",
            )
        for i, (want, got) in enumerate(zip(expected, predicted, strict=True)):
            if bool(got) != want:
                return failed(
                    expected=f"request #{i} (arrives at {trace['arrivals'][i]:.3f} s, keep_alive "
                    f"{trace['keep_alive']} s) to be {'cold' if want else 'warm'}",
                    got=f"{'cold' if got else 'warm'}, in a trace of {len(expected)} requests",
                    hint="a request is warm only if some environment is idle when it arrives and has been "
                    "idle for less than keep_alive; overlapping requests need separate environments",
                )
    return passed(got=f"matched lambdalab's simulator on {len(traces)} unseen traces")
