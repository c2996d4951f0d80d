"""GetMetricData answers percentiles and metric math, and alarms on metric math change state, through boto3."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from botocore.exceptions import ClientError

import lambdalab
from lambdalab.observability.metric_math import MetricMathError, evaluate

START = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
GRID = [0.0, 60.0, 120.0]


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture
def cloudwatch(box):
    return box.client("cloudwatch")


@pytest.fixture
def frozen():
    lambdalab.sandbox().clock.freeze(START)
    yield lambdalab.sandbox().clock
    lambdalab.sandbox().clock.reset()


def put(cloudwatch, namespace, name, function, values, minute=0):
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
                "Timestamp": START + dt.timedelta(minutes=minute, seconds=i % 50),
                "Value": v,
                "Unit": "Count",
            }
            for i, v in enumerate(values)
        ],
    )


def stat_query(qid, namespace, name, function, stat, return_data=True):
    return {
        "Id": qid,
        "ReturnData": return_data,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": name,
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
            },
            "Period": 60,
            "Stat": stat,
        },
    }


def test_when_two_series_are_divided_then_only_periods_both_have_are_kept():
    errors = {60.0: 2.0}
    invocations = {0.0: 10.0, 60.0: 4.0}
    assert evaluate("100 * errors / invocations", {"errors": errors, "invocations": invocations}, GRID) == {60.0: 50.0}


def test_when_fill_is_used_then_missing_periods_take_the_value():
    result = evaluate(
        "100 * FILL(errors, 0) / invocations", {"errors": {60.0: 2.0}, "invocations": {0.0: 10.0, 60.0: 4.0}}, GRID
    )
    assert result == {0.0: 0.0, 60.0: 50.0}


def test_when_if_guards_a_division_then_periods_without_invocations_read_zero():
    series = {"e": {0.0: 0.0, 60.0: 3.0}, "i": {0.0: 0.0, 60.0: 6.0}}
    assert evaluate("IF(i > 0, e * 100 / i, 0)", series, GRID) == {0.0: 0.0, 60.0: 50.0}


@pytest.mark.parametrize("expression", ["__import__('os')", "e.real", "unknown + 1", "e +"])
def test_when_an_expression_is_not_metric_math_then_it_is_refused_not_run(expression):
    with pytest.raises(MetricMathError, match="Error in expression"):
        evaluate(expression, {"e": {0.0: 1.0}}, GRID)


def test_when_p99_is_asked_then_get_metric_data_returns_the_nearest_rank_percentile(cloudwatch):
    function = f"fn-{uuid.uuid4().hex[:6]}"
    put(cloudwatch, "AWS/Lambda", "Duration", function, [float(v) for v in range(1, 101)])
    result = cloudwatch.get_metric_data(
        MetricDataQueries=[
            stat_query("p", "AWS/Lambda", "Duration", function, "p99"),
            stat_query("a", "AWS/Lambda", "Duration", function, "Average"),
        ],
        StartTime=START - dt.timedelta(minutes=5),
        EndTime=START + dt.timedelta(minutes=5),
    )
    by_id = {r["Id"]: r for r in result["MetricDataResults"]}
    assert by_id["p"]["Values"] == [99.0]
    assert by_id["a"]["Values"] == [50.5]


def test_when_another_namespace_has_the_same_metric_then_it_is_not_mixed_in(cloudwatch):
    function = f"fn-{uuid.uuid4().hex[:6]}"
    put(cloudwatch, "AWS/Lambda", "Errors", function, [1.0])
    put(cloudwatch, "Custom", "Errors", function, [100.0])
    result = cloudwatch.get_metric_data(
        MetricDataQueries=[stat_query("e", "AWS/Lambda", "Errors", function, "Sum")],
        StartTime=START - dt.timedelta(minutes=5),
        EndTime=START + dt.timedelta(minutes=5),
    )
    assert result["MetricDataResults"][0]["Values"] == [1.0]


def test_when_an_expression_query_is_sent_then_its_series_is_computed(cloudwatch):
    function = f"fn-{uuid.uuid4().hex[:6]}"
    put(cloudwatch, "AWS/Lambda", "Invocations", function, [1.0] * 8)
    put(cloudwatch, "AWS/Lambda", "Errors", function, [1.0] * 2)
    result = cloudwatch.get_metric_data(
        MetricDataQueries=[
            stat_query("e", "AWS/Lambda", "Errors", function, "Sum", False),
            stat_query("i", "AWS/Lambda", "Invocations", function, "Sum", False),
            {"Id": "rate", "Expression": "100 * e / i", "Label": "Error rate (%)"},
        ],
        StartTime=START - dt.timedelta(minutes=5),
        EndTime=START + dt.timedelta(minutes=5),
    )
    (only,) = result["MetricDataResults"]
    assert (only["Id"], only["Label"], only["Values"]) == ("rate", "Error rate (%)", [25.0])


def test_when_an_expression_names_an_unknown_id_then_cloudwatch_refuses_it(cloudwatch):
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_data(
            MetricDataQueries=[{"Id": "rate", "Expression": "100 * nope"}],
            StartTime=START,
            EndTime=START + dt.timedelta(minutes=5),
        )
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "nope" in caught.value.response["Error"]["Message"]


def test_when_an_error_rate_alarm_on_metric_math_breaches_then_it_goes_to_alarm(box, cloudwatch, frozen):
    function = f"fn-{uuid.uuid4().hex[:6]}"
    name = f"error-rate-{function}"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        EvaluationPeriods=1,
        DatapointsToAlarm=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        Metrics=[
            stat_query("e", "AWS/Lambda", "Errors", function, "Sum", False),
            stat_query("i", "AWS/Lambda", "Invocations", function, "Sum", False),
            {"Id": "rate", "Expression": "IF(i > 0, 100 * FILL(e, 0) / i, 0)", "ReturnData": True},
        ],
    )
    put(cloudwatch, "AWS/Lambda", "Invocations", function, [1.0] * 20)
    put(cloudwatch, "AWS/Lambda", "Errors", function, [1.0] * 3)
    frozen.freeze(START + dt.timedelta(minutes=1, seconds=5))
    box.alarms.evaluate()
    alarm = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert "15" in alarm["StateReason"]  # 3 errors out of 20 invocations: 15 %


def test_when_the_error_rate_stays_under_the_threshold_then_the_alarm_is_ok(box, cloudwatch, frozen):
    function = f"fn-{uuid.uuid4().hex[:6]}"
    name = f"error-rate-{function}"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        EvaluationPeriods=1,
        DatapointsToAlarm=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        Metrics=[
            stat_query("e", "AWS/Lambda", "Errors", function, "Sum", False),
            stat_query("i", "AWS/Lambda", "Invocations", function, "Sum", False),
            {"Id": "rate", "Expression": "IF(i > 0, 100 * FILL(e, 0) / i, 0)", "ReturnData": True},
        ],
    )
    put(cloudwatch, "AWS/Lambda", "Invocations", function, [1.0] * 50)
    put(cloudwatch, "AWS/Lambda", "Errors", function, [1.0])
    frozen.freeze(START + dt.timedelta(minutes=1, seconds=5))
    box.alarms.evaluate()
    assert cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == "OK"


def test_when_an_alarm_changes_state_then_describe_alarm_history_lists_the_change(box, cloudwatch, frozen):
    function = f"fn-{uuid.uuid4().hex[:6]}"
    name = f"throttles-{function}"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Lambda",
        MetricName="Throttles",
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
    )
    put(cloudwatch, "AWS/Lambda", "Throttles", function, [1.0, 1.0])
    frozen.freeze(START + dt.timedelta(minutes=1, seconds=5))
    box.alarms.evaluate()
    items = cloudwatch.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [item["HistorySummary"] for item in items] == ["Alarm updated from INSUFFICIENT_DATA to ALARM"]
    data = json.loads(items[0]["HistoryData"])
    assert data["newState"]["stateValue"] == "ALARM"
    assert data["newState"]["stateReasonData"]["recentDatapoints"] == [2.0]
