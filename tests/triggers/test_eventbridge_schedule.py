"""EventBridge schedule expressions: AWS's cron (six fields, 1-7 from Sunday, ?, L, W, #) and rate.

The examples are those of AWS's "Cron expressions reference" and "Rate expressions" pages
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html), checked against a
calendar.
"""

from __future__ import annotations

import datetime as dt

import pytest

from lambdalab.triggers.eventbridge.schedule import InvalidSchedule, RateSchedule, fire_times, parse

UTC = dt.UTC
MONDAY = dt.datetime(2027, 3, 1, tzinfo=UTC)  # 1 March 2027 is a Monday


def first(expression: str, start: dt.datetime = MONDAY, count: int = 3) -> list[str]:
    times = fire_times(expression, start, start + dt.timedelta(days=400), limit=count)
    return [t.strftime("%a %Y-%m-%d %H:%M") for t in times]


@pytest.mark.parametrize(("expression", "expected"), [
    ("cron(15 10 * * ? *)", ["Mon 2027-03-01 10:15", "Tue 2027-03-02 10:15", "Wed 2027-03-03 10:15"]),
    ("cron(0 18 ? * MON-FRI *)", ["Mon 2027-03-01 18:00", "Tue 2027-03-02 18:00", "Wed 2027-03-03 18:00"]),
    ("cron(0 8 1 * ? *)", ["Mon 2027-03-01 08:00", "Thu 2027-04-01 08:00", "Sat 2027-05-01 08:00"]),
    ("cron(0/15 * * * ? *)", ["Mon 2027-03-01 00:15", "Mon 2027-03-01 00:30", "Mon 2027-03-01 00:45"]),
    ("cron(0/5 8-17 ? * MON-FRI *)", ["Mon 2027-03-01 08:00", "Mon 2027-03-01 08:05", "Mon 2027-03-01 08:10"]),
    ("cron(0 9 ? * 2#1 *)", ["Mon 2027-03-01 09:00", "Mon 2027-04-05 09:00", "Mon 2027-05-03 09:00"]),
    ("cron(15 10 ? * 6L 2027-2028)", ["Fri 2027-03-26 10:15", "Fri 2027-04-30 10:15", "Fri 2027-05-28 10:15"]),
])
def test_the_examples_of_aws_s_cron_reference_fire_when_aws_says(expression, expected):
    assert first(expression) == expected


def test_day_of_week_counts_from_sunday_as_one():
    assert first("cron(0 9 ? * 1 *)", count=2) == ["Sun 2027-03-07 09:00", "Sun 2027-03-14 09:00"]
    assert first("cron(0 9 ? * 7 *)", count=1) == ["Sat 2027-03-06 09:00"]
    assert first("cron(0 9 ? * 2-6 *)", count=5)[-1] == "Fri 2027-03-05 09:00"


def test_l_is_the_last_day_of_the_month_or_saturday_and_w_the_nearest_weekday():
    assert first("cron(0 0 L * ? *)", count=2) == ["Wed 2027-03-31 00:00", "Fri 2027-04-30 00:00"]
    assert first("cron(0 0 ? * L *)", count=1) == ["Sat 2027-03-06 00:00"]
    # 15 May 2027 is a Saturday: 15W is Friday the 14th
    assert "Fri 2027-05-14 12:00" in first("cron(0 12 15W * ? *)", count=3)


def test_a_schedule_whose_years_are_over_has_no_more_firings():
    assert fire_times("cron(0 0 1 1 ? 2020)", MONDAY, MONDAY + dt.timedelta(days=3000)) == []


@pytest.mark.parametrize(("expression", "reason"), [
    ("cron(0 10 * * *)", "six fields"),
    ("cron(0 10 * * * *)", "exactly one of Day-of-month and Day-of-week"),
    ("cron(0 10 ? * ? *)", "exactly one of Day-of-month and Day-of-week"),
    ("cron(60 10 * * ? *)", "Minutes values are 0-59"),
    ("cron(0 24 * * ? *)", "Hours values are 0-23"),
    ("cron(0 10 ? * 0 *)", "1-7"),
    ("cron(0 10 ? * 3#1,6#3 *)", "single expression"),
    ("cron(0 10 ? * 1/2 *)", "no '/'"),
    ("cron(0 10 32 * ? *)", "1-31"),
    ("rate(1 hours)", "rate(1 hour)"),
    ("rate(5 hour)", "rate(5 hours)"),
    ("rate(0 minutes)", "positive"),
    ("rate(5 seconds)", "rate(value unit)"),
    ("every day", "rate(value unit) or cron"),
])
def test_expressions_aws_refuses_are_refused_with_the_reason(expression, reason):
    with pytest.raises(InvalidSchedule, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse(expression)


def test_a_rate_counts_from_the_minute_its_rule_was_created():
    schedule = parse("rate(6 hours)")
    assert isinstance(schedule, RateSchedule)
    created = dt.datetime(2027, 3, 1, 9, 41, 27, tzinfo=UTC)
    times = fire_times("rate(6 hours)", created, created + dt.timedelta(days=1), anchor=created)
    assert [t.strftime("%d %H:%M") for t in times] == ["01 15:41", "01 21:41", "02 03:41", "02 09:41"]
    assert parse("rate(1 day)").period == dt.timedelta(days=1)
    assert parse("rate(15 minutes)").next_after(created, created) == dt.datetime(2027, 3, 1, 9, 56, tzinfo=UTC)
