"""Lesson 02a's lab: reading a 429, retrying it with backoff and full jitter, setting concurrency to a spec,
counting throttles in CloudWatch.

Every check runs the learner's code in a real execution environment, on inputs drawn fresh each time: 429s
produced by real bursts against the local Lambda (and the other throttle reasons Lambda's API model lists),
fake calls and clocks with random parameters that measure the waits a backoff chooses, a live burst against a
function with reserved concurrency 1, random concurrency specs verified afterwards through the Lambda API, and
random numbers of throttles read back from CloudWatch.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import random
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lambdalab.aws_facts import (
    ACCOUNT_CONCURRENCY_EXCEEDED,
    ACCOUNT_RATE_EXCEEDED,
    RESERVED_CONCURRENCY_EXCEEDED,
    RESERVED_RATE_EXCEEDED,
)
from lambdalab.grading import checker, exercise, failed, passed
from lambdalab.grading.fixtures import check_name, deploy_with_probe, describe_failure, lambda_client, probe_source
from lambdalab.grading.probes import FUNCTION_PROBE
from lambdalab.grading.results import CheckResult

check = checker("02a")

CLASSIFY_FILE = "lab02a/ex1/classify.py"
BACKOFF_FILE = "lab02a/ex2/backoff.py"
LIMITS_FILE = "lab02a/ex3/limits.py"
THROTTLES_FILE = "lab02a/ex4/throttles.py"

RESERVED = RESERVED_CONCURRENCY_EXCEEDED
ACCOUNT = ACCOUNT_CONCURRENCY_EXCEEDED
#: The other reasons Lambda's API model gives a TooManyRequestsException (the local Lambda never sends them).
OTHER_REASONS = (
    ACCOUNT_RATE_EXCEEDED,
    RESERVED_RATE_EXCEEDED,
    "CallerRateLimitExceeded",
    "ConcurrentSnapshotCreateLimitExceeded",
)

# A function that holds its environment for event["seconds"]: a slot of concurrency, taken for that long.
HOLD = probe_source("lab02a_hold")


def _sandbox():
    import lambdalab

    return lambdalab.sandbox()


def _lambda_client(attempts: int = 1):
    """A Lambda client whose pool holds a burst's connections, each call tried ``attempts`` times."""
    return lambda_client(attempts, max_pool_connections=32, read_timeout=60)


def _deploy_target(prefix: str, *, timeout: float = 10):
    import lambdalab

    return lambdalab.deploy(check_name(prefix), code=HOLD, timeout=timeout)


