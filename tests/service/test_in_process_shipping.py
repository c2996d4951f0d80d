"""Lambda's logs and metrics reach CloudWatch without an HTTP request, and read back through boto3 as before.

The shippers call moto's backends in the sandbox's process (``lambdalab.service.in_process_cloudwatch``).
What these tests guarantee is what a learner sees: the REPORT line in the function's log group, the data
points in ``AWS/Lambda`` in the minute of the sandbox clock, an EMF line turned into a metric, a deleted log
group made again, and not one PutLogEvents or PutMetricData request to the sandbox's server on the way.
"""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest

import lambdalab
from lambdalab import clock

EMF_HANDLER = '''
import json
import time

def handler(event, context):
    print(json.dumps({"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
        {"Namespace": "Shop", "Dimensions": [["Service"]], "Metrics": [{"Name": "Orders", "Unit": "Count"}]}]},
        "Service": "checkout", "Orders": event["orders"]}))
    return "ok"
'''


@pytest.fixture
def requests_to_server(monkeypatch):
    """How many PutLogEvents and PutMetricData requests moto's request handlers answered."""
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.logs.responses import LogsResponse

    seen: list[str] = []
    for cls, name in ((LogsResponse, "put_log_events"), (CloudWatchResponse, "put_metric_data")):
        answer = getattr(cls, name)

        def counted(response, _answer=answer, _name=name):
            seen.append(_name)
            return _answer(response)

        monkeypatch.setattr(cls, name, counted)
    return seen


def test_a_warm_invokes_logs_and_metrics_land_without_a_request_and_read_back_through_boto3(box, requests_to_server):
    monday = dt.datetime(2026, 12, 7, 9, 0, 5, tzinfo=dt.UTC)
    clock.freeze(monday)
    fn = lambdalab.deploy("shipped", code="def handler(event, context):\n    print('hello')\n    return 1\n")
    results = [fn.invoke({}) for _ in range(3)]
    assert lambdalab.flush_logs()

    logs = boto3.client("logs")
    group = "/aws/lambda/shipped"
    stream = results[-1].log_stream_name
    messages = [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]]
    assert any(m.startswith(f"REPORT RequestId: {results[-1].request_id}") for m in messages)
    assert sum("hello" in m for m in messages) == 3

    points = boto3.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="Invocations", Dimensions=[{"Name": "FunctionName", "Value": "shipped"}],
        StartTime=monday - dt.timedelta(minutes=1), EndTime=monday + dt.timedelta(minutes=1), Period=60,
        Statistics=["Sum"])["Datapoints"]
    assert [(p["Timestamp"].strftime("%H:%M"), p["Sum"]) for p in points] == [("09:00", 3.0)]
    assert requests_to_server == []


def test_an_emf_line_in_a_functions_log_becomes_a_metric(box, requests_to_server):
    fn = lambdalab.deploy("emf-shipped", code=EMF_HANDLER)
    fn.invoke({"orders": 4})
    assert lambdalab.flush_logs()
    when = dt.datetime.now(dt.UTC)
    points = boto3.client("cloudwatch").get_metric_statistics(
        Namespace="Shop", MetricName="Orders", Dimensions=[{"Name": "Service", "Value": "checkout"}],
        StartTime=when - dt.timedelta(minutes=1), EndTime=when + dt.timedelta(minutes=1), Period=60,
        Statistics=["Sum"])["Datapoints"]
    assert [p["Sum"] for p in points] == [4.0]
    assert requests_to_server == []


def test_when_the_log_group_is_deleted_then_the_next_invoke_makes_it_again_and_loses_no_line(box):
    fn = lambdalab.deploy("regrouped", code="def handler(event, context):\n    print(json.dumps(event))\n"
                                            "    return 1\nimport json\n")
    fn.invoke({"n": 1})
    assert lambdalab.flush_logs()
    logs = boto3.client("logs")
    logs.delete_log_group(logGroupName="/aws/lambda/regrouped")
    fn.invoke({"n": 2})  # Lambda makes the group again, as on AWS: no line is lost
    assert lambdalab.flush_logs()
    events = logs.filter_log_events(logGroupName="/aws/lambda/regrouped")["events"]
    assert [e["message"].strip() for e in events if e["message"].startswith("{")] == [json.dumps({"n": 2})]
