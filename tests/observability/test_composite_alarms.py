"""Composite alarms through boto3: refused as CloudWatch refuses them, listed by AlarmTypes, evaluated when
their children change state, recorded in their history, and paging through SNS like metric alarms."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

import lambdalab
from lambdalab.observability.composite_rules import AlarmRuleError, children, holds, parse_rule


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture(autouse=True)
def frozen(box):
    """No minute passes during a test: the evaluator would re-evaluate the children from their (absent) data
    and undo SetAlarmState, as CloudWatch does a minute later."""
    box.clock.freeze()
    box.alarms.evaluate()  # catch up now, so the evaluator's thread has nothing left to do
    yield box.clock
    box.clock.reset()


@pytest.fixture
def cloudwatch(box):
    return box.client("cloudwatch")


def child(cloudwatch, label: str) -> str:
    name = f"{label}-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="Lesson08",
        MetricName=label,
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
    )
    return name


def composite(cloudwatch, name: str) -> dict:
    return cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]


def set_state(cloudwatch, name: str, value: str) -> None:
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=value, StateReason="replayed by the test")


def test_when_both_children_are_in_alarm_then_an_and_rule_goes_to_alarm_with_aws_reason(cloudwatch):
    errors, throttles = child(cloudwatch, "errors"), child(cloudwatch, "throttles")
    name = f"page-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_composite_alarm(AlarmName=name, AlarmRule=f'ALARM({errors}) AND ALARM("{throttles}")')
    assert composite(cloudwatch, name)["StateValue"] == "OK"  # evaluated at once: neither child is in ALARM

    set_state(cloudwatch, errors, "ALARM")
    assert composite(cloudwatch, name)["StateValue"] == "OK"
    set_state(cloudwatch, throttles, "ALARM")
    alarm = composite(cloudwatch, name)
    assert alarm["StateValue"] == "ALARM"
    assert alarm["AlarmRule"] == f'ALARM({errors}) AND ALARM("{throttles}")'
    assert alarm["StateReason"].startswith(f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{throttles} transitioned")
    assert " to ALARM at " in alarm["StateReason"] and alarm["StateReason"].endswith(" UTC")
    triggering = json.loads(alarm["StateReasonData"])["triggeringAlarms"]
    assert {t["arn"].rsplit(":", 1)[1] for t in triggering} == {errors, throttles}

    set_state(cloudwatch, errors, "OK")
    assert composite(cloudwatch, name)["StateValue"] == "OK"


def test_when_a_rule_names_a_child_by_arn_or_negates_it_then_it_is_read_as_aws_reads_it(cloudwatch):
    deploying, errors = child(cloudwatch, "deploying"), child(cloudwatch, "errors")
    arn = cloudwatch.describe_alarms(AlarmNames=[errors])["MetricAlarms"][0]["AlarmArn"]
    name = f"quiet-deploys-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_composite_alarm(AlarmName=name, AlarmRule=f"ALARM({arn}) AND NOT ALARM({deploying})")
    set_state(cloudwatch, errors, "ALARM")
    set_state(cloudwatch, deploying, "ALARM")
    assert composite(cloudwatch, name)["StateValue"] == "OK"  # errors during a deployment do not page
    set_state(cloudwatch, deploying, "OK")
    assert composite(cloudwatch, name)["StateValue"] == "ALARM"


def test_describe_alarms_returns_composite_alarms_only_when_alarm_types_asks_for_them(cloudwatch):
    errors = child(cloudwatch, "errors")
    name = f"page-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_composite_alarm(AlarmName=name, AlarmRule=f"ALARM({errors})")
    plain = cloudwatch.describe_alarms(AlarmNames=[name, errors])
    assert [a["AlarmName"] for a in plain["MetricAlarms"]] == [errors] and plain["CompositeAlarms"] == []
    both = cloudwatch.describe_alarms(AlarmNames=[name, errors], AlarmTypes=["CompositeAlarm", "MetricAlarm"])
    assert [a["AlarmName"] for a in both["CompositeAlarms"]] == [name]
    assert [a["AlarmName"] for a in both["MetricAlarms"]] == [errors]


def test_when_a_composite_alarm_changes_state_then_its_history_and_its_sns_topic_say_so(box, cloudwatch):
    sns, sqs = box.client("sns"), box.client("sqs")
    suffix = uuid.uuid4().hex[:8]
    topic = sns.create_topic(Name=f"on-call-{suffix}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"pages-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    errors = child(cloudwatch, "errors")
    name = f"page-{suffix}"
    cloudwatch.put_composite_alarm(AlarmName=name, AlarmRule=f"ALARM({errors})", AlarmActions=[topic])
    set_state(cloudwatch, errors, "ALARM")

    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=5).get("Messages", [])
    pages = [json.loads(m["Body"]) for m in messages]
    assert [(p["AlarmName"], p["OldStateValue"], p["NewStateValue"]) for p in pages] == [(name, "OK", "ALARM")]
    assert pages[0]["AlarmRule"] == f"ALARM({errors})"
    history = cloudwatch.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [(h["AlarmType"], h["HistorySummary"]) for h in history] == [
        ("CompositeAlarm", "Alarm updated from OK to ALARM"),
        ("CompositeAlarm", "Alarm updated from INSUFFICIENT_DATA to OK"),
    ]


def test_describe_alarms_finds_a_composite_alarms_children_and_an_alarms_parents(cloudwatch):
    errors, throttles = child(cloudwatch, "errors"), child(cloudwatch, "throttles")
    inner, outer = f"inner-{uuid.uuid4().hex[:8]}", f"outer-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_composite_alarm(AlarmName=inner, AlarmRule=f"ALARM({errors}) OR ALARM({throttles})")
    cloudwatch.put_composite_alarm(AlarmName=outer, AlarmRule=f"ALARM({inner}) AND NOT OK({errors})")

    kids = cloudwatch.describe_alarms(ChildrenOfAlarmName=outer)
    assert [a["AlarmName"] for a in kids["MetricAlarms"]] == [errors]
    assert [a["AlarmName"] for a in kids["CompositeAlarms"]] == [inner]
    parents = cloudwatch.describe_alarms(ParentsOfAlarmName=errors)
    assert sorted(a["AlarmName"] for a in parents["CompositeAlarms"]) == sorted([inner, outer])
    with pytest.raises(ClientError, match="cannot specify any other parameters"):
        cloudwatch.describe_alarms(ChildrenOfAlarmName=outer, AlarmTypes=["CompositeAlarm"])


def test_a_composite_alarm_may_watch_a_composite_alarm(cloudwatch):
    errors = child(cloudwatch, "errors")
    inner, outer = f"inner-{uuid.uuid4().hex[:8]}", f"outer-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_composite_alarm(AlarmName=inner, AlarmRule=f"ALARM({errors})")
    cloudwatch.put_composite_alarm(AlarmName=outer, AlarmRule=f"ALARM({inner}) OR FALSE")
    set_state(cloudwatch, errors, "ALARM")
    assert composite(cloudwatch, outer)["StateValue"] == "ALARM"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("()", "Error in AlarmRule [Unsupported token ')' at char 1]"),
        ("ALARM(SampleQueue Oldest Age)", "Error in AlarmRule [Unsupported token 'Oldest' at char 18, must be: ')']"),
        ("alarm(x)", "Error in AlarmRule [Unsupported token 'alarm' at char 0]"),
        ("ALARM(x) AND", "Error in AlarmRule [Unexpected end of rule at char 12]"),
        (
            "ALARM(no-such-alarm) OR TRUE",
            "Could not save the composite alarm as alarms [no-such-alarm] in the alarm rule",
        ),
        ("TRUE OR " * 1300 + "TRUE", "Member must have length less than or equal to 10240"),
    ],
    ids=["empty-parentheses", "unquoted-spaces", "lower-case-function", "dangling-and", "missing-child", "too-long"],
)
def test_when_the_rule_is_malformed_then_put_composite_alarm_is_refused_with_a_validation_error(
    cloudwatch, rule, message
):
    with pytest.raises(ClientError) as error:
        cloudwatch.put_composite_alarm(AlarmName=f"bad-{uuid.uuid4().hex[:8]}", AlarmRule=rule)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.value.response["Error"]["Code"] == "ValidationError"
    assert message in error.value.response["Error"]["Message"]


def test_the_rule_grammar_binds_and_before_or_and_gives_constants_their_value():
    rule = parse_rule('OK(a) OR ALARM("b c") AND NOT INSUFFICIENT_DATA(d)')  # AND binds tighter than OR
    assert children(rule) == ["a", "b c", "d"]
    assert holds(rule, {"a": "OK", "b c": "OK", "d": "OK"})
    assert holds(rule, {"a": "ALARM", "b c": "ALARM", "d": "OK"})
    assert not holds(rule, {"a": "ALARM", "b c": "ALARM", "d": "INSUFFICIENT_DATA"})
    assert holds(parse_rule("(TRUE AND NOT FALSE)"), {}) and not holds(parse_rule("NOT (TRUE)"), {})
    with pytest.raises(AlarmRuleError, match="Unsupported token"):
        parse_rule("ALARM(a) XOR ALARM(b)")
