"""moto's EventBridge, taught to deliver to Lambda and to respect rule state and schedules.

moto raises ``NotImplementedError`` for a Lambda target, sends ``PutEvents`` events to disabled rules and
to schedule-only rules (an absent pattern matches everything), and accepts any ``cron(…)`` text. Replaced:

- ``EventsBackend.put_rule``: checks the schedule with AWS's rules (``ValidationException`` otherwise) and
  remembers, on the sandbox clock, when each schedule was created (a rate counts from then);
- ``EventsBackend.put_events``: an entry without ``Time`` gets the sandbox clock's time;
- ``Rule.send_to_targets``: only enabled rules with an event pattern match events, and targets are reached
  through :func:`lambdalab.triggers.eventbridge.targets.deliver` (Lambda asynchronously; others by moto).
"""

from __future__ import annotations

import threading
from typing import Any

from lambdalab.service.moto_patching import bound, bound_service, original, replace

_lock = threading.Lock()


def install() -> None:
    """Install the EventBridge patches (idempotent)."""
    from moto.events.models import EventsBackend, Rule

    replace(EventsBackend, "put_rule", _put_rule)
    replace(EventsBackend, "put_events", _put_events)
    replace(Rule, "send_to_targets", _send_to_targets)


def is_enabled(rule: Any) -> bool:
    return str(rule.state or "ENABLED").startswith("ENABLED")


def has_pattern(rule: Any) -> bool:
    return bool(rule.event_pattern.get_pattern())


def _put_rule(backend: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    from moto.events.exceptions import ValidationException
    from moto.events.models import EventsBackend

    from lambdalab.triggers.eventbridge.schedule import InvalidSchedule, parse

    expression = kwargs.get("scheduled_expression")
    if expression:
        try:
            parse(expression)
        except InvalidSchedule as exc:
            raise ValidationException(f"Parameter ScheduleExpression is not valid. ({exc})") from None
    rule = original(EventsBackend, "put_rule")(backend, name, *args, **kwargs)
    owners = bound()
    if owners.eventbridge is None:
        return rule
    schedule_created = owners.eventbridge.schedule_created  # {rule ARN: (expression, sandbox-clock time)}
    with _lock:
        if rule.scheduled_expression:
            known = schedule_created.get(rule.arn)
            if known is None or known[0] != rule.scheduled_expression:
                schedule_created[rule.arn] = (rule.scheduled_expression, owners.clock.now())
        else:
            schedule_created.pop(rule.arn, None)
    return rule


def _put_events(backend: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from moto.events.models import EventsBackend

    clock = bound().clock
    stamped = [entry if entry.get("Time") or clock is None else {**entry, "Time": clock.now().timestamp()}
               for entry in events]
    return original(EventsBackend, "put_events")(backend, stamped)


def _send_to_targets(rule: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
    from lambdalab.triggers.eventbridge.targets import deliver

    if not is_enabled(rule) or not has_pattern(rule) or not rule.event_pattern.matches_event(original_event):
        return
    eventbridge = bound().eventbridge
    failed = eventbridge.failed_invocations if eventbridge is not None else []
    deliver(rule, original_event, service=bound_service(), failed=failed, transform_input=transform_input)
