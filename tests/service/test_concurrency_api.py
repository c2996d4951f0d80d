"""Concurrency as Lambda does it, seen through boto3: reservations, the account pool, scaling, provisioning."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
from botocore.exceptions import ClientError

import lambdalab

SLOW = "import time\ndef handler(event, context):\n    time.sleep(event.get('sleep', 0))\n    return 'done'\n"
# Holds its environment until the test opens the gate (a file), so how long a burst takes to send — on a
# loaded machine, seconds — cannot let a first wave finish and a second one in.
GATED = """
import os, time
def handler(event, context):
    while event.get("gate") and not os.path.exists(event["gate"]):
        time.sleep(0.02)
    return "done"
"""


def burst(lam, name, n, sleep=0.0, *, gate=None, running=None, until=None, **kwargs):
    """Fire n invokes at once; returns ('ok' | throttle reason) for each.

    With ``gate`` (a path) the admitted calls wait until the others have all come back — ``n - running``
    of them — and, if given, ``until()`` holds; only then is the gate opened.
    """
    start = threading.Barrier(n)
    finished = threading.Semaphore(0)
    payload = json.dumps({"sleep": sleep, "gate": str(gate) if gate else None})

    def one(_):
        start.wait()
        try:
            lam.invoke(FunctionName=name, Payload=payload, **kwargs)
            return "ok"
        except ClientError as exc:
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 429
            assert exc.response["Error"]["Code"] == "TooManyRequestsException"
            return exc.response["Reason"]
        finally:
            finished.release()

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(one, i) for i in range(n)]
        if gate is not None:
            deadline = time.monotonic() + 120
            for _ in range(n - running):
                if not finished.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    break
            while until is not None and not until() and time.monotonic() < deadline:
                time.sleep(0.02)
            gate.write_text("open")
        return [f.result() for f in futures]


def test_when_reserved_concurrency_is_full_then_429_with_the_reserved_reason(lam, box, tmp_path):
    lambdalab.deploy("reserved-3", code=GATED, timeout=120)
    lam.put_function_concurrency(FunctionName="reserved-3", ReservedConcurrentExecutions=3)
    outcomes = burst(lam, "reserved-3", 8, gate=tmp_path / "gate", running=3)
    assert outcomes.count("ok") == 3
    assert outcomes.count("ReservedFunctionConcurrentInvocationLimitExceeded") == 5


def test_when_reserved_concurrency_is_zero_then_the_function_is_disabled(lam):
    lambdalab.deploy("disabled", code=SLOW)
    lam.put_function_concurrency(FunctionName="disabled", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as raised:
        lam.invoke(FunctionName="disabled", Payload=b"{}")
    assert raised.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.delete_function_concurrency(FunctionName="disabled")
    assert lam.invoke(FunctionName="disabled", Payload=b"{}")["StatusCode"] == 200


def test_when_the_account_pool_is_full_then_429_with_the_account_reason(lam, box, tmp_path):
    box.configure_lambda(concurrent_executions=20)  # keeps 2 unreserved, as AWS keeps 100 of 1,000
    lambdalab.deploy("hog", code=SLOW, timeout=10)
    lambdalab.deploy("neighbour", code=GATED, timeout=120)
    lam.put_function_concurrency(FunctionName="hog", ReservedConcurrentExecutions=17)
    outcomes = burst(lam, "neighbour", 6, gate=tmp_path / "gate", running=3)
    assert outcomes.count("ok") == 3
    assert set(outcomes) == {"ok", "ConcurrentInvocationLimitExceeded"}


def test_when_a_reservation_would_leave_too_little_unreserved_then_aws_refuses_it(lam, box):
    lambdalab.deploy("greedy", code=SLOW)
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match=r"minimum value of \[100\]"):
        lam.put_function_concurrency(FunctionName="greedy", ReservedConcurrentExecutions=901)
    settings = lam.get_account_settings()["AccountLimit"]
    assert settings["ConcurrentExecutions"] == 1000 and settings["UnreservedConcurrentExecutions"] == 1000


def test_load_500_concurrent_invokes_against_reserved_10_throttle_exactly_the_excess(lam, box, tmp_path):
    lambdalab.deploy("load-10", code=GATED, timeout=300)
    lam.put_function_concurrency(FunctionName="load-10", ReservedConcurrentExecutions=10)
    children_before = {p.pid for p in psutil.Process().children(recursive=True)}
    outcomes = burst(lam, "load-10", 500, gate=tmp_path / "gate", running=10)
    assert outcomes.count("ok") == 10
    assert outcomes.count("ReservedFunctionConcurrentInvocationLimitExceeded") == 490
    assert box.lambda_service.governor.peak("load-10") == 10
    box.lambda_service.shutdown_function("load-10")
    time.sleep(0.2)
    leaked = [p for p in psutil.Process().children(recursive=True)
              if p.pid not in children_before and p.status() != psutil.STATUS_ZOMBIE]
    assert leaked == []


class ManualClock:
    """The governor's clock, moved by the test: the scaling allowance refills by seconds it is told pass."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


