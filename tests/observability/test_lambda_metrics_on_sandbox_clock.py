"""Lambda's metrics are stamped with the sandbox clock, so an alarm on Throttles judges a frozen minute at once."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests
from botocore.config import Config

import lambdalab

MINUTE = dt.datetime(2026, 12, 5, 10, 0, 5, tzinfo=dt.UTC)
SLEEPER = "import time\ndef handler(event, context):\n    time.sleep(event.get('seconds', 0))\n"


@pytest.fixture
def box():
    sandbox = lambdalab.sandbox()
    lambdalab.sandbox().clock.freeze(MINUTE)
    yield sandbox
    lambdalab.sandbox().clock.reset()
    sandbox.reset()


def burst(lam, n: int) -> int:
    """n concurrent invokes of 0.5 s; how many were throttled."""
    # Built here, once: botocore builds a client's exception classes on first use, and threads racing to
    # build them can each get their own class, which another thread's ``except`` does not match.
    throttled = lam.exceptions.TooManyRequestsException

    def one(_: int) -> bool:
        try:
            lam.invoke(FunctionName="narrow", Payload=b'{"seconds": 0.5}')
            return False
        except throttled:
            return True

    with ThreadPoolExecutor(max_workers=n) as pool:
        return sum(pool.map(one, range(n)))


def test_when_the_clock_is_frozen_then_lambda_metrics_land_in_the_frozen_minute(box):
    lambdalab.deploy("stamped", code=SLEEPER).invoke({})
    lambdalab.flush_logs()
    points = box.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Invocations",
        Dimensions=[{"Name": "FunctionName", "Value": "stamped"}],
        StartTime=MINUTE - dt.timedelta(seconds=5),
        EndTime=MINUTE + dt.timedelta(seconds=55),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert [p["Sum"] for p in points] == [1.0]


def test_when_a_burst_throttles_then_a_throttles_alarm_fires_and_after_a_fix_it_returns_to_ok(box):
    lam = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}))
    cloudwatch = box.client("cloudwatch")
    lambdalab.deploy("narrow", code=SLEEPER, timeout=5)
    lam.put_function_concurrency(FunctionName="narrow", ReservedConcurrentExecutions=2)
    cloudwatch.put_metric_alarm(
        AlarmName="narrow-throttles",
        Namespace="AWS/Lambda",
        MetricName="Throttles",
        Dimensions=[{"Name": "FunctionName", "Value": "narrow"}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )

    assert burst(lam, 6) >= 3
    lambdalab.flush_logs()
    lambdalab.sandbox().clock.set(MINUTE + dt.timedelta(minutes=1))
    assert box.alarms.evaluate()["narrow-throttles"] == "ALARM"

    lam.put_function_concurrency(FunctionName="narrow", ReservedConcurrentExecutions=8)
    assert burst(lam, 6) == 0  # at 10:01:05
    lambdalab.flush_logs()
    # As on AWS, while the breaching datapoint is still in the evaluation range (EvaluationPeriods + 2
    # periods here) and is the newest real one, it decides: TreatMissingData applies only without one.
    lambdalab.sandbox().clock.set(MINUTE + dt.timedelta(minutes=2))
    assert box.alarms.evaluate()["narrow-throttles"] == "ALARM"
    lambdalab.sandbox().clock.set(MINUTE + dt.timedelta(minutes=4))  # range 10:01-10:04: the fixed minute, no throttles
    assert box.alarms.evaluate()["narrow-throttles"] == "OK"


def test_when_throttles_continue_after_a_fix_that_is_not_enough_then_the_alarm_stays_in_alarm(box):
    lam = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}))
    cloudwatch = box.client("cloudwatch")
    lambdalab.deploy("narrow", code=SLEEPER, timeout=5)
    lam.put_function_concurrency(FunctionName="narrow", ReservedConcurrentExecutions=1)
    cloudwatch.put_metric_alarm(
        AlarmName="still-throttled",
        Namespace="AWS/Lambda",
        MetricName="Throttles",
        Dimensions=[{"Name": "FunctionName", "Value": "narrow"}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )
    burst(lam, 4)
    lambdalab.flush_logs()
    lambdalab.sandbox().clock.set(MINUTE + dt.timedelta(minutes=1))
    assert box.alarms.evaluate()["still-throttled"] == "ALARM"

    lam.put_function_concurrency(FunctionName="narrow", ReservedConcurrentExecutions=2)  # not enough for 4
    assert burst(lam, 4) >= 1  # at 10:01:05
    lambdalab.flush_logs()
    box.clock.set(MINUTE + dt.timedelta(minutes=4))  # range 10:01-10:04 holds the throttles after the fix
    assert box.alarms.evaluate()["still-throttled"] == "ALARM"


def test_when_the_clock_is_frozen_then_api_gateway_metrics_land_in_the_frozen_minute_too(box):
    function = lambdalab.deploy("switched-off", code=SLEEPER)
    box.client("lambda").put_function_concurrency(FunctionName="switched-off", ReservedConcurrentExecutions=0)
    rest = box.client("apigateway")
    api_id = rest.create_rest_api(name="frozen-shop")["id"]
    root = next(r["id"] for r in rest.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    rest.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    rest.put_integration(
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function.arn}/invocations",
    )
    rest.create_deployment(restApiId=api_id, stageName="prod")

    assert requests.get(lambdalab.api_url(api_id, "prod") + "/", timeout=30).status_code == 500  # throttled
    lambdalab.flush_logs()  # Lambda's writers and the triggers' own, API Gateway's included
    points = box.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/ApiGateway",
        MetricName="5XXError",
        Dimensions=[{"Name": "ApiName", "Value": "frozen-shop"}, {"Name": "Stage", "Value": "prod"}],
        StartTime=MINUTE - dt.timedelta(seconds=5),
        EndTime=MINUTE + dt.timedelta(seconds=55),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert [p["Sum"] for p in points] == [1.0]