@contextlib.contextmanager
def _slot_held(name: str, timeout: float = 240) -> Iterator[None]:
    """One invocation of ``name`` (a HOLD target) running in the background until the block ends: its
    concurrency slot is taken for the whole block, however slowly this machine runs."""
    box = _sandbox()
    s3 = box.client("s3")
    bucket = check_name("gate")
    s3.create_bucket(Bucket=bucket)
    holder = lambda_client(1, read_timeout=timeout + 60)
    payload = json.dumps({"gate": {"bucket": bucket, "key": "open"}}).encode()
    thread = threading.Thread(target=lambda: holder.invoke(FunctionName=name, Payload=payload), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while box.lambda_service.governor.in_flight(name) < 1:  # the slot is taken as the invoke arrives
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the check's holding invocation did not start: run the check again")
            time.sleep(0.01)
        yield
    finally:
        s3.put_object(Bucket=bucket, Key="open", Body=b"")
        thread.join(timeout)


def _cleanup(lam, fn) -> None:
    """Delete a check's function and give its reserved concurrency back to the account."""
    try:
        lam.delete_function_concurrency(FunctionName=fn.name)
    except Exception:  # noqa: BLE001 - it may have had none, or be gone already
        pass
    fn.delete()


def _burst(lam, name: str, n: int, seconds: float, **kwargs) -> list[dict | None]:
    """``n`` invokes at once; for each, None if it ran, else the ClientError's response document."""
    from botocore.exceptions import ClientError

    def one(_: int) -> dict | None:
        try:
            lam.invoke(FunctionName=name, Payload=json.dumps({"seconds": seconds}).encode(), **kwargs)
            return None
        except ClientError as error:
            return error.response

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def _describe_response(response: dict) -> str:
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = response.get("Error", {}).get("Code")
    reason = response.get("Reason")
    return f"HTTP {status} {code}" + (f" with Reason {reason}" if reason else " (no Reason)")


# --- exercise 1 ------------------------------------------------------------------------------------
def _expected_class(response: dict) -> str:
    if response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 429:
        return "not a throttle"
    return {RESERVED: "reserved", ACCOUNT: "account"}.get(response.get("Reason"), "other throttle")


def _real_error_responses(rng: random.Random) -> list[dict]:
    """Error responses from the local Lambda: real reserved and account 429s, and errors that are not 429s."""
    from botocore.exceptions import ClientError

    box = _sandbox()
    lam = _lambda_client()
    fn = _deploy_target("throttled", timeout=300)
    settings = box.lambda_service.governor.settings
    responses: list[dict] = []
    try:
        lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=1)
        with _slot_held(fn.name):  # the one reserved slot is taken until the block ends: every invoke here is refused
            responses += [r for r in _burst(lam, fn.name, 2, 0) if r is not None]
            # Without its reservation the function shares the account's unreserved pool, shrunk to one slot for a
            # moment: the held invocation fills it.
            lam.delete_function_concurrency(FunctionName=fn.name)
            limits = lam.get_account_settings()["AccountLimit"]
            reserved_total = limits["ConcurrentExecutions"] - limits["UnreservedConcurrentExecutions"]
            box.configure_lambda(concurrent_executions=reserved_total + 1)
            try:
                responses += [r for r in _burst(lam, fn.name, 2, 0) if r is not None]
            finally:
                box.configure_lambda(
                    concurrent_executions=settings.concurrent_executions,
                    scaling_rate=settings.scaling_rate,
                    scaling_period_s=settings.scaling_period_s,
                )
        for attempt in (
            lambda: lam.invoke(FunctionName=f"check-missing-{uuid.uuid4().hex[:8]}"),
            lambda: lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=10**6),
            lambda: lam.get_provisioned_concurrency_config(FunctionName=fn.name, Qualifier="live"),
        ):
            try:
                attempt()
            except ClientError as error:
                responses.append(error.response)
    finally:
        _cleanup(lam, fn)
    throttle = next((r for r in responses if r.get("Reason") == RESERVED), None)
    for reason in rng.sample(OTHER_REASONS, 2) if throttle is not None else ():
        other = json.loads(json.dumps(throttle))
        other["Reason"] = reason
        responses.append(other)
    rng.shuffle(responses)
    return responses


@exercise(lab="02a", number=1, title="Read a 429: which limit was hit?", files=[CLASSIFY_FILE])
def classify_throttles(answer: Path) -> CheckResult:
    rng = random.Random()
    responses = _real_error_responses(rng)
    kinds = {_expected_class(r) for r in responses}
    if not {"reserved", "account"} <= kinds:
        return failed(
            expected="a burst that throttles",
            got="the check could not make Lambda throttle this time",
            hint="run the check again; if it keeps happening, restart the kernel",
        )
    fn = deploy_with_probe(answer, CLASSIFY_FILE, FUNCTION_PROBE, function="classify", timeout=5)
    try:
        result = fn.invoke({"calls": [{"response": r} for r in responses]})
    finally:
        fn.delete()
    if not result.ok:
        return failed(
            expected="one of 'reserved', 'account', 'other throttle', 'not a throttle' for each response",
            got=describe_failure(result),
            hint="not every error has a Reason: read it with response.get('Reason')",
        )
    for response, got in zip(responses, result.payload, strict=True):
        want = _expected_class(response)
        if got != want:
            return failed(
                expected=f"{want!r} for {_describe_response(response)}",
                got=repr(got),
                hint="a throttle is HTTP 429; its Reason names the limit — compare the whole Reason, not a part of it",
            )
    order = ("reserved", "account", "other throttle", "not a throttle")
    # How many of each a burst produced depends on timing; which kinds were there does not.
    kinds_seen = ", ".join(repr(kind) for kind in order if kind in kinds)
    return passed(got=f"classified every error response from real bursts and calls ({kinds_seen})")


# --- exercise 2 ------------------------------------------------------------------------------------
# The probe (lambdalab/grading/probes/lab02a_backoff.py) calls call_with_backoff with fake calls and a fake sleep
# (and, in "live" mode, with real invokes of a function whose reserved concurrency is 1).
BACKOFF_PROBE = "lab02a_backoff"


def _ceiling(params: dict, retry: int) -> float:
    return min(params["cap"], params["base"] * 2**retry)


