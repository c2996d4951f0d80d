"""Alarms created through boto3 change state from the sandbox's metrics and notify SNS subscribers."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest

import lambdalab

START = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture
def frozen(box):
    box.clock.freeze(START)
    yield box.clock
    box.clock.reset()


@pytest.fixture
def cloudwatch(box):
    return box.client("cloudwatch")


def put_alarm(cloudwatch, metric: str, **extra) -> str:
    name = f"alarm-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="Lesson07",
        MetricName=metric,
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=2,
        DatapointsToAlarm=2,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
        **extra,
    )
    return name


def state(cloudwatch, name: str) -> dict:
    return cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def test_when_an_alarm_is_created_then_it_starts_with_insufficient_data(cloudwatch, frozen):
    assert state(cloudwatch, put_alarm(cloudwatch, "Fresh"))["StateValue"] == "INSUFFICIENT_DATA"


def test_when_datapoints_breach_for_two_periods_then_the_alarm_fires_and_sns_delivers_to_sqs(box, cloudwatch, frozen):
    sns, sqs = box.client("sns"), box.client("sqs")
    topic = sns.create_topic(Name=f"alarms-{uuid.uuid4().hex[:6]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"pager-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    name = put_alarm(cloudwatch, "Errors", AlarmActions=[topic])
    for minute, value in enumerate([1, 9, 9]):
        cloudwatch.put_metric_data(
            Namespace="Lesson07",
            MetricData=[
                {"MetricName": "Errors", "Value": value, "Timestamp": START + dt.timedelta(minutes=minute, seconds=5)}
            ],
        )

    frozen.set(START + dt.timedelta(minutes=2))
    assert box.alarms.evaluate()[name] == "OK"  # 1, 9: one breach of two
    frozen.set(START + dt.timedelta(minutes=3))
    assert box.alarms.evaluate()[name] == "ALARM"
    alarm = state(cloudwatch, name)
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith("Threshold Crossed: 2 out of the last 2 datapoints [9 (05/12/26 09:02:00)")
    message = json.loads(sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"][0]["Body"])
    assert (message["AlarmName"], message["OldStateValue"], message["NewStateValue"]) == (name, "OK", "ALARM")
    assert message["Trigger"]["MetricName"] == "Errors" and message["Trigger"]["Threshold"] == 5.0


def test_when_the_clock_moves_on_without_data_then_missing_data_is_treated_as_configured(box, cloudwatch, frozen):
    quiet = put_alarm(cloudwatch, "Throttled", TreatMissingData="notBreaching")
    strict = put_alarm(cloudwatch, "Heartbeat", TreatMissingData="breaching")
    frozen.set(START + dt.timedelta(minutes=10))
    states = box.alarms.evaluate()
    assert (states[quiet], states[strict]) == ("OK", "ALARM")


def test_when_the_sandbox_clock_advances_then_alarms_are_evaluated_in_the_background(box, cloudwatch, frozen):
    name = put_alarm(cloudwatch, "Backlog")
    cloudwatch.put_metric_data(
        Namespace="Lesson07",
        MetricData=[
            {"MetricName": "Backlog", "Value": 50, "Timestamp": START + dt.timedelta(minutes=m, seconds=1)}
            for m in range(2)
        ],
    )
    frozen.set(START + dt.timedelta(minutes=2, seconds=30))
    deadline = time.monotonic() + 20
    while state(cloudwatch, name)["StateValue"] != "ALARM" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state(cloudwatch, name)["StateValue"] == "ALARM"


REMEDIATION = """
import json, os
import boto3

def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE"], MessageBody=json.dumps(
        {"function": context.function_name, "event": event}))
"""


def test_when_an_alarm_action_is_a_function_then_it_is_invoked_only_if_its_policy_allows_cloudwatch(
    box, cloudwatch, frozen
):
    from lambdalab.service.async_invoke import invoker

    sqs, lam = box.client("sqs"), box.client("lambda")
    queue = sqs.create_queue(QueueName=f"remediation-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arns = {}
    for name in ("allowed-remediation", "unauthorised-remediation"):
        arns[name] = lambdalab.deploy(name, code=REMEDIATION, environment={"QUEUE": queue}, timeout=30).arn
    lam.add_permission(
        FunctionName="allowed-remediation",
        StatementId="AlarmAction",
        Action="lambda:InvokeFunction",
        Principal="lambda.alarms.cloudwatch.amazonaws.com",
    )
    alarm = put_alarm(cloudwatch, "Latency", AlarmActions=list(arns.values()))
    cloudwatch.put_metric_data(
        Namespace="Lesson07",
        MetricData=[
            {"MetricName": "Latency", "Value": 900, "Timestamp": START + dt.timedelta(minutes=m, seconds=2)}
            for m in range(2)
        ],
    )
    frozen.set(START + dt.timedelta(minutes=2))
    assert box.alarms.evaluate()[alarm] == "ALARM"
    assert invoker(box.lambda_service).drain(60)
    bodies = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    ]
    assert [body["function"] for body in bodies] == ["allowed-remediation"]
    event = bodies[0]["event"]
    assert (event["source"], event["alarmData"]["alarmName"]) == ("aws.cloudwatch", alarm)
    assert (event["alarmData"]["state"]["value"], event["alarmData"]["previousState"]["value"]) == (
        "ALARM",
        "INSUFFICIENT_DATA",
    )
    assert event["alarmData"]["configuration"]["metrics"][0]["metricStat"]["metric"]["name"] == "Latency"
