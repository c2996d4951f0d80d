"""EventBridge events: what a rule's Lambda target receives, on a schedule or from ``PutEvents``.

Every EventBridge event has the same envelope — ``version``, ``id``, ``detail-type``, ``source``,
``account``, ``time``, ``region``, ``resources``, ``detail`` ("Event structure reference",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html). A scheduled rule sends
``source: aws.events``, ``detail-type: Scheduled Event``, the rule's ARN in ``resources``, an empty
``detail`` and, in ``time``, the instant the schedule was due (AWS's sample in "Using Lambda with
EventBridge", https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html). A job that
must know *which* night it is processing should read ``time``, not the clock of the machine it runs on.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from lambdalab.aws_facts import DEFAULT_ACCOUNT_ID, DEFAULT_REGION


def event_time(when: dt.datetime | float | str | None = None) -> str:
    """EventBridge's ``time``: UTC to the second, ``2025-01-31T02:00:00Z`` (epoch seconds accepted)."""
    if isinstance(when, str):
        return when
    if when is None:
        moment = dt.datetime.now(dt.UTC)
    elif isinstance(when, int | float):
        moment = dt.datetime.fromtimestamp(float(when), dt.UTC)
    else:
        moment = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rule_arn(rule_name: str, *, event_bus: str = "default", region: str = DEFAULT_REGION,
             account_id: str = DEFAULT_ACCOUNT_ID) -> str:
    """A rule's ARN; rules on the default bus have no bus name in it."""
    bus = "" if event_bus == "default" else f"{event_bus}/"
    return f"arn:aws:events:{region}:{account_id}:rule/{bus}{rule_name}"


def eventbridge_event(source: str, detail_type: str, detail: Mapping[str, Any] | None = None, *,
                      resources: Iterable[str] = (), when: dt.datetime | float | str | None = None,
                      event_id: str | None = None, region: str = DEFAULT_REGION,
                      account_id: str = DEFAULT_ACCOUNT_ID) -> dict[str, Any]:
    """A custom event as a rule's target receives it (``PutEvents`` entry → envelope)."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account_id,
        "time": event_time(when),
        "region": region,
        "resources": list(resources),
        "detail": dict(detail or {}),
    }


def scheduled_event(rule: str, when: dt.datetime | float | str | None = None, *, event_id: str | None = None,
                    region: str = DEFAULT_REGION, account_id: str = DEFAULT_ACCOUNT_ID) -> dict[str, Any]:
    """The event a scheduled rule sends; ``rule`` is the rule's name or ARN, ``when`` the due instant."""
    arn = rule if rule.startswith("arn:") else rule_arn(rule, region=region, account_id=account_id)
    return eventbridge_event("aws.events", "Scheduled Event", {}, resources=[arn], when=when,
                             event_id=event_id, region=region, account_id=account_id)