def _backoff_params(rng: random.Random, *, base: float, max_attempts: int) -> dict:
    return {
        "base": base,
        "cap": base * 2 ** rng.choice([2, 3]),
        "max_attempts": max_attempts,
        "token": uuid.uuid4().hex,
    }


def _judge_contract(scenarios: list[dict], outcomes: list[dict]) -> CheckResult | None:
    for scenario, outcome in zip(scenarios, outcomes, strict=True):
        params, throttles, then = scenario["params"], scenario["throttles"], scenario["then"]
        m = params["max_attempts"]
        raised, sleeps = outcome["raised"], outcome["sleeps"]
        setting = f"max_attempts={m}, base={params['base']:g}, cap={params['cap']:g}"
        if then == "value" and throttles < m:
            what = f"a call throttled {throttles} time(s), then successful ({setting})"
            if raised is not None:
                return failed(
                    expected=f"call()'s result after {throttles + 1} calls, for {what}",
                    got=f"it raised {raised['type']}: {raised['message']}",
                    hint="retry while call() raises a throttle and attempts remain",
                )
            if outcome["returned"] != {"StatusCode": 200, "token": params["token"]}:
                return failed(
                    expected=f"call()'s own result, for {what}",
                    got=f"it returned {outcome['returned']!r}",
                    hint="return what the successful call() returned",
                )
            if outcome["calls"] != throttles + 1:
                return failed(
                    expected=f"{throttles + 1} calls for {what}",
                    got=f"{outcome['calls']} calls",
                    hint="call again after each throttle, and stop at the first success",
                )
            if len(sleeps) != throttles:
                return failed(
                    expected=f"{throttles} wait(s) for {what}, one before each retry",
                    got=f"{len(sleeps)} wait(s)",
                    hint="wait once before each retry, never before the first call",
                )
        elif then == "value":
            what = f"a call that is always throttled ({setting})"
            if outcome["calls"] != m:
                return failed(
                    expected=f"exactly {m} calls in all for {what}",
                    got=f"{outcome['calls']} calls",
                    hint="max_attempts counts every call, the first one included",
                )
            if raised is None or raised["type"] != "ClientError" or f"(attempt {m})" not in raised["message"]:
                got = "it returned normally" if raised is None else f"it raised {raised['type']}: {raised['message']}"
                return failed(
                    expected=f"the last throttle (the ClientError of call {m}) re-raised, for {what}",
                    got=got,
                    hint="when the attempts run out, re-raise the last error with a bare `raise`",
                )
            if len(sleeps) != m - 1:
                return failed(
                    expected=f"{m - 1} waits for {what} (one before each retry, none after the last call)",
                    got=f"{len(sleeps)} waits",
                    hint="do not wait after the last attempt",
                )
        else:
            kind = "a 400 InvalidParameterValueException" if then == "client-error" else "a ValueError"
            want_type = "ClientError" if then == "client-error" else "ValueError"
            if outcome["calls"] != throttles + 1 or raised is None or raised["type"] != want_type:
                got = f"{outcome['calls']} calls, then " + (
                    "a normal return" if raised is None else f"{raised['type']}: {raised['message']}"
                )
                return failed(
                    expected=f"{kind} raised at once, after {throttles + 1} call(s) ({throttles} throttle(s) first)",
                    got=got,
                    hint="retry only throttles (HTTP 429); any other error is a real failure",
                )
        for retry, wait in enumerate(sleeps):
            if not isinstance(wait, int | float) or not 0 <= wait <= _ceiling(params, retry) + 1e-9:
                return failed(
                    expected=f"the wait before retry {retry} within [0, {_ceiling(params, retry):g}] s ({setting})",
                    got=f"{wait!r}",
                    hint="the ceiling is min(cap, base * 2**retry), retry counting from 0",
                )
    return None


