"""EventBridge Scheduler through boto3's ``scheduler`` client, on the controllable clock.

The target function answers with the event it received; its on-success destination queue collects the
answers, so each test reads what every invocation saw (Scheduler invokes Lambda asynchronously, as on AWS).
The behaviour checked is AWS's ("Schedule types", "Adding context attributes", "Configuring a dead-letter
queue", https://docs.aws.amazon.com/scheduler/latest/UserGuide/).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import lambdalab
from lambdalab import clock
from lambdalab.service.async_invoke import invoker

UTC = dt.UTC
AWS = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")
ROLE = "arn:aws:iam::123456789012:role/scheduler-invokes"
ECHO = "def handler(event, context):\n    return event\n"
NIGHT = json.dumps(
    {
        "night": "<aws.scheduler.scheduled-time>",
        "attempt": "<aws.scheduler.attempt-number>",
        "schedule": "<aws.scheduler.schedule-arn>",
    }
)


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture(scope="module")
def clients(box):
    return box.client("scheduler"), box.client("sqs"), box.client("lambda")


@pytest.fixture
def target(box, clients):
    """A function whose answers land in a queue; the clock frozen on Thursday 27 March 2025, 00:00 UTC."""
    scheduler, sqs, lam = clients
    name = f"sched-{uuid.uuid4().hex[:8]}"
    fn = lambdalab.deploy(name, code=ECHO)
    url = sqs.create_queue(QueueName=f"{name}-answers")["QueueUrl"]
    lam.put_function_event_invoke_config(
        FunctionName=name,
        DestinationConfig={"OnSuccess": {"Destination": f"arn:aws:sqs:us-east-1:123456789012:{name}-answers"}},
    )
    clock.freeze(dt.datetime(2025, 3, 27, tzinfo=UTC))
    created: list[str] = []
    yield {"name": name, "arn": fn.arn, "url": url, "schedules": created}
    for schedule in created:
        try:
            scheduler.delete_schedule(Name=schedule)
        except scheduler.exceptions.ResourceNotFoundException:
            pass
    clock.resume()


def schedule(scheduler, target, expression, *, window=None, input_text=NIGHT, target_options=None, **options):
    name = f"s-{uuid.uuid4().hex[:8]}"
    target_spec = {"Arn": target["arn"], "RoleArn": ROLE, **(target_options or {})}
    if input_text is not None:
        target_spec["Input"] = input_text
    flexible = {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": window} if window else {"Mode": "OFF"}
    scheduler.create_schedule(
        Name=name, ScheduleExpression=expression, FlexibleTimeWindow=flexible, Target=target_spec, **options
    )
    target["schedules"].append(name)
    return name


def answers(box, sqs, url):
    assert invoker(box.lambda_service).drain(timeout=30)
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found.append(json.loads(message["Body"])["responsePayload"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def nights(box, sqs, target):
    return sorted(a["night"] for a in answers(box, sqs, target["url"]))


def test_a_nightly_cron_runs_on_the_wall_clock_of_its_time_zone_and_skips_the_time_spring_forward_removes(
    box, clients, target
):
    scheduler, sqs, _ = clients
    name = schedule(scheduler, target, "cron(30 2 * * ? *)", ScheduleExpressionTimezone="Europe/Paris")
    clock.advance(dt.timedelta(days=6))
    # 02:30 in Paris is 01:30 UTC in winter, 00:30 UTC in summer; on 30 March 2025 it does not exist.
    assert nights(box, sqs, target) == [
        "2025-03-27T01:30:00Z",
        "2025-03-28T01:30:00Z",
        "2025-03-29T01:30:00Z",
        "2025-03-31T00:30:00Z",
        "2025-04-01T00:30:00Z",
    ]
    got = scheduler.get_schedule(Name=name)
    assert got["ScheduleExpressionTimezone"] == "Europe/Paris"


def test_when_clocks_fall_back_a_time_that_occurs_twice_runs_once(box, clients, target):
    scheduler, sqs, _ = clients
    clock.freeze(dt.datetime(2025, 10, 25, 22, 0, tzinfo=UTC))
    schedule(scheduler, target, "cron(30 2 * * ? *)", ScheduleExpressionTimezone="Europe/Paris")
    clock.advance(dt.timedelta(days=2))
    assert nights(box, sqs, target) == ["2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z"]


def test_the_function_receives_the_input_verbatim_with_the_context_attributes_replaced(box, clients, target):
    scheduler, sqs, _ = clients
    name = schedule(
        scheduler,
        target,
        "at(2025-03-27T09:15:00)",
        input_text='{"job": "report", "when": "<aws.scheduler.scheduled-time>", '
        '"id": "<aws.scheduler.execution-id>", "n": "<aws.scheduler.attempt-number>"}',
    )
    [firing] = clock.advance(dt.timedelta(hours=12))
    [answer] = answers(box, sqs, target["url"])
    assert answer == {"job": "report", "when": "2025-03-27T09:15:00Z", "id": firing.event_id, "n": "1"}
    assert (firing.rule_name, firing.source, firing.outcome) == (name, "schedule", "delivered")
    assert firing.targets == (target["arn"],)


def test_without_input_the_function_receives_an_empty_object(box, clients, target):
    scheduler, sqs, _ = clients
    schedule(scheduler, target, "at(2025-03-27T09:15:00)", input_text=None)
    clock.advance(dt.timedelta(hours=12))
    assert answers(box, sqs, target["url"]) == [{}]


def test_a_rate_without_start_date_starts_when_the_schedule_is_created(box, clients, target):
    scheduler, sqs, _ = clients
    clock.advance(dt.timedelta(minutes=7, seconds=30))
    schedule(scheduler, target, "rate(2 hours)")
    clock.advance(dt.timedelta(hours=5))
    assert nights(box, sqs, target) == ["2025-03-27T00:07:30Z", "2025-03-27T02:07:30Z", "2025-03-27T04:07:30Z"]


def test_a_rate_runs_from_its_start_date_and_never_at_or_after_its_end_date(box, clients, target):
    scheduler, sqs, _ = clients
    schedule(
        scheduler,
        target,
        "rate(1 day)",
        StartDate=dt.datetime(2025, 3, 28, 6, tzinfo=UTC),
        EndDate=dt.datetime(2025, 3, 31, 6, tzinfo=UTC),
    )
    clock.advance(dt.timedelta(days=10))
    assert nights(box, sqs, target) == ["2025-03-28T06:00:00Z", "2025-03-29T06:00:00Z", "2025-03-30T06:00:00Z"]


def test_a_one_time_schedule_runs_once_in_its_time_zone_and_delete_after_completion_removes_it(box, clients, target):
    scheduler, sqs, _ = clients
    kept = schedule(scheduler, target, "at(2025-03-27T08:00:00)", ScheduleExpressionTimezone="America/New_York")
    deleted = schedule(
        scheduler,
        target,
        "at(2025-03-27T09:00:00)",
        ScheduleExpressionTimezone="America/New_York",
        ActionAfterCompletion="DELETE",
    )
    assert scheduler.get_schedule(Name=deleted)["ActionAfterCompletion"] == "DELETE"
    clock.advance(dt.timedelta(days=3))
    # New York is UTC-4 in late March (daylight saving time began on 9 March 2025).
    assert nights(box, sqs, target) == ["2025-03-27T12:00:00Z", "2025-03-27T13:00:00Z"]
    names = [s["Name"] for s in scheduler.list_schedules()["Schedules"]]
    assert kept in names and deleted not in names


def test_a_recurring_schedule_with_delete_after_completion_goes_after_its_last_occurrence(box, clients, target):
    scheduler, sqs, _ = clients
    name = schedule(
        scheduler,
        target,
        "rate(1 hour)",
        StartDate=dt.datetime(2025, 3, 27, 1, tzinfo=UTC),
        EndDate=dt.datetime(2025, 3, 27, 3, 30, tzinfo=UTC),
        ActionAfterCompletion="DELETE",
    )
    clock.advance(dt.timedelta(hours=2, minutes=30))
    assert name in [s["Name"] for s in scheduler.list_schedules()["Schedules"]]
    clock.advance(dt.timedelta(hours=1))
    assert name not in [s["Name"] for s in scheduler.list_schedules()["Schedules"]]
    assert len(answers(box, sqs, target["url"])) == 3


def test_a_flexible_window_delays_each_invocation_within_the_window_and_keeps_the_scheduled_time(box, clients, target):
    scheduler, sqs, _ = clients
    schedule(scheduler, target, "cron(0 3 * * ? *)", window=30)
    fired = clock.advance(dt.timedelta(days=5))
    delays = [firing.time - firing.scheduled_time for firing in fired]
    assert len(fired) == 5 and all(dt.timedelta(0) <= d < dt.timedelta(minutes=30) for d in delays)
    assert len(set(delays)) > 1, "each occurrence gets its own random delay"
    assert nights(box, sqs, target) == [f"2025-03-{day}T03:00:00Z" for day in range(27, 32)]


def test_a_disabled_schedule_invokes_nothing_and_does_not_catch_up_when_enabled(box, clients, target):
    scheduler, sqs, _ = clients
    name = schedule(scheduler, target, "cron(0 3 * * ? *)", State="DISABLED")
    clock.advance(dt.timedelta(days=2))
    assert answers(box, sqs, target["url"]) == []
    spec = scheduler.get_schedule(Name=name)
    scheduler.update_schedule(
        Name=name,
        ScheduleExpression=spec["ScheduleExpression"],
        State="ENABLED",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=spec["Target"],
    )
    clock.advance(dt.timedelta(days=1))
    assert nights(box, sqs, target) == ["2025-03-29T03:00:00Z"]


def test_a_target_that_cannot_be_invoked_is_retried_then_sent_to_the_dead_letter_queue(box, clients, target):
    scheduler, sqs, _ = clients
    dlq = sqs.create_queue(QueueName=f"{target['name']}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    missing = target["arn"] + "-deleted"
    name = schedule(
        scheduler,
        {**target, "arn": missing},
        "at(2025-03-27T02:00:00)",
        input_text='{"job": "cleanup"}',
        target_options={
            "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
            "DeadLetterConfig": {"Arn": dlq_arn},
        },
    )
    target["schedules"].append(name)
    fired = clock.advance(dt.timedelta(hours=3))
    assert [(f.attempt, f.outcome) for f in fired] == [(1, "failed"), (2, "failed"), (3, "dead-lettered")]
    assert all(f.scheduled_time == dt.datetime(2025, 3, 27, 2, tzinfo=UTC) for f in fired)
    [dead] = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    attributes = {key: value["StringValue"] for key, value in dead["MessageAttributes"].items()}
    assert json.loads(dead["Body"]) == {"job": "cleanup"}
    assert attributes["ERROR_CODE"] == "ResourceNotFoundException"
    assert (attributes["EXHAUSTED_RETRY_CONDITION"], attributes["RETRY_ATTEMPTS"]) == ("MaximumRetryAttempts", "2")
    assert (attributes["SCHEDULED_TIME"], attributes["TARGET_ARN"]) == ("2025-03-27T02:00:00Z", missing)
    assert attributes["SCHEDULE_ARN"].endswith(f":schedule/default/{name}")


def test_retries_stop_when_the_event_is_older_than_maximum_event_age(box, clients, target):
    scheduler, sqs, _ = clients
    schedule(
        scheduler,
        {**target, "arn": target["arn"] + "-deleted"},
        "at(2025-03-27T02:00:00)",
        target_options={"RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 300}},
    )
    fired = clock.advance(dt.timedelta(hours=3))
    # Attempts at +0, +1 and +3 minutes; the next would come at +7, past the 5 minutes the event may live.
    assert [f.outcome for f in fired] == ["failed", "failed", "dropped"]
    assert fired[-1].time - fired[0].time == dt.timedelta(minutes=3)


def test_scheduled_rules_and_schedules_fire_in_one_time_order(box, clients, target):
    scheduler, sqs, _ = clients
    events = box.client("events")
    rule = f"rule-{uuid.uuid4().hex[:6]}"
    events.put_rule(Name=rule, ScheduleExpression="cron(0 2 * * ? *)")
    try:
        schedule(scheduler, target, "cron(0 1,3 * * ? *)")
        fired = clock.advance(dt.timedelta(hours=4))
        assert [(f.source, f.time.hour) for f in fired] == [("schedule", 1), ("rule", 2), ("schedule", 3)]
    finally:
        events.delete_rule(Name=rule)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ScheduleExpression": "cron(0 2 * * *)"}, "six fields"),
        ({"ScheduleExpression": "rate(1 hours)"}, r"rate\(1 hour\)"),
        ({"ScheduleExpression": "at(2025-03-27 09:00)"}, r"at\(yyyy-mm-ddThh:mm:ss\)"),
        ({"ScheduleExpression": "at(2025-03-26T23:00:00)"}, "must not be in the past"),
        ({"ScheduleExpressionTimezone": "Europe/Atlantis"}, "IANA time zone"),
        ({"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}}, "MaximumWindowInMinutes must be between 1 and 1440"),
        ({"FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1441}}, "between 1 and 1440"),
        ({"Target": {"RetryPolicy": {"MaximumRetryAttempts": 186}}}, "MaximumRetryAttempts must be between 0 and 185"),
        ({"Target": {"RetryPolicy": {"MaximumEventAgeInSeconds": 86401}}}, "between 60 and 86400"),
        ({"Target": {"DeadLetterConfig": {"Arn": "arn:aws:sns:us-east-1:123456789012:topic"}}}, "standard SQS queue"),
        ({"Target": {"Input": "not json"}}, "well-formed JSON"),
        (
            {"StartDate": dt.datetime(2025, 3, 29, tzinfo=UTC), "EndDate": dt.datetime(2025, 3, 28, tzinfo=UTC)},
            "EndDate you specify must be after the StartDate",
        ),
    ],
)
def test_requests_the_scheduler_api_refuses_are_refused_with_a_validation_exception(clients, target, options, message):
    scheduler, _, _ = clients
    spec = {
        "Name": f"bad-{uuid.uuid4().hex[:6]}",
        "ScheduleExpression": "rate(1 hour)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
    }
    target_extra = options.pop("Target", {})
    spec.update(options)
    spec["Target"] = {"Arn": target["arn"], "RoleArn": ROLE, **target_extra}
    with pytest.raises(scheduler.exceptions.ValidationException, match=message) as refused:
        scheduler.create_schedule(**spec)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert spec["Name"] not in [s["Name"] for s in scheduler.list_schedules()["Schedules"]]


def test_a_resumed_clock_invokes_schedules_in_real_time(box, clients, target):
    scheduler, sqs, _ = clients
    schedule(scheduler, target, "cron(0 0 * * ? *)")
    clock.freeze(dt.datetime(2025, 3, 27, 23, 59, 59, 500_000, tzinfo=UTC))
    clock.resume()  # half a second of real time before midnight
    deadline = time.monotonic() + 5
    seen: list[str] = []
    while not seen and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = nights(box, sqs, target)
    assert seen == ["2025-03-28T00:00:00Z"]


@pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")
def test_a_schedule_created_with_the_aws_cli_is_stored_refused_and_run_as_with_boto3(box, target):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **box.environment}

    def aws(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [AWS, "scheduler", *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60
        )

    name = f"cli-{uuid.uuid4().hex[:6]}"
    target_json = json.dumps({"Arn": target["arn"], "RoleArn": ROLE, "Input": NIGHT})
    refused = aws(
        "create-schedule",
        "--name",
        name,
        "--schedule-expression",
        "cron(0 2 * * *)",
        "--flexible-time-window",
        '{"Mode": "OFF"}',
        "--target",
        target_json,
    )
    assert refused.returncode != 0 and "ValidationException" in refused.stderr and "six fields" in refused.stderr
    created = aws(
        "create-schedule",
        "--name",
        name,
        "--schedule-expression",
        "cron(0 2 * * ? *)",
        "--schedule-expression-timezone",
        "Europe/Paris",
        "--flexible-time-window",
        '{"Mode": "OFF"}',
        "--target",
        target_json,
    )
    assert created.returncode == 0, created.stderr
    target["schedules"].append(name)
    got = json.loads(aws("get-schedule", "--name", name).stdout)
    assert (got["ScheduleExpression"], got["ScheduleExpressionTimezone"]) == ("cron(0 2 * * ? *)", "Europe/Paris")
    clock.advance(dt.timedelta(days=1))
    assert nights(box, box.client("sqs"), target) == ["2025-03-27T01:00:00Z"]