def test_when_the_scaling_rate_is_spent_then_new_environments_wait_for_it_to_refill(lam, box, tmp_path, monkeypatch):
    clock = ManualClock()
    monkeypatch.setattr(box.lambda_service.governor, "clock", clock)
    box.configure_lambda(scaling_rate=2, scaling_period_s=2.0)  # 2 new environments per 2 s
    lambdalab.deploy("scaling", code=GATED, timeout=120)
    first = burst(lam, "scaling", 4, gate=tmp_path / "gate", running=2)
    assert first.count("ok") == 2
    clock.advance(2.0)  # a whole period: the allowance is full again, 2 more environments may start
    second = burst(lam, "scaling", 4)
    assert second.count("ok") == 4  # the two warm environments and two new ones


def test_provisioned_concurrency_goes_in_progress_then_ready_and_serves_without_init(lam, box):
    lambdalab.deploy("provisioned", code="import time\ntime.sleep(0.3)\n" + SLOW, timeout=10)
    version = lam.publish_version(FunctionName="provisioned")["Version"]
    lam.create_alias(FunctionName="provisioned", Name="live", FunctionVersion=version)
    put = lam.put_provisioned_concurrency_config(FunctionName="provisioned", Qualifier="live",
                                                 ProvisionedConcurrentExecutions=2)
    assert put["Status"] == "IN_PROGRESS" and put["RequestedProvisionedConcurrentExecutions"] == 2
    deadline = time.monotonic() + 20
    while lam.get_provisioned_concurrency_config(FunctionName="provisioned", Qualifier="live")["Status"] != "READY":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    got = lam.get_provisioned_concurrency_config(FunctionName="provisioned", Qualifier="live")
    assert got["AllocatedProvisionedConcurrentExecutions"] == 2
    assert [s.provisioned for s in box.lambda_service.environments("provisioned")].count(True) == 2
    response = lam.invoke(FunctionName="provisioned", Qualifier="live", Payload=b"{}", LogType="Tail")
    import base64

    assert "Init Duration" not in base64.b64decode(response["LogResult"]).decode()
    listed = lam.list_provisioned_concurrency_configs(FunctionName="provisioned")["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in listed] == ["live"]
    lam.delete_provisioned_concurrency_config(FunctionName="provisioned", Qualifier="live")
    with pytest.raises(ClientError):
        lam.get_provisioned_concurrency_config(FunctionName="provisioned", Qualifier="live")


def test_provisioned_concurrency_on_latest_is_refused(lam):
    lambdalab.deploy("unpublished", code=SLOW)
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="unpublished function versions"):
        lam.put_provisioned_concurrency_config(FunctionName="unpublished", Qualifier="$LATEST",
                                               ProvisionedConcurrentExecutions=1)