def _judge_jitter(params: dict, outcomes: list[dict]) -> CheckResult | None:
    waits_by_retry: dict[int, list[float]] = {}
    for outcome in outcomes:
        for retry, wait in enumerate(outcome["sleeps"]):
            waits_by_retry.setdefault(retry, []).append(wait / _ceiling(params, retry))
    setting = f"base={params['base']:g}, cap={params['cap']:g}"
    for retry, fractions in sorted(waits_by_retry.items()):
        ceiling = _ceiling(params, retry)
        if any(f > 1 + 1e-9 or f < 0 for f in fractions):
            return failed(
                expected=f"every wait before retry {retry} within [0, {ceiling:g}] s ({setting})",
                got=f"a wait of {max(fractions) * ceiling:.4g} s",
                hint="the ceiling is min(cap, base * 2**retry)",
            )
        mean = statistics.fmean(fractions)
        if len(set(fractions)) == 1:
            return failed(
                expected=f"random waits before retry {retry}, spread over [0, {ceiling:g}] s",
                got=f"the same wait every time: {fractions[0] * ceiling:.4g} s, in {len(fractions)} runs",
                hint="full jitter: draw each wait at random between 0 and the ceiling",
            )
        if mean < 0.4:
            return failed(
                expected=f"waits before retry {retry} averaging about half of {ceiling:g} s "
                f"(uniform on [0, {ceiling:g}] s)",
                got=f"an average of {mean * ceiling:.4g} s over {len(fractions)} runs",
                hint="the ceiling doubles with each retry until it reaches cap: base * 2**retry",
            )
        if mean > 0.6 or min(fractions) > 0.2:
            return failed(
                expected=f"waits before retry {retry} drawn from the whole of [0, {ceiling:g}] s",
                got=f"waits between {min(fractions) * ceiling:.4g} s and {max(fractions) * ceiling:.4g} s "
                f"(average {mean * ceiling:.4g} s) over {len(fractions)} runs",
                hint="full jitter draws uniformly from 0 to the ceiling, not from a part of it",
            )
    return None


@exercise(lab="02a", number=2, title="Retry throttles with exponential backoff and full jitter", files=[BACKOFF_FILE])
def backoff_with_full_jitter(answer: Path) -> CheckResult:
    rng = random.Random()
    # Waits of a minute or more: an answer that sleeps for real instead of calling sleep() times out here.
    contract = []
    for throttles, then in (
        (rng.randrange(1, 4), "value"),
        (99, "value"),
        (rng.randrange(0, 3), "client-error"),
        (rng.randrange(0, 3), "other-error"),
    ):
        params = _backoff_params(rng, base=rng.choice([60.0, 90.0, 120.0]), max_attempts=rng.randrange(5, 8))
        contract.append({"params": params, "throttles": throttles, "then": then})
    jitter_params = _backoff_params(rng, base=round(rng.uniform(0.5, 2.0), 3), max_attempts=rng.randrange(6, 8))
    jitter_runs = [{"params": jitter_params, "throttles": 99, "then": "value"} for _ in range(400)]

    fn = deploy_with_probe(answer, BACKOFF_FILE, BACKOFF_PROBE, timeout=10)
    lam = _lambda_client()
    target = None
    try:
        result = fn.invoke({"mode": "fake", "scenarios": contract})
        if not result.ok:
            failure = describe_failure(result)
            hint = (
                "wait only by calling the sleep function you are given: the check passes a fake one and "
                "watches what you ask it to wait"
                if "timed out" in failure
                else "call_with_backoff(call, *, base, cap, max_attempts, sleep) should call call() and sleep()"
            )
            return failed(expected="call_with_backoff to return call()'s result or raise", got=failure, hint=hint)
        verdict = _judge_contract(contract, result.payload)
        if verdict is not None:
            return verdict
        result = fn.invoke({"mode": "fake", "scenarios": jitter_runs})
        if not result.ok:
            return failed(
                expected="400 runs against a call that is always throttled",
                got=describe_failure(result),
                hint="call_with_backoff should not depend on anything but its arguments",
            )
        verdict = _judge_jitter(jitter_params, result.payload)
        if verdict is not None:
            return verdict
        from lambdalab.service.lambda_api import observe_requests

        # Live: callers against reserved concurrency 1, each retrying with the answer's backoff. The one slot is
        # held until every caller has been refused at least once, so the retries are exercised on any machine.
        target = _deploy_target("reserved-1", timeout=300)
        lam.put_function_concurrency(FunctionName=target.name, ReservedConcurrentExecutions=1)
        target.invoke({"seconds": 0})  # its one environment is warm, so every slot frees at a steady pace
        callers = rng.randrange(3, 6)
        live_fn = deploy_with_probe(answer, BACKOFF_FILE, BACKOFF_PROBE, timeout=300)
        outcome: dict = {}
        try:
            with observe_requests(
                lambda method, path: method == "POST" and f"/functions/{target.name}/" in path
            ) as seen:
                with _slot_held(target.name):
                    event = {
                        "mode": "live",
                        "target": target.name,
                        "callers": callers,
                        "base": 0.05,
                        "cap": 1.0,
                        "max_attempts": 30,
                    }
                    runner = threading.Thread(target=lambda: outcome.update(live=live_fn.invoke(event)), daemon=True)
                    runner.start()
                    deadline = time.monotonic() + 240
                    while len(seen) < 1 + callers and runner.is_alive() and time.monotonic() < deadline:
                        time.sleep(0.01)  # the holder's invoke and one refused call per caller
                runner.join(300)
        finally:
            live_fn.delete()
        live = outcome.get("live")
    finally:
        fn.delete()
        if target is not None:
            _cleanup(lam, target)
    if live is None:
        return failed(
            expected=f"{callers} callers retrying against reserved concurrency 1 all to succeed",
            got="the callers had not finished after 5 minutes",
            hint="each call_with_backoff should return within seconds",
        )
    if not live.ok:
        return failed(
            expected=f"{callers} callers retrying against reserved concurrency 1 all to succeed",
            got=describe_failure(live),
            hint="each call_with_backoff should return within seconds",
        )
    outcomes = live.payload
    if not all(o["ok"] for o in outcomes):
        bad = next(o for o in outcomes if not o["ok"])
        return failed(
            expected=f"all {callers} callers to succeed against reserved concurrency 1 (30 attempts each)",
            got=f"a caller failed after {bad['calls']} call(s): {bad['error']}",
            hint="keep retrying throttles until max_attempts calls have been made",
        )
    throttles = sum(o["throttles"] for o in outcomes)
    if throttles == 0:
        return failed(
            expected="a burst that throttles",
            got="the check's burst was never throttled this time",
            hint="run the check again",
        )
    return passed(
        got=f"correct on fake calls (400 runs: waits uniform below min(cap, base·2^n)); live, {callers} "
        f"callers against reserved concurrency 1 all succeeded after {throttles} throttles"
    )


