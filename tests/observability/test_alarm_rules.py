"""CloudWatch's alarm rules: statistics per period, M out of N, and AWS's table for missing data."""

from __future__ import annotations

import datetime as dt

import pytest

from lambdalab.observability.alarm_rules import ALARM, INSUFFICIENT_DATA, OK, AlarmSettings, Sample, evaluate, statistic

AT = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


def samples_from(pattern: str, good: float = 0.0, bad: float = 10.0) -> list[Sample]:
    """One sample per one-minute period, oldest first: '0' good, 'X' breaching, '-' missing."""
    out = []
    for index, mark in enumerate(pattern.split()):
        if mark == "-":
            continue
        start = AT - dt.timedelta(minutes=len(pattern.split()) - index)
        out.append(Sample(start + dt.timedelta(seconds=30), value=bad if mark == "X" else good))
    return out


def settings(treat: str = "missing", n: int = 3, m: int = 3, stat: str = "Maximum") -> AlarmSettings:
    return AlarmSettings(
        period_s=60,
        evaluation_periods=n,
        datapoints_to_alarm=m,
        threshold=5,
        comparison_operator="GreaterThanThreshold",
        statistic=stat,
        treat_missing_data=treat,
    )


# AWS's table "How alarm state is evaluated when data is missing" (3 out of 3), alarms-and-missing-data.html.
TABLE = {
    "0 - X - X": {"missing": OK, "ignore": OK, "breaching": OK, "notBreaching": OK},
    "0 - - - -": {"missing": OK, "ignore": OK, "breaching": OK, "notBreaching": OK},
    "- - - - -": {"missing": INSUFFICIENT_DATA, "ignore": "retain", "breaching": ALARM, "notBreaching": OK},
    "0 X X - X": {"missing": ALARM, "ignore": ALARM, "breaching": ALARM, "notBreaching": ALARM},
    "- - X - -": {"missing": ALARM, "ignore": "retain", "breaching": ALARM, "notBreaching": OK},
}


@pytest.mark.parametrize("pattern", list(TABLE))
@pytest.mark.parametrize("treat", ["missing", "ignore", "breaching", "notBreaching"])
def test_when_data_is_missing_then_the_state_follows_aws_table(pattern, treat):
    for current in (OK, ALARM):
        expected = current if TABLE[pattern][treat] == "retain" else TABLE[pattern][treat]
        assert evaluate(samples_from(pattern), settings(treat), AT, current).state == expected


def test_when_m_of_n_datapoints_breach_then_the_alarm_fires_and_not_before():
    assert evaluate(samples_from("0 0 0 X X"), settings(n=3, m=2), AT, OK).state == ALARM
    assert evaluate(samples_from("0 0 X 0 0"), settings(n=3, m=2), AT, OK).state == OK
    assert evaluate(samples_from("X X X 0 0"), settings(n=3, m=2), AT, ALARM).state == OK  # only the newest 3


def test_when_data_arrives_in_the_current_period_then_it_waits_for_the_period_to_end():
    late = [Sample(AT + dt.timedelta(seconds=10), value=10.0)]
    assert evaluate(late, settings(n=1, m=1), AT, OK).state == INSUFFICIENT_DATA
    assert evaluate(late, settings(n=1, m=1), AT + dt.timedelta(minutes=1), OK).state == ALARM


def test_when_an_alarm_fires_then_its_reason_reads_like_cloudwatch():
    verdict = evaluate(samples_from("0 0 X"), settings(n=1, m=1), AT, OK)
    assert verdict.reason == (
        "Threshold Crossed: 1 out of the last 1 datapoints [10 (05/12/26 11:59:00)] was "
        "greater than the threshold (5) (minimum 1 datapoint for OK -> ALARM transition)."
    )


def test_when_a_period_has_many_samples_then_each_statistic_is_computed_like_get_metric_statistics():
    values = [float(v) for v in range(1, 11)]
    period = [Sample(AT, value=v) for v in values]
    assert statistic(period, "SampleCount") == 10
    assert statistic(period, "Sum") == 55
    assert statistic(period, "Average") == 5.5
    assert (statistic(period, "Minimum"), statistic(period, "Maximum")) == (1, 10)
    assert (statistic(period, "p90"), statistic(period, "p50"), statistic(period, "p99")) == (9, 5, 10)
    aggregated = [Sample(AT, sample_count=4, total=20, minimum=1, maximum=9)]
    assert statistic(aggregated, "Average") == 5 and statistic(aggregated, "Maximum") == 9
