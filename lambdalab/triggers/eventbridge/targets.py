"""Handing a matched EventBridge event to a rule's targets.

A Lambda target is invoked **asynchronously** (Lambda's event queue, its retries, destinations and DLQ),
with the whole event unless the target says otherwise: ``Input`` (a constant JSON text), ``InputPath``
(a JSONPath into the event) or ``InputTransformer`` (JSONPaths into a template).
Every other kind of target (SQS, CloudWatch Logs, another bus, …) is left to moto, which supports them.
A target that cannot be reached is recorded in the trigger's ``failed_invocations`` — EventBridge's
``FailedInvocations`` metric — and never fails the caller's ``PutEvents``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from lambdalab.events.eventbridge import event_time

#: Targets EventBridge could not invoke: ``{"rule", "target", "reason"}`` (lessons and tests read it).

#: Fields moto adds for its own use that AWS does not deliver to targets.
_INTERNAL_FIELDS = ("ingestion-time",)


def is_lambda_target(target: dict[str, Any]) -> bool:
    return str(target.get("Arn", "")).split(":")[2:3] == ["lambda"]


def delivered_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event as a target sees it: ``time`` as ``2025-01-31T02:00:00Z``, no moto-only fields."""
    shown = {k: copy.deepcopy(v) for k, v in event.items() if k not in _INTERNAL_FIELDS}
    shown["time"] = event_time(event.get("time") or None)
    return shown


def target_input(target: dict[str, Any], event: dict[str, Any]) -> bytes:
    """The payload a target receives, following its Input / InputPath / InputTransformer."""
    if target.get("Input") is not None:
        return str(target["Input"]).encode()
    if target.get("InputPath"):
        from jsonpath_ng.ext import parse

        matches = parse(target["InputPath"]).find(event)
        return json.dumps(matches[0].value if matches else None).encode()
    if target.get("InputTransformer"):
        return _transform(target["InputTransformer"], event).encode()
    return json.dumps(event).encode()


def _transform(transformer: dict[str, Any], event: dict[str, Any]) -> str:
    """An InputTransformer: each ``<name>`` of the template replaced by the value its JSONPath selects
    (text as is, anything else as JSON, a missing path as ``null``), plus EventBridge's predefined
    ``<aws.events.event.json>`` and ``<aws.events.event.ingestion-time>``. A template that is not JSON
    (plain text) reaches the function as a JSON string."""
    from jsonpath_ng.ext import parse

    values: dict[str, Any] = {}
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        matches = parse(path).find(event)
        values[name] = matches[0].value if matches else None
    values["aws.events.event.json"] = event
    values["aws.events.event.ingestion-time"] = event.get("time")
    text = str(transformer.get("InputTemplate", ""))
    for name, value in values.items():
        text = text.replace(f"<{name}>", value if isinstance(value, str) else json.dumps(value))
    try:
        json.loads(text)
    except ValueError:
        return json.dumps(text)
    return text


def deliver(rule: Any, event: dict[str, Any], *, service: Any, failed: list[dict[str, str]],
            transform_input: bool = True) -> tuple[str, ...]:
    """Send ``event`` to every target of ``rule``; returns the ARNs it was handed to. A target that cannot
    be reached is appended to ``failed`` (the trigger's ``failed_invocations``)."""
    from moto.events.models import EventPattern, Rule

    from lambdalab.service.async_invoke import enqueue
    from lambdalab.service.moto_patching import original

    shown = delivered_event(event)
    reached: list[str] = []
    for target in list(rule.targets):
        arn = str(target.get("Arn", ""))
        try:
            if is_lambda_target(target):
                parts = arn.split(":")
                qualifier = parts[7] if len(parts) > 7 and parts[7] != "$LATEST" else None
                payload = target_input(target, shown) if transform_input else json.dumps(shown).encode()
                enqueue(service, parts[6], payload, qualifier=qualifier)
            else:  # the rule already matched: moto only delivers (it wants the time as epoch seconds)
                single = copy.copy(rule)
                single.targets = [target]
                single.event_pattern = EventPattern.load(None)
                when = _epoch(event.get("time"))
                moto_event = {"ingestion-time": when, **copy.deepcopy(event), "time": when}
                original(Rule, "send_to_targets")(single, moto_event, transform_input)
            reached.append(arn)
        except Exception as exc:  # noqa: BLE001 - a missing or unsupported target; PutEvents still succeeds
            failed.append({"rule": rule.name, "target": arn, "reason": f"{type(exc).__name__}: {exc}"})
    return tuple(reached)


def _epoch(when: Any) -> float:
    if isinstance(when, str):
        return dt.datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp()
    return float(when) if when is not None else dt.datetime.now(dt.UTC).timestamp()