# --- exercise 3 ------------------------------------------------------------------------------------
LIMITS_PROBE = "lab02a_limits"


def _wait_ready(lam, name: str, qualifier: str, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)["Status"] != "READY":
        if time.monotonic() > deadline:
            raise TimeoutError("provisioned concurrency did not become READY")
        time.sleep(0.05)


def _concurrency_state(lam, name: str, alias: str) -> tuple[int | None, str | None, int | None]:
    """(reserved, provisioned status, requested provisioned) as the Lambda API reports them now."""
    reserved = lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
    try:
        config = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=alias)
    except lam.exceptions.ClientError:
        return reserved, None, None
    return reserved, config["Status"], config["RequestedProvisionedConcurrentExecutions"]


def _describe_spec(reserved: int | None, provisioned: int) -> str:
    return (
        f"reserved={reserved if reserved is not None else 'None (no reservation)'}, "
        f"provisioned={provisioned}{' (no config)' if provisioned == 0 else ''}"
    )


@exercise(lab="02a", number=3, title="Set reserved and provisioned concurrency to a spec", files=[LIMITS_FILE])
def concurrency_to_spec(answer: Path) -> CheckResult:
    rng = random.Random()
    lam = _lambda_client(attempts=3)
    fn = deploy_with_probe(answer, LIMITS_FILE, LIMITS_PROBE, timeout=30)
    cases = [  # (starting point, spec): removing both limits, and one of setting them afresh or changing them
        ((3, 1), (None, 0)),
        rng.choice([((None, 0), (rng.randrange(3, 7), rng.randrange(1, 3))), ((2, 1), (rng.randrange(4, 7), 2))]),
    ]
    rng.shuffle(cases)
    targets = []
    try:
        for (start_reserved, start_provisioned), (want_reserved, want_provisioned) in cases:
            target = _deploy_target("limits")
            targets.append(target)
            alias = rng.choice(["live", "production", "prod", "stable"])
            version = lam.publish_version(FunctionName=target.name)["Version"]
            lam.create_alias(FunctionName=target.name, Name=alias, FunctionVersion=version)
            if start_reserved is not None:
                lam.put_function_concurrency(FunctionName=target.name, ReservedConcurrentExecutions=start_reserved)
            if start_provisioned:
                lam.put_provisioned_concurrency_config(
                    FunctionName=target.name, Qualifier=alias, ProvisionedConcurrentExecutions=start_provisioned
                )
                _wait_ready(lam, target.name, alias)
            spec = _describe_spec(want_reserved, want_provisioned)
            start = _describe_spec(start_reserved, start_provisioned)
            result = fn.invoke(
                {
                    "function_name": target.name,
                    "alias": alias,
                    "reserved": want_reserved,
                    "provisioned": want_provisioned,
                }
            )
            if not result.ok:
                return failed(
                    expected=f"apply_concurrency to set {spec} (starting from {start})",
                    got=describe_failure(result),
                    hint="provisioned concurrency goes on the alias (Qualifier=alias), never on $LATEST",
                )
            got_reserved, status, requested = _concurrency_state(lam, target.name, alias)
            if got_reserved != want_reserved:
                return failed(
                    expected=f"reserved concurrency {want_reserved} after setting {spec} (starting from {start})",
                    got=f"reserved concurrency {got_reserved}",
                    hint="None means: remove the reservation (delete_function_concurrency)",
                )
            if want_provisioned == 0:
                if status is not None:
                    return failed(
                        expected=f"no provisioned concurrency config on {alias!r} after setting {spec}",
                        got=f"a config for {requested} environment(s), {status}",
                        hint="0 means: delete the provisioned concurrency config",
                    )
                if result.payload is not None:
                    return failed(
                        expected="None returned when provisioned is 0",
                        got=repr(result.payload),
                        hint="there is no status to return when there is no config",
                    )
                continue
            if requested != want_provisioned or result.payload != "READY" or status != "READY":
                return failed(
                    expected=f"{want_provisioned} provisioned environment(s) on {alias!r}, READY when "
                    f"apply_concurrency returns, and 'READY' returned (setting {spec})",
                    got=f"{requested} requested, status {status} just after it returned {result.payload!r}",
                    hint="the put returns at once with IN_PROGRESS: poll get_provisioned_concurrency_config "
                    "until the Status is READY, then return it",
                )
            response = lam.invoke(FunctionName=target.name, Qualifier=alias, LogType="Tail", Payload=b"{}")
            if "Init Duration" in base64.b64decode(response["LogResult"]).decode():
                return failed(
                    expected=f"a request to {alias!r} served by a provisioned environment",
                    got="it started cold",
                    hint="set provisioned concurrency on the alias itself",
                )
    finally:
        fn.delete()
        for target in targets:
            _cleanup(lam, target)
    return passed(got=f"{len(cases)} unseen specs met, verified through the Lambda API and a request")


