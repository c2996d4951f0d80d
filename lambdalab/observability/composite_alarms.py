"""CloudWatch composite alarms on the sandbox: created, refused, listed and evaluated as AWS does.

moto 5.2 has no PutCompositeAlarm (a 500), lists every alarm whatever ``AlarmTypes`` asks for, and would
never evaluate a composite alarm. Here:

- ``PutCompositeAlarm`` checks the rule (:mod:`.composite_rules`: AWS's ValidationError for a rule it cannot
  read, and ``Could not save the composite alarm as alarms [x] in the alarm rule do not exist`` for a child
  that is not there) and stores the alarm beside the metric alarms, in INSUFFICIENT_DATA until evaluated;
- ``DescribeAlarms`` honours ``AlarmTypes`` (without it, only metric alarms, as AWS answers), and answers
  ``ChildrenOfAlarmName`` and ``ParentsOfAlarmName`` from the rules;
- a composite alarm is evaluated whenever one of its children may have changed state -- after the
  evaluator's minute, after ``SetAlarmState`` and when it is created: ALARM when its rule holds, OK when it
  does not. A change is recorded (``DescribeAlarmHistory``, ``AlarmType`` CompositeAlarm) and runs the
  alarm's actions through the evaluator (SNS topics, Lambda functions), as a metric alarm's do.

The state reason names the child that changed last among those that make the rule what it is, in AWS's
words (``arn:...:alarm:child transitioned to ALARM at Friday 04 August, 2023 12:54:46 UTC``) with the
triggering children in the reason data (``triggeringAlarms``). Action suppressors are not modelled.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from lambdalab.observability.alarm_messages import aware, iso, lambda_action_event, record_state_update, sns_message
from lambdalab.observability.composite_rules import AlarmRuleError, children, holds, parse_rule, satisfied_atoms
from lambdalab.service.moto_patching import original, replace

#: Composite alarms may watch composite alarms; a change ripples through at most this many levels per look.
MAX_DEPTH = 10

Notifier = Callable[[Any, str, str, str, dict[str, Any], dt.datetime], None]


def install(evaluate_after_change: Callable[[Any], None]) -> None:
    """Answer PutCompositeAlarm and AlarmTypes; re-evaluate composites after SetAlarmState (idempotent).

    ``evaluate_after_change(backend)`` is the evaluator's hook: it evaluates the composite alarms of that
    CloudWatch backend now and runs their actions."""
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse

    global _after_change
    _after_change = evaluate_after_change
    CloudWatchResponse.put_composite_alarm = _put_composite_alarm  # moto has none
    replace(CloudWatchResponse, "describe_alarms", _describe_alarms)
    replace(CloudWatchBackend, "set_alarm_state", _set_alarm_state)


_after_change: Callable[[Any], None] | None = None


def is_composite(alarm: Any) -> bool:
    return bool(getattr(alarm, "rule", None))


def _put_composite_alarm(response: Any) -> Any:
    from moto.cloudwatch.exceptions import ValidationError
    from moto.core.responses import EmptyResult

    backend = response.cloudwatch_backend
    name = response._get_param("AlarmName")
    text = response._get_param("AlarmRule") or ""
    try:
        rule = parse_rule(text)
    except AlarmRuleError as error:
        raise ValidationError(str(error)) from None
    missing = [child for child in children(rule) if _find(backend, child) is None]
    if missing:
        raise ValidationError(
            f"Could not save the composite alarm as alarms [{', '.join(missing)}] in the alarm rule do not exist"
        )
    existing = backend.alarms.get(name)
    if existing is not None and not is_composite(existing):
        raise ValidationError(f"The alarm {name} already exists as a metric alarm")
    actions_enabled = response._get_param("ActionsEnabled")
    alarm = backend.put_metric_alarm(
        name=name,
        namespace=None,
        metric_name=None,
        metric_data_queries=None,
        comparison_operator=None,
        evaluation_periods=None,
        datapoints_to_alarm=None,
        period=None,
        threshold=None,
        statistic=None,
        extended_statistic=None,
        description=response._get_param("AlarmDescription"),
        dimensions=[],
        alarm_actions=response._get_param("AlarmActions", []),
        ok_actions=response._get_param("OKActions", []),
        insufficient_data_actions=response._get_param("InsufficientDataActions", []),
        unit=None,
        actions_enabled=None if actions_enabled is None else str(actions_enabled).lower() != "false",
        treat_missing_data=None,
        evaluate_low_sample_count_percentile=None,
        threshold_metric_id=None,
        rule=text,
        tags=response._get_param("Tags", []),
    )
    alarm.alarm_rule = text  # the name DescribeAlarms' CompositeAlarm shape reads
    if existing is None:
        alarm.state_value = "INSUFFICIENT_DATA"
        alarm.state_reason = "Unchecked: Initial alarm creation"
    else:  # an update keeps the state it had, as PutMetricAlarm does
        alarm.state_value, alarm.state_reason = existing.state_value, existing.state_reason
        alarm.__dict__["lambdalab_history"] = existing.__dict__.get("lambdalab_history", [])
    if _after_change is not None:
        _after_change(backend)
    return EmptyResult()


def _describe_alarms(response: Any) -> Any:
    """moto's answer, filtered by AlarmTypes (without it AWS returns metric alarms only); ChildrenOfAlarmName
    and ParentsOfAlarmName answered from the composite alarms' rules."""
    from moto.core.responses import ActionResult

    family = _family(response)
    if family is not None:
        return ActionResult(family)
    answer = original(type(response), "describe_alarms")(response)
    wanted = response._get_param("AlarmTypes") or ["MetricAlarm"]
    result = dict(answer.result) if hasattr(answer, "result") else None
    if result is None:
        return answer
    if "MetricAlarm" not in wanted:
        result["MetricAlarms"] = []
    if "CompositeAlarm" not in wanted:
        result["CompositeAlarms"] = []
    return ActionResult(result)