def test_beyond_provisioned_requests_spill_over_to_on_demand_and_metrics_say_so(lam, box, tmp_path):
    lambdalab.deploy("spill", code=GATED, timeout=120)
    version = lam.publish_version(FunctionName="spill")["Version"]
    lam.put_provisioned_concurrency_config(FunctionName="spill", Qualifier=version, ProvisionedConcurrentExecutions=1)
    while lam.get_provisioned_concurrency_config(FunctionName="spill", Qualifier=version)["Status"] != "READY":
        time.sleep(0.05)
    outcomes = burst(lam, "spill", 3, gate=tmp_path / "gate", running=3, Qualifier=version,
                     until=lambda: box.lambda_service.governor.in_flight("spill") == 2)
    assert outcomes == ["ok"] * 3
    assert lambdalab.flush_logs()
    cloudwatch = box.client("cloudwatch")
    now = dt.datetime.now(dt.UTC)

    def total(metric):
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName=metric, StartTime=now - dt.timedelta(minutes=5),
            EndTime=now + dt.timedelta(minutes=1), Period=300, Statistics=["Sum"],
            Dimensions=[{"Name": "FunctionName", "Value": "spill"}, {"Name": "Resource", "Value": f"spill:{version}"}],
        )["Datapoints"]
        return sum(p["Sum"] for p in points)

    assert total("ProvisionedConcurrencySpilloverInvocations") == 2
    assert total("Invocations") == 3


def test_throttles_and_invocations_land_in_cloudwatch_and_an_alarm_can_watch_them(lam, box, tmp_path):
    lambdalab.deploy("watched", code=GATED, timeout=120)
    lam.put_function_concurrency(FunctionName="watched", ReservedConcurrentExecutions=1)
    outcomes = burst(lam, "watched", 4, gate=tmp_path / "gate", running=1)
    assert lambdalab.flush_logs()
    cloudwatch = box.client("cloudwatch")
    now = dt.datetime.now(dt.UTC)
    stats = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="Throttles", Dimensions=[{"Name": "FunctionName", "Value": "watched"}],
        StartTime=now - dt.timedelta(minutes=5), EndTime=now + dt.timedelta(minutes=1), Period=300,
        Statistics=["Sum"])
    assert sum(p["Sum"] for p in stats["Datapoints"]) == outcomes.count(
        "ReservedFunctionConcurrentInvocationLimitExceeded") == 3
    cloudwatch.put_metric_alarm(AlarmName="watched-throttles", Namespace="AWS/Lambda", MetricName="Throttles",
                                Dimensions=[{"Name": "FunctionName", "Value": "watched"}], Statistic="Sum",
                                Period=60, EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold")
    assert cloudwatch.describe_alarms(AlarmNames=["watched-throttles"])["MetricAlarms"][0]["MetricName"] == "Throttles"


def test_deleting_or_redeploying_a_function_gives_its_reserved_concurrency_back(lam, box):
    lambdalab.deploy("reserving", code=SLOW)
    lam.put_function_concurrency(FunctionName="reserving", ReservedConcurrentExecutions=7)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 993
    lambdalab.deploy("reserving", code=SLOW)  # a new function of the same name starts unreserved
    assert lam.get_function_concurrency(FunctionName="reserving").get("ReservedConcurrentExecutions") is None
    assert box.lambda_service.governor.reserved("reserving") is None
    lam.put_function_concurrency(FunctionName="reserving", ReservedConcurrentExecutions=7)
    lam.delete_function(FunctionName="reserving")
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000


def test_metrics_of_an_invoke_through_an_alias_carry_the_alias(lam, box):
    lambdalab.deploy("aliased", code=SLOW)
    version = lam.publish_version(FunctionName="aliased")["Version"]
    lam.create_alias(FunctionName="aliased", Name="live", FunctionVersion=version)
    lam.invoke(FunctionName="aliased", Qualifier="live", Payload=b"{}")
    assert lambdalab.flush_logs()
    metrics = box.client("cloudwatch").list_metrics(Namespace="AWS/Lambda", MetricName="Invocations")["Metrics"]
    resources = {d["Value"] for m in metrics for d in m["Dimensions"] if d["Name"] == "Resource"}
    assert resources == {"aliased:live"}
