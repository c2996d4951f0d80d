"""Logs Insights queries through boto3 answer over the sandbox's Lambda log groups, as on AWS."""

from __future__ import annotations

import json
import time
import uuid

import pytest

import lambdalab

HANDLER = """
import json

def handler(event, context):
    print(json.dumps({"level": event.get("level", "INFO"), "order": {"id": event["order"]}, "items": [1, 2]}))
    print("user=" + event.get("user", "ann") + " action=buy")
    if event.get("fail"):
        print("ERROR payment declined")
    return event["order"]
"""


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture(scope="module")
def logs(box):
    return box.client("logs")


@pytest.fixture(scope="module")
def function(box):
    """A function invoked five times: one cold start, then four warm invocations; one order fails."""
    name = f"insights-{uuid.uuid4().hex[:6]}"
    fn = lambdalab.deploy(name, code=HANDLER)
    for order in range(1, 6):
        fn.invoke(
            {
                "order": order,
                "user": "bob" if order % 2 else "ann",
                "fail": order == 4,
                "level": "ERROR" if order == 4 else "INFO",
            }
        )
    assert lambdalab.flush_logs()
    return name


def query(logs, group: str, text: str, **kwargs) -> dict:
    """Start a query over the last ten minutes and wait until it is no longer scheduled or running."""
    now = int(time.time())
    kwargs.setdefault("startTime", now - 600)
    kwargs.setdefault("endTime", now + 60)
    query_id = logs.start_query(logGroupName=group, queryString=text, **kwargs)["queryId"]
    deadline = time.monotonic() + 30
    while True:
        answer = logs.get_query_results(queryId=query_id)
        if answer["status"] not in ("Scheduled", "Running") or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


def rows(answer: dict) -> list[dict[str, str]]:
    return [{cell["field"]: cell["value"] for cell in row} for row in answer["results"]]


def group_of(function: str) -> str:
    return f"/aws/lambda/{function}"


def test_the_cold_start_query_counts_report_lines_and_takes_the_p99_init_duration(logs, function):
    answer = query(
        logs, group_of(function), 'filter @type = "REPORT" | stats count(*), pct(@initDuration, 99) by bin(1m)'
    )
    assert answer["status"] == "Complete"
    found = rows(answer)
    assert sum(int(r["count(*)"]) for r in found) == 5
    assert all(set(r) <= {"bin(1m)", "count(*)", "pct(@initDuration, 99)"} for r in found)
    reports = rows(
        query(logs, group_of(function), 'filter @type = "REPORT" and ispresent(@initDuration) | fields @initDuration')
    )
    assert len(reports) == 1  # one cold start: only its REPORT line carries Init Duration
    p99 = [r["pct(@initDuration, 99)"] for r in found if "pct(@initDuration, 99)" in r]
    assert p99 == [reports[0]["@initDuration"]]
    assert answer["statistics"]["recordsMatched"] == 5
    assert answer["statistics"]["recordsScanned"] > 5 and answer["statistics"]["bytesScanned"] > 0


def test_report_fields_are_discovered_for_every_invocation(logs, function):
    found = rows(
        query(
            logs,
            group_of(function),
            'filter @type = "REPORT" | fields @requestId, @duration, @billedDuration, @maxMemoryUsed, '
            "@memorySize, @logStream, @log | sort @timestamp asc",
        )
    )
    assert len(found) == 5 and len({r["@requestId"] for r in found}) == 5
    for row in found:
        assert float(row["@billedDuration"]) >= float(row["@duration"]) > 0
        assert row["@memorySize"] == "128" and 0 < float(row["@maxMemoryUsed"]) <= 128
        assert row["@log"].endswith(f":{group_of(function)}") and row["@logStream"]


def test_json_log_lines_have_their_fields_discovered_with_dotted_names(logs, function):
    found = rows(query(logs, group_of(function), 'filter level = "ERROR" | fields order.id, items.1, level'))
    assert found == [{"order.id": "4", "items.1": "2", "level": "ERROR"}]


def test_stats_by_a_field_sorted_descending_and_limited(logs, function):
    found = rows(
        query(
            logs,
            group_of(function),
            "filter ispresent(order.id) | stats count(*) as orders, sum(order.id) as total, "
            "max(order.id) as biggest by level | sort orders desc | limit 1",
        )
    )
    assert found == [{"level": "INFO", "orders": "4", "total": "11", "biggest": "5"}]


def test_parse_with_a_glob_and_with_a_regex_extracts_named_fields(logs, function):
    glob = rows(
        query(
            logs,
            group_of(function),
            'parse @message "user=* action=*" as user, action | filter ispresent(user) '
            "| stats count(*) by user, action | sort user asc",
        )
    )
    assert glob == [
        {"user": "ann", "action": "buy", "count(*)": "2"},
        {"user": "bob", "action": "buy", "count(*)": "3"},
    ]
    regex = rows(
        query(
            logs, group_of(function), r"parse @message /user=(?<who>\w+)/ | filter who in ['bob'] | stats count(*) as n"
        )
    )
    assert regex == [{"n": "3"}]