# --- exercise 4 ------------------------------------------------------------------------------------
THROTTLES_PROBE = "lab02a_throttles"


@exercise(lab="02a", number=4, title="Count throttles from CloudWatch", files=[THROTTLES_FILE])
def throttles_from_cloudwatch(answer: Path) -> CheckResult:
    import lambdalab

    rng = random.Random()
    lam = _lambda_client()
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    targets = [_deploy_target("watched"), _deploy_target("neighbour")]
    expected = [rng.randrange(2, 9), rng.randrange(1, 9)]
    fn = deploy_with_probe(answer, THROTTLES_FILE, THROTTLES_PROBE, timeout=10)
    try:
        for target, count in zip(targets, expected, strict=True):
            lam.put_function_concurrency(FunctionName=target.name, ReservedConcurrentExecutions=0)
            _burst(lam, target.name, count, 0)  # a disabled function: every invoke is a throttle
        lambdalab.flush_logs()
        end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        order = rng.sample(range(2), 2)
        result = fn.invoke(
            {"functions": [targets[i].name for i in order], "start": start.isoformat(), "end": end.isoformat()}
        )
    finally:
        fn.delete()
        for target in targets:
            _cleanup(lam, target)
    if not result.ok:
        return failed(
            expected="the number of throttles of each function",
            got=describe_failure(result),
            hint="cloudwatch.get_metric_statistics(Namespace='AWS/Lambda', MetricName='Throttles', ...)",
        )
    for i, got in zip(order, result.payload, strict=True):
        want = expected[i]
        if isinstance(got, bool) or not isinstance(got, int | float) or got != want:
            other = expected[1 - i]
            hint = (
                "count only this function's throttles: filter on the FunctionName dimension"
                if got == want + other
                else "add up the Sum statistic over every datapoint in the window"
            )
            return failed(
                expected=f"{want} for a function throttled {want} times (another was throttled {other} "
                f"times in the same window)",
                got=repr(got),
                hint=hint,
            )
    return passed(got=f"counted {expected[0]} and {expected[1]} throttles of two functions from CloudWatch")
