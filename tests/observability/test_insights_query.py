"""Logs Insights queries parse into commands, and a mistake is reported where it is written."""

from __future__ import annotations

import json

import pytest

from lambdalab.observability.insights.engine import run
from lambdalab.observability.insights.query import MalformedQuery, parse_query
from lambdalab.observability.insights.records import discover
from lambdalab.observability.insights.validate import validate


def check(text: str) -> None:
    validate(parse_query(text))


@pytest.mark.parametrize(
    ("text", "start", "end", "says"),
    [
        ("filter @duration > 1 and nosuch(x)", 25, 34, "unknown function nosuch()"),
        ("fields count(*)", 7, 15, "use it in stats"),
        ("stats pct(@duration) by bin(5m)", 6, 20, "pct(@duration, 99)"),
        ("stats count(*) by bin(@duration)", 18, 32, "bin(5m)"),
        ("limit 0", 6, 7, "between 1 and 10000"),
        ('parse @message "a=* b=*" as a', 15, 24, "one name per *"),
        ("parse @message /no names here/", 15, 30, "(?<name>...)"),
        ("", 0, 0, "empty"),
        ("fields @message |", 17, 17, "end of query"),
    ],
)
def test_when_a_query_is_malformed_then_the_error_locates_and_explains_it(text, start, end, says):
    with pytest.raises(MalformedQuery) as raised:
        check(text)
    assert (raised.value.start, raised.value.end) == (start, end)
    assert says in raised.value.message


def test_comments_backquoted_names_and_multiline_queries_parse():
    query = parse_query('fields @message # what we want\n| filter `user id` = "7"\n| limit 5')
    validate(query)
    assert len(query.commands) == 3


def test_a_report_line_yields_lambda_fields_and_a_cold_start_yields_init_duration():
    line = (
        "REPORT RequestId: 3f1c-ab\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
        "Max Memory Used: 41 MB\tInit Duration: 180.50 ms\t"
    )
    record = discover(line, 1_000, 1_001, "stream", "/aws/lambda/f", "123456789012")
    assert record["@type"] == "REPORT" and record["@requestId"] == "3f1c-ab"
    assert (record["@duration"], record["@billedDuration"], record["@initDuration"]) == (12.34, 13, 180.5)
    assert (record["@memorySize"], record["@maxMemoryUsed"]) == (128, 41)
    assert record["@log"] == "123456789012:/aws/lambda/f"
    warm = discover(line.replace("Init Duration: 180.50 ms\t", ""), 1_000, 1_001, "s", "g", "1")
    assert "@initDuration" not in warm


def test_pct_is_the_nearest_rank_percentile_and_bins_are_printed_as_times():
    records = [
        discover(f"REPORT RequestId: r{i}\tDuration: {i}.00 ms\t", 60_000 + i, 0, "s", "g", "1") for i in range(1, 101)
    ]
    outcome = run(parse_query("stats pct(@duration, 99) as p99, pct(@duration, 50) as p50 by bin(1m)"), records)
    assert outcome.rows == [
        [
            {"field": "bin(1m)", "value": "1970-01-01 00:01:00.000"},
            {"field": "p99", "value": "99"},
            {"field": "p50", "value": "50"},
        ]
    ]
    assert outcome.records_matched == 100


def test_sort_after_stats_may_name_an_aggregate_as_written_and_json_booleans_compare_with_true():
    records = [
        discover(json.dumps({"route": r, "cold_start": r == "/a"}), 1_000 + i, 0, "s", "g", "1")
        for i, r in enumerate(["/a", "/b", "/b", "/c", "/b", "/c"])
    ]
    ranked = run(parse_query("stats count(*) by route | sort count(*) desc | limit 2"), records).rows
    assert [[cell["value"] for cell in row] for row in ranked] == [["/b", "3"], ["/c", "2"]]
    cold = run(parse_query('filter cold_start = "true" | stats count(*) as n'), records).rows
    assert cold == [[{"field": "n", "value": "1"}]]
    assert run(parse_query("filter cold_start = 1 | stats count(*) as n"), records).rows == cold
