"""EventBridge → Lambda: scheduled rules on the controllable clock, pattern rules on PutEvents.

The target function answers with the event it received; its on-success destination queue collects the
answers, so the tests read what each invocation saw (targets are invoked asynchronously, as on AWS).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

import lambdalab
from lambdalab import clock
from lambdalab.service.async_invoke import invoker
from lambdalab.triggers.eventbridge import EventBridgeTrigger

UTC = dt.UTC
MONDAY = dt.datetime(2027, 3, 1, tzinfo=UTC)
ECHO = "def handler(event, context):\n    return event\n"


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture(scope="module")
def clients(box):
    return box.client("events"), box.client("sqs"), box.client("lambda")


@pytest.fixture
def target(box, clients):
    """A function whose answers land in a queue; the clock frozen at Monday 1 March 2027, 00:00 UTC."""
    events, sqs, lam = clients
    name = f"target-{uuid.uuid4().hex[:8]}"
    fn = lambdalab.deploy(name, code=ECHO)
    url = sqs.create_queue(QueueName=f"{name}-answers")["QueueUrl"]
    lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={
        "OnSuccess": {"Destination": f"arn:aws:sqs:us-east-1:123456789012:{name}-answers"}})
    clock.freeze(MONDAY)
    rules: list[str] = []
    yield {"name": name, "arn": fn.arn, "url": url, "rules": rules}
    for rule in rules:
        events.remove_targets(Rule=rule, Ids=["1"])
        events.delete_rule(Name=rule)
    clock.resume()


def rule(events, target, name, **options):
    rule_name = f"{name}-{uuid.uuid4().hex[:6]}"
    events.put_rule(Name=rule_name, **options)
    events.put_targets(Rule=rule_name, Targets=[{"Id": "1", "Arn": target["arn"], **options.pop("_target", {})}])
    target["rules"].append(rule_name)
    return rule_name


def answers(box, sqs, url):
    assert invoker(box.lambda_service).drain(timeout=30)
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found.append(json.loads(message["Body"])["responsePayload"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_a_week_of_nightly_runs_fires_in_order_with_the_scheduled_event_of_each_night(box, clients, target):
    events, sqs, _ = clients
    nightly = rule(events, target, "nightly", ScheduleExpression="cron(0 2 * * ? *)")
    fired = clock.advance(dt.timedelta(days=7))
    assert [f.time for f in fired] == [MONDAY + dt.timedelta(days=d, hours=2) for d in range(7)]
    assert clock.now() == MONDAY + dt.timedelta(days=7)
    seen = sorted(answers(box, sqs, target["url"]), key=lambda e: e["time"])
    assert [e["time"] for e in seen] == [f"2027-03-0{d + 1}T02:00:00Z" for d in range(7)]
    for event in seen:
        parsed = EventBridgeEvent(event)
        assert (parsed.source, parsed.detail_type, parsed.detail) == ("aws.events", "Scheduled Event", {})
        assert parsed.resources == [f"arn:aws:events:us-east-1:123456789012:rule/{nightly}"]
    assert {e["id"] for e in seen} == {f.event_id for f in fired}


def test_a_rate_fires_every_period_from_the_rule_s_creation(box, clients, target):
    events, sqs, _ = clients
    clock.run_until(MONDAY + dt.timedelta(hours=9, minutes=41, seconds=30))
    rule(events, target, "six-hourly", ScheduleExpression="rate(6 hours)")
    fired = clock.advance(dt.timedelta(days=1))
    assert [f.time.strftime("%d %H:%M") for f in fired] == ["01 15:41", "01 21:41", "02 03:41", "02 09:41"]
    assert len(answers(box, sqs, target["url"])) == 4


def test_a_disabled_schedule_does_not_fire_and_does_not_catch_up_when_enabled(box, clients, target):
    events, sqs, _ = clients
    hourly = rule(events, target, "hourly", ScheduleExpression="cron(0 * * * ? *)")
    events.disable_rule(Name=hourly)
    assert clock.advance(dt.timedelta(hours=5)) == []
    events.enable_rule(Name=hourly)
    fired = clock.advance(dt.timedelta(hours=2))
    assert [f.time.hour for f in fired] == [6, 7]


def test_schedule_expressions_aws_refuses_are_refused_by_put_rule(clients):
    events, _, _ = clients
    with pytest.raises(events.exceptions.ClientError, match="Parameter ScheduleExpression is not valid"):
        events.put_rule(Name="bad-cron", ScheduleExpression="cron(0 2 * * * *)")
    with pytest.raises(events.exceptions.ClientError, match="rate\\(1 day\\)"):
        events.put_rule(Name="bad-rate", ScheduleExpression="rate(1 days)")


def test_a_pattern_rule_fires_on_matching_put_events_only_with_the_clock_s_time(box, clients, target):
    events, sqs, _ = clients
    rule(events, target, "orders", EventPattern=json.dumps({"source": ["shop.orders"],
                                                            "detail": {"total": [{"numeric": [">", 100]}]}}))
    rule(events, target, "scheduled-only", ScheduleExpression="cron(0 12 * * ? *)")
    result = events.put_events(Entries=[
        {"Source": "shop.orders", "DetailType": "OrderPlaced", "Detail": json.dumps({"total": 250})},
        {"Source": "shop.orders", "DetailType": "OrderPlaced", "Detail": json.dumps({"total": 20})},
        {"Source": "shop.billing", "DetailType": "OrderPlaced", "Detail": json.dumps({"total": 500})}])
    assert result["FailedEntryCount"] == 0
    [seen] = answers(box, sqs, target["url"])
    assert (seen["source"], seen["detail-type"], seen["detail"]) == ("shop.orders", "OrderPlaced", {"total": 250})
    assert seen["time"] == "2027-03-01T00:00:00Z"
    assert set(seen) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources",
                         "detail"}


def test_a_disabled_pattern_rule_receives_nothing(box, clients, target):
    events, sqs, _ = clients
    name = rule(events, target, "muted", EventPattern=json.dumps({"source": ["shop.orders"]}))
    events.disable_rule(Name=name)
    events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "x", "Detail": "{}"}])
    assert answers(box, sqs, target["url"]) == []


def test_a_target_s_input_transformer_shapes_what_the_function_receives(box, clients, target):
    events, sqs, _ = clients
    name = f"shaped-{uuid.uuid4().hex[:6]}"
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["shop.orders"]}))
    events.put_targets(Rule=name, Targets=[
        {"Id": "1", "Arn": target["arn"], "InputTransformer": {
            "InputPathsMap": {"order": "$.detail.id"}, "InputTemplate": '{"order": <order>, "kind": "shaped"}'}},
        {"Id": "2", "Arn": target["arn"], "Input": '{"constant": true}'}])
    events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "x", "Detail": json.dumps({"id": 7})}])
    events.remove_targets(Rule=name, Ids=["1", "2"])
    events.delete_rule(Name=name)
    assert sorted(answers(box, sqs, target["url"]), key=json.dumps) == [{"constant": True},
                                                                        {"kind": "shaped", "order": 7}]


def test_a_missing_target_function_is_recorded_and_put_events_still_succeeds(box, clients, target):
    events, _, lam = clients
    rule(events, target, "orphan", EventPattern=json.dumps({"source": ["shop.orders"]}))
    lam.delete_function(FunctionName=target["name"])
    result = events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "x", "Detail": "{}"}])
    assert result["FailedEntryCount"] == 0
    assert box.trigger(EventBridgeTrigger).failed_invocations[-1]["target"] == target["arn"]


def test_a_resumed_clock_fires_schedules_in_real_time(box, clients, target):
    events, sqs, _ = clients
    rule(events, target, "midnight", ScheduleExpression="cron(0 0 * * ? *)")
    clock.freeze(dt.datetime(2027, 3, 1, 23, 59, 59, 500_000, tzinfo=UTC))
    clock.resume()  # half a second of real time before midnight
    deadline = time.monotonic() + 5
    seen = []
    while not seen and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = answers(box, sqs, target["url"])
    assert [e["time"] for e in seen] == ["2027-03-02T00:00:00Z"]


def test_the_clock_cannot_run_backwards(target):
    with pytest.raises(ValueError, match="cannot run back"):
        clock.run_until(MONDAY - dt.timedelta(days=1))


def test_a_schedule_can_target_a_queue_with_the_same_scheduled_event(clients, target):
    events, sqs, _ = clients
    url = sqs.create_queue(QueueName=f"ticks-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = f"to-queue-{uuid.uuid4().hex[:6]}"
    events.put_rule(Name=name, ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    try:
        clock.advance(dt.timedelta(hours=2))
    finally:
        events.remove_targets(Rule=name, Ids=["q"])
        events.delete_rule(Name=name)
    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert sorted(b["time"] for b in bodies) == ["2027-03-01T01:00:00Z", "2027-03-01T02:00:00Z"]
    assert {b["detail-type"] for b in bodies} == {"Scheduled Event"}
