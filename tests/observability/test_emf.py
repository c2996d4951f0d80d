"""EMF lines a handler prints become CloudWatch metrics, as CloudWatch Logs makes them on AWS."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

import lambdalab

POWERTOOLS_HANDLER = """
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics(namespace="{namespace}", service="orders")


@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event, context):
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=event["orders"])
    return "placed"
"""

#: Prints the EMF document it is given (``_aws.Timestamp`` filled in when absent) and returns.
PRINTING_HANDLER = """
import json, time

def handler(event, context):
    document = event["document"]
    if isinstance(document, dict) and "_aws" in document and event.get("stamp", True):
        document["_aws"].setdefault("Timestamp", int(time.time() * 1000))
    print(json.dumps(document) if not isinstance(document, str) else document)
    return "printed"
"""


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture(scope="module")
def cloudwatch(box):
    return box.client("cloudwatch")


@pytest.fixture(scope="module")
def printer(box):
    return lambdalab.deploy(f"emf-printer-{uuid.uuid4().hex[:6]}", code=PRINTING_HANDLER)


def window() -> dict:
    now = dt.datetime.now(dt.UTC)
    return {"StartTime": now - dt.timedelta(minutes=15), "EndTime": now + dt.timedelta(minutes=5)}


def emf(namespace: str, metrics: list[dict], dimensions: list[list[str]], **members) -> dict:
    return {
        "_aws": {"CloudWatchMetrics": [{"Namespace": namespace, "Dimensions": dimensions, "Metrics": metrics}]},
        **members,
    }


def listed(cloudwatch, namespace: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    metrics = cloudwatch.list_metrics(Namespace=namespace)["Metrics"]
    return {(m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]))) for m in metrics}


def statistics(cloudwatch, namespace: str, name: str, dimensions: dict[str, str], *stats: str) -> dict:
    points = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Period=3600,
        Statistics=list(stats),
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        **window(),
    )["Datapoints"]
    assert len(points) <= 1
    return points[0] if points else {}


def test_powertools_metrics_in_a_handler_become_cloudwatch_metrics(box, cloudwatch):
    namespace = f"Shop{uuid.uuid4().hex[:6]}"
    name = f"emf-powertools-{uuid.uuid4().hex[:6]}"
    fn = lambdalab.deploy(
        name, code=POWERTOOLS_HANDLER.format(namespace=namespace), timeout=30, layers=[lambdalab.POWERTOOLS_LAYER_ARN]
    )
    for orders in (1, 2, 3):
        assert fn.invoke({"orders": orders}).payload == "placed"
    assert lambdalab.flush_logs()
    placed = statistics(cloudwatch, namespace, "OrdersPlaced", {"service": "orders"}, "Sum", "SampleCount")
    assert placed["Sum"] == 6 and placed["SampleCount"] == 3 and placed["Unit"] == "Count"
    cold = statistics(cloudwatch, namespace, "ColdStart", {"function_name": name, "service": "orders"}, "Sum")
    assert cold["Sum"] == 1  # one execution environment, one cold start
    assert ("OrdersPlaced", (("service", "orders"),)) in listed(cloudwatch, namespace)


def test_every_dimension_set_makes_its_own_metric_and_arrays_are_values(cloudwatch, printer):
    namespace = f"Checkout{uuid.uuid4().hex[:6]}"
    document = emf(
        namespace,
        [{"Name": "Latency", "Unit": "Milliseconds", "StorageResolution": 1}, {"Name": "Items"}],
        [["Service", "Route"], ["Service"], []],
        Service="cart",
        Route="/pay",
        Latency=[10, 20, 60],
        Items=4,
        requestId="not-a-dimension",
    )
    printer.invoke({"document": document})
    assert lambdalab.flush_logs()
    assert listed(cloudwatch, namespace) == {
        (metric, dims)
        for metric in ("Latency", "Items")
        for dims in ((("Route", "/pay"), ("Service", "cart")), (("Service", "cart"),), ())
    }
    both = {"Service": "cart", "Route": "/pay"}
    latency = statistics(cloudwatch, namespace, "Latency", both, "Maximum", "Average", "SampleCount")
    assert (latency["Maximum"], latency["Average"], latency["SampleCount"]) == (60, 30, 3)
    assert latency["Unit"] == "Milliseconds"
    assert statistics(cloudwatch, namespace, "Items", both, "Sum")["Sum"] == 4
    now = dt.datetime.now(dt.UTC)
    data = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "p",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": "Latency",
                        "Dimensions": [{"Name": "Service", "Value": "cart"}, {"Name": "Route", "Value": "/pay"}],
                    },
                    "Period": 3600,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=now - dt.timedelta(hours=1),
        EndTime=now + dt.timedelta(minutes=5),
    )["MetricDataResults"][0]
    assert sum(data["Values"]) == 90


INVALID = {
    "no timestamp": ({"Service": "a", "M": 1}, [["Service"]], [{"Name": "M"}], False),
    "31 dimensions": (
        {**{f"d{i}": "x" for i in range(31)}, "M": 1},
        [[f"d{i}" for i in range(31)]],
        [{"Name": "M"}],
        True,
    ),
    "101 metrics": ({**{f"m{i}": 1 for i in range(101)}}, [[]], [{"Name": f"m{i}"} for i in range(101)], True),
    "a metric that is text": ({"M": "12"}, [[]], [{"Name": "M"}], True),
    "a dimension that is a number": ({"Service": 3, "M": 1}, [["Service"]], [{"Name": "M"}], True),
    "a missing metric member": ({"Service": "a"}, [["Service"]], [{"Name": "M"}], True),
    "an unknown unit": ({"M": 1}, [[]], [{"Name": "M", "Unit": "Parsecs"}], True),
    "a storage resolution of 30": ({"M": 1}, [[]], [{"Name": "M", "StorageResolution": 30}], True),
    "more than 100 values": ({"M": list(range(101))}, [[]], [{"Name": "M"}], True),
    "no dimension sets at all": ({"M": 1}, [], [{"Name": "M"}], True),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_emf_is_kept_as_a_log_line_but_makes_no_metric(box, cloudwatch, printer, case):
    members, dimensions, metrics, stamp = INVALID[case]
    namespace = f"Invalid{uuid.uuid4().hex[:6]}"
    document = emf(namespace, metrics, dimensions, **members)
    printer.invoke({"document": document, "stamp": stamp})
    assert lambdalab.flush_logs()
    assert cloudwatch.list_metrics(Namespace=namespace)["Metrics"] == []
    events = box.client("logs").filter_log_events(
        logGroupName=f"/aws/lambda/{printer.name}", filterPattern=f'"{namespace}"'
    )["events"]
    assert (
        len(events) == 1 and json.loads(events[0]["message"])["_aws"]["CloudWatchMetrics"][0]["Namespace"] == namespace
    )


def test_put_log_events_from_any_code_makes_metrics_with_or_without_the_emf_header(box, cloudwatch):
    logs = box.client("logs")
    group, namespace = f"/app/{uuid.uuid4().hex[:6]}", f"Agent{uuid.uuid4().hex[:6]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    document = emf(namespace, [{"Name": "Jobs", "Unit": "Count"}], [[]], Jobs=5)
    document["_aws"]["Timestamp"] = now_ms
    event = [{"timestamp": now_ms, "message": json.dumps(document)}]
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=event)

    def emf_header(request, **_):
        request.headers["x-amzn-logs-format"] = "json/emf"

    logs.meta.events.register("before-sign.cloudwatch-logs.PutLogEvents", emf_header)
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=event)
    jobs = statistics(cloudwatch, namespace, "Jobs", {}, "Sum", "SampleCount")
    assert (jobs["Sum"], jobs["SampleCount"]) == (10, 2)


def test_invalid_documents_are_counted_in_aws_logs_by_log_group(box, cloudwatch):
    logs = box.client("logs")
    group = f"/app/{uuid.uuid4().hex[:6]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    not_json = '{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [ oops'
    text_metric = emf("Bad", [{"Name": "M"}], [[]], M="1")  # a metric value that is text, not a number
    text_metric["_aws"]["Timestamp"] = now_ms
    text_metric = json.dumps(text_metric)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": now_ms, "message": not_json},
            {"timestamp": now_ms, "message": text_metric},
            {"timestamp": now_ms, "message": text_metric},
            {"timestamp": now_ms, "message": "an ordinary line, not EMF"},
        ],
    )
    where = {"LogGroupName": group}
    assert statistics(cloudwatch, "AWS/Logs", "EMFParsingErrors", where, "Sum")["Sum"] == 1
    assert statistics(cloudwatch, "AWS/Logs", "EMFValidationErrors", where, "Sum")["Sum"] == 2


def test_an_alarm_on_an_emf_metric_goes_to_alarm(box, cloudwatch, printer):
    namespace = f"Alarmed{uuid.uuid4().hex[:6]}"
    minute = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(minutes=10)
    document = emf(namespace, [{"Name": "QueueDepth", "Unit": "Count"}], [["Queue"]], Queue="orders", QueueDepth=9)
    document["_aws"]["Timestamp"] = int((minute + dt.timedelta(seconds=30)).timestamp() * 1000)
    printer.invoke({"document": document})
    assert lambdalab.flush_logs()
    name = f"deep-{uuid.uuid4().hex[:6]}"
    lambdalab.sandbox().clock.freeze(minute + dt.timedelta(minutes=2))
    try:
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace=namespace,
            MetricName="QueueDepth",
            Statistic="Maximum",
            Dimensions=[{"Name": "Queue", "Value": "orders"}],
            Period=60,
            EvaluationPeriods=3,
            DatapointsToAlarm=1,
            Threshold=5,
            ComparisonOperator="GreaterThanThreshold",
        )
        assert box.alarms.evaluate()[name] == "ALARM"
    finally:
        lambdalab.sandbox().clock.reset()
        box.alarms.reset()