def _family(response: Any) -> dict[str, list[Any]] | None:
    """The children a composite alarm's rule names, or the composite alarms whose rules name an alarm."""
    from moto.cloudwatch.exceptions import ValidationError

    children_of, parents_of = response._get_param("ChildrenOfAlarmName"), response._get_param("ParentsOfAlarmName")
    if not (children_of or parents_of):
        return None
    others = {"AlarmNames", "AlarmNamePrefix", "AlarmTypes", "StateValue", "ActionPrefix"}
    if (children_of and parents_of) or any(response._get_param(name) for name in others):
        raise ValidationError(
            "If you specify ChildrenOfAlarmName or ParentsOfAlarmName, you cannot specify any other parameters "
            "in the request except for MaxRecords and NextToken."
        )
    backend = response.cloudwatch_backend
    if children_of:
        parent = backend.alarms.get(children_of)
        found = [] if parent is None or not is_composite(parent) else children(parse_rule(parent.rule))
        alarms = [a for a in (_find(backend, reference) for reference in found) if a is not None]
    else:
        child_alarm = backend.alarms.get(parents_of)
        references = {parents_of, child_alarm.alarm_arn} if child_alarm is not None else {parents_of}
        alarms = [
            a
            for a in list(backend.alarms.values())
            if is_composite(a) and references & set(children(parse_rule(a.rule)))
        ]
    return {
        "MetricAlarms": [a for a in alarms if not is_composite(a)],
        "CompositeAlarms": [a for a in alarms if is_composite(a)],
    }


def _set_alarm_state(backend: Any, alarm_name: str, *args: Any, **kwargs: Any) -> Any:
    from moto.cloudwatch.models import CloudWatchBackend

    answer = original(CloudWatchBackend, "set_alarm_state")(backend, alarm_name, *args, **kwargs)
    if _after_change is not None:
        _after_change(backend)
    return answer


def _find(backend: Any, reference: str) -> Any:
    """The alarm a rule names: by name, or by its ARN."""
    if reference.startswith("arn:"):
        return next((a for a in list(backend.alarms.values()) if a.alarm_arn == reference), None)
    return backend.alarms.get(reference)


def evaluate_composites(backend: Any, at: dt.datetime, on_change: Notifier) -> dict[str, str]:
    """Evaluate every composite alarm of ``backend`` until nothing changes; ``on_change`` runs for each change
    (alarm, old state, new state, reason, reason data, instant). Returns the composites' states."""
    composites = [a for a in list(backend.alarms.values()) if is_composite(a)]
    for _ in range(MAX_DEPTH):
        changed = False
        for alarm in composites:
            rule = parse_rule(alarm.rule)
            found = {child: _find(backend, child) for child in children(rule)}
            state_of = {child: a.state_value for child, a in found.items() if a is not None}
            new = "ALARM" if holds(rule, state_of) else "OK"
            if new == alarm.state_value:
                continue
            reason, reason_data = _reason(rule, state_of, found)
            old = alarm.state_value
            alarm.update_state(reason, json.dumps(reason_data), new)
            alarm.state_updated_timestamp = at
            on_change(alarm, old, new, reason, reason_data, at)
            changed = True
        if not changed:
            break
    return {a.name: a.state_value for a in composites}


def _reason(rule: Any, state_of: dict[str, str], found: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """AWS's reason: the child that changed last among those whose state makes the rule true or false."""
    atoms = satisfied_atoms(rule, state_of)
    deciding = [found[a.alarm] for a in atoms] or [a for a in found.values() if a is not None]
    triggering = [
        {"arn": a.alarm_arn, "state": {"value": a.state_value, "timestamp": iso(a.state_updated_timestamp)}}
        for a in deciding
    ]
    if not deciding:
        return "Alarm rule evaluated without children", {"triggeringAlarms": []}
    latest = max(deciding, key=lambda a: aware(a.state_updated_timestamp))
    when = aware(latest.state_updated_timestamp).astimezone(dt.UTC)
    reason = f"{latest.alarm_arn} transitioned to {latest.state_value} at {when:%A %d %B, %Y %H:%M:%S} UTC"
    return reason, {"triggeringAlarms": triggering}


def record_history(alarm: Any, old: str, new: str, reason: str, reason_data: dict[str, Any], at: dt.datetime) -> None:
    """One ``StateUpdate`` item, ``AlarmType`` CompositeAlarm, in DescribeAlarmHistory's shape."""
    record_state_update(alarm, "CompositeAlarm", old, new, reason, reason_data, at)


def notification(alarm: Any, old: str, new: str, reason: str, at: dt.datetime, account_id: str, region: str) -> dict:
    """The JSON published to an SNS topic when a composite alarm changes state (its rule instead of a metric)."""
    return sns_message(alarm, old, new, reason, at, account_id, region, {"AlarmRule": alarm.rule})


def lambda_event(alarm: Any, old: str, previous_reason: str, at: dt.datetime, account_id: str, region: str) -> dict:
    """The event a Lambda alarm action of a composite alarm receives (AWS's composite example's shape)."""
    return lambda_action_event(
        alarm,
        state={"value": alarm.state_value, "reason": alarm.state_reason, "reasonData": alarm.state_reason_data},
        previous_state={"value": old, "reason": previous_reason},
        configuration={"alarmRule": alarm.rule, "description": alarm.description},
        at=at,
        account_id=account_id,
        region=region,
    )