def test_filter_like_regex_not_and_display(logs, function):
    errors = rows(query(logs, group_of(function), "filter @message like /(?i)payment declined/ | display @message"))
    assert errors == [{"@message": "ERROR payment declined"}]
    others = rows(
        query(
            logs,
            group_of(function),
            'filter not (@message like "declined") and @message like /^user=/ | fields @message',
        )
    )
    assert len(others) == 5
    either = rows(
        query(logs, group_of(function), "filter order.id = 1 or order.id >= 5 | sort order.id asc | fields order.id")
    )
    assert [r["order.id"] for r in either] == ["1", "5"]


def test_without_sort_the_newest_events_come_first_and_arithmetic_makes_new_fields(logs, function):
    found = rows(
        query(logs, group_of(function), 'filter @type = "REPORT" | fields @timestamp, @duration / 1000 as seconds')
    )
    stamps = [r["@timestamp"] for r in found]
    assert stamps == sorted(stamps, reverse=True)
    assert all(float(r["seconds"]) < 3 for r in found)


def test_the_time_range_excludes_events_outside_it(logs, function):
    long_ago = int(time.time()) - 7 * 24 * 3600
    answer = query(logs, group_of(function), "stats count(*) as n", startTime=long_ago, endTime=long_ago + 3600)
    assert rows(answer) == [{"n": "0"}] and answer["statistics"]["recordsScanned"] == 0


def test_the_limit_parameter_caps_the_rows(logs, function):
    assert len(rows(query(logs, group_of(function), "fields @message", limit=3))) == 3


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("filter @duration > > 3", 19),
        ("stats @duration by bin(5m)", 6),
        ("fields @message | sort", 22),
        ('parse @message "a=* b=*" as a', 15),
        ("stats nosuch(@duration)", 6),
        ("filter @message like /(unclosed/", 21),
    ],
)
def test_when_a_query_is_malformed_then_aws_error_says_where(logs, function, text, where):
    with pytest.raises(logs.exceptions.MalformedQueryException) as raised:
        logs.start_query(logGroupName=group_of(function), startTime=0, endTime=int(time.time()), queryString=text)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["queryCompileError"]["location"]["startCharOffset"] == where
    assert error["Error"]["Message"]


def test_when_the_log_group_does_not_exist_then_resource_not_found(logs):
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.start_query(logGroupName="/aws/lambda/never-made", startTime=0, endTime=1, queryString="fields @message")


def test_when_the_end_is_before_the_start_then_invalid_parameter(logs, function):
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.start_query(logGroupName=group_of(function), startTime=100, endTime=10, queryString="fields @message")


def test_queries_are_described_and_a_finished_one_cannot_be_stopped(logs, function):
    answer = query(logs, group_of(function), "fields @message | limit 1")
    described = logs.describe_queries(logGroupName=group_of(function))["queries"]
    assert any(q["status"] == "Complete" and q["queryString"] == "fields @message | limit 1" for q in described)
    finished = next(q["queryId"] for q in described if q["queryString"] == "fields @message | limit 1")
    assert answer["status"] == "Complete"
    assert logs.stop_query(queryId=finished)["success"] is False


def test_events_put_by_hand_are_queried_with_the_same_fields(logs):
    group, stream = f"/app/{uuid.uuid4().hex[:6]}", "manual"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now_ms = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[
            {"timestamp": now_ms - 2, "message": json.dumps({"latency": 120, "route": "/a"})},
            {"timestamp": now_ms - 1, "message": json.dumps({"latency": 80, "route": "/a"})},
            {"timestamp": now_ms, "message": json.dumps({"latency": 300, "route": "/b"})},
        ],
    )
    found = rows(query(logs, group, "stats avg(latency) as mean, min(latency) as low by route | sort route asc"))
    assert found == [{"route": "/a", "mean": "100", "low": "80"}, {"route": "/b", "mean": "300", "low": "300"}]


def test_sort_follows_aws_natural_order_with_text_before_numbers_and_missing_values_last(logs):
    group, stream = f"/app/{uuid.uuid4().hex[:6]}", "manual"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now_ms = int(time.time() * 1000)
    keys = ["b10", 7, "b2", None, 12, "a"]
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[
            {"timestamp": now_ms - len(keys) + i, "message": json.dumps({"key": k, "n": i})} for i, k in enumerate(keys)
        ],
    )
    ascending = rows(query(logs, group, "fields key, n | sort key asc"))
    assert [r.get("key") for r in ascending] == ["a", "b2", "b10", "7", "12", None]
    descending = rows(query(logs, group, "fields key, n | sort key desc"))
    assert [r.get("key") for r in descending] == ["12", "7", "b10", "b2", "a", None]


def test_log_groups_can_be_named_by_arn_and_only_logs_insights_ql_is_answered(box, logs, function):
    arn = f"arn:aws:logs:{box.region}:{box.info.account_id}:log-group:{group_of(function)}"
    now = int(time.time())
    query_id = logs.start_query(
        logGroupIdentifiers=[arn],
        startTime=now - 600,
        endTime=now + 60,
        queryString='filter @type = "REPORT" | stats count(*) as n',
    )["queryId"]
    deadline = time.monotonic() + 30
    while (answer := logs.get_query_results(queryId=query_id))["status"] in ("Scheduled", "Running"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert rows(answer) == [{"n": "5"}]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.start_query(
            logGroupName=group_of(function),
            startTime=now - 600,
            endTime=now,
            queryLanguage="SQL",
            queryString="SELECT * FROM logs",
        )
