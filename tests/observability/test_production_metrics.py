"""The metrics production alarms need and moto never publishes: Lambda's asynchronous metrics and SQS's
queue depth and oldest-message age, read back through boto3 as on AWS."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest

import lambdalab
from lambdalab.service.async_invoke import invoker

FAILING = "def handler(event, context):\n    raise RuntimeError('boom')\n"


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    sandbox.async_invocations.set_retry_delays(0.0)
    yield sandbox
    sandbox.async_invocations.set_retry_delays()
    sandbox.reset()


def metric_sum(cloudwatch, namespace, name, dimensions, stat="Sum"):
    now = dt.datetime.now(dt.UTC)
    result = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions},
                    "Period": 3600,
                    "Stat": stat,
                },
            }
        ],
        StartTime=now - dt.timedelta(hours=2),
        EndTime=now + dt.timedelta(hours=2),
    )
    return sum(result["MetricDataResults"][0]["Values"])


def wait_for(read, want, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = read()
        if got == want:
            return got
        time.sleep(0.1)
    return read()


def test_when_an_async_event_fails_every_retry_then_it_is_counted_received_and_dropped(box):
    name = f"drops-{uuid.uuid4().hex[:6]}"
    fn = lambdalab.deploy(name, code=FAILING)
    lam = box.client("lambda")
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    for _ in range(2):
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    assert invoker(box.lambda_service).drain(30)
    lambdalab.flush_logs()
    cloudwatch = box.client("cloudwatch")
    dims = [{"Name": "FunctionName", "Value": name}]
    assert wait_for(lambda: metric_sum(cloudwatch, "AWS/Lambda", "AsyncEventsDropped", dims), 2.0) == 2.0
    assert metric_sum(cloudwatch, "AWS/Lambda", "AsyncEventsReceived", dims) == 2.0
    # two events, each tried once and retried once: four invocations, four ages
    assert metric_sum(cloudwatch, "AWS/Lambda", "AsyncEventAge", dims, "SampleCount") == 4.0
    assert metric_sum(cloudwatch, "AWS/Lambda", "Errors", dims) == 4.0
    fn.delete()


def test_when_an_async_event_succeeds_then_nothing_is_dropped(box):
    name = f"fine-{uuid.uuid4().hex[:6]}"
    fn = lambdalab.deploy(name, code="def handler(event, context):\n    return 1\n")
    box.client("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    assert invoker(box.lambda_service).drain(30)
    lambdalab.flush_logs()
    cloudwatch = box.client("cloudwatch")
    dims = [{"Name": "FunctionName", "Value": name}]
    assert wait_for(lambda: metric_sum(cloudwatch, "AWS/Lambda", "AsyncEventsReceived", dims), 1.0) == 1.0
    assert metric_sum(cloudwatch, "AWS/Lambda", "AsyncEventsDropped", dims) == 0.0
    fn.delete()


def test_when_the_alarms_are_evaluated_then_each_queue_reports_its_depth_and_oldest_age(box):
    sqs = box.client("sqs")
    name = f"dlq-{uuid.uuid4().hex[:6]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    empty = f"empty-{uuid.uuid4().hex[:6]}"
    sqs.create_queue(QueueName=empty)
    box.alarms.evaluate()
    cloudwatch = box.client("cloudwatch")
    dims = [{"Name": "QueueName", "Value": name}]
    assert metric_sum(cloudwatch, "AWS/SQS", "ApproximateNumberOfMessagesVisible", dims, "Maximum") == 3.0
    age = metric_sum(cloudwatch, "AWS/SQS", "ApproximateAgeOfOldestMessage", dims, "Maximum")
    assert 0.0 <= age < 60.0
    empty_dims = [{"Name": "QueueName", "Value": empty}]
    assert metric_sum(cloudwatch, "AWS/SQS", "ApproximateNumberOfMessagesVisible", empty_dims, "Maximum") == 0.0
    assert metric_sum(cloudwatch, "AWS/SQS", "ApproximateAgeOfOldestMessage", empty_dims, "Maximum") == 0.0
