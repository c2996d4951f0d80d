"""moto's EventBridge Scheduler, taught AWS's checks and the sandbox clock.

moto stores schedules faithfully enough for boto3 and the AWS CLI but accepts any expression, time zone,
window or retry policy, and reads the machine's clock. Replaced:

- ``EventBridgeSchedulerBackend.create_schedule`` / ``update_schedule``: the request is checked as the
  Scheduler API checks it (``ValidationException``, HTTP 400), and the sandbox clock's time is remembered as
  the moment the schedule took its current form (a rate without ``StartDate`` counts from there);
- ``Schedule._validate_start_date``: moto's "cannot be earlier than 5 minutes ago" reads the sandbox clock,
  not the machine's, so a lesson can freeze the clock in the past and still create schedules.

What AWS checks (API reference, https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html
and the ``Target``, ``RetryPolicy``, ``FlexibleTimeWindow`` and ``DeadLetterConfig`` types, checked December
2026): the expression's syntax; an IANA time zone; ``FlexibleTimeWindow.Mode`` ``OFF`` or ``FLEXIBLE``, the
latter with ``MaximumWindowInMinutes`` 1-1440; ``MaximumEventAgeInSeconds`` 60-86400 and
``MaximumRetryAttempts`` 0-185; a standard SQS queue ARN as the dead-letter queue; well-formed JSON as the
``Input`` of a Lambda target; ``EndDate`` after ``StartDate``; an ``at()`` time that is not in the past.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from typing import Any

from lambdalab.service.moto_patching import bound, original, replace

#: When each schedule took its current form, on the sandbox clock: ``{schedule ARN: datetime}``.
_lock = threading.Lock()
_DLQ_ARN = re.compile(r"^arn:aws(-[a-z]+)?:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+$")
MAX_WINDOW_MINUTES = 1440
EVENT_AGE_RANGE = (60, 86400)
RETRY_ATTEMPTS_RANGE = (0, 185)


def install() -> None:
    """Install the Scheduler patches (idempotent)."""
    from moto.scheduler.models import EventBridgeSchedulerBackend, Schedule

    replace(EventBridgeSchedulerBackend, "create_schedule", _create_schedule)
    replace(EventBridgeSchedulerBackend, "update_schedule", _update_schedule)
    replace(Schedule, "_validate_start_date", _validate_start_date)


def _refuse(message: str) -> Exception:
    from moto.scheduler.exceptions import ValidationException

    return ValidationException(message)


def _when(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    try:
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    except (TypeError, ValueError):
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def check_schedule(
    *,
    schedule_expression: str,
    schedule_expression_timezone: str | None,
    flexible_time_window: dict[str, Any] | None,
    target: dict[str, Any] | None,
    start_date: Any = None,
    end_date: Any = None,
    state: str | None = None,
    action_after_completion: str | None = None,
) -> None:
    """Refuse, with a ValidationException, what the Scheduler API refuses."""
    from lambdalab.triggers.eventbridge.schedule import InvalidSchedule
    from lambdalab.triggers.scheduler.expressions import parse

    try:
        expression = parse(schedule_expression, schedule_expression_timezone)
    except InvalidSchedule as exc:
        raise _refuse(str(exc)) from None
    minute = _now().replace(second=0, microsecond=0)
    if expression.at is not None and expression.at < minute:
        raise _refuse(
            f"Invalid Schedule Expression {schedule_expression!r}: a one-time schedule's time must not be "
            f"in the past (it is {minute:%Y-%m-%dT%H:%M} UTC now)"
        )
    window = flexible_time_window or {}
    mode = window.get("Mode")
    if mode not in ("OFF", "FLEXIBLE"):
        raise _refuse(f"Invalid FlexibleTimeWindow Mode {mode!r}: use OFF or FLEXIBLE")
    minutes = window.get("MaximumWindowInMinutes")
    if mode == "FLEXIBLE" and (minutes is None or not 1 <= int(minutes) <= MAX_WINDOW_MINUTES):
        raise _refuse(
            f"MaximumWindowInMinutes must be between 1 and {MAX_WINDOW_MINUTES} when FlexibleTimeWindow "
            f"Mode is FLEXIBLE (got {minutes!r})"
        )
    if mode == "OFF" and minutes is not None:
        raise _refuse("MaximumWindowInMinutes is only allowed when FlexibleTimeWindow Mode is FLEXIBLE")
    if state not in (None, "ENABLED", "DISABLED"):
        raise _refuse(f"Invalid State {state!r}: use ENABLED or DISABLED")
    if action_after_completion not in (None, "NONE", "DELETE"):
        raise _refuse(f"Invalid ActionAfterCompletion {action_after_completion!r}: use NONE or DELETE")
    start, end = _when(start_date), _when(end_date)
    if start is not None and end is not None and end <= start:
        raise _refuse("The EndDate you specify must be after the StartDate.")
    _check_target(target or {})


def _check_target(target: dict[str, Any]) -> None:
    policy = target.get("RetryPolicy") or {}
    age, attempts = policy.get("MaximumEventAgeInSeconds"), policy.get("MaximumRetryAttempts")
    if age is not None and not EVENT_AGE_RANGE[0] <= int(age) <= EVENT_AGE_RANGE[1]:
        raise _refuse(
            f"MaximumEventAgeInSeconds must be between {EVENT_AGE_RANGE[0]} and {EVENT_AGE_RANGE[1]} (got {age})"
        )
    if attempts is not None and not RETRY_ATTEMPTS_RANGE[0] <= int(attempts) <= RETRY_ATTEMPTS_RANGE[1]:
        raise _refuse(
            f"MaximumRetryAttempts must be between {RETRY_ATTEMPTS_RANGE[0]} and "
            f"{RETRY_ATTEMPTS_RANGE[1]} (got {attempts})"
        )
    dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
    if dlq is not None and (not _DLQ_ARN.match(str(dlq)) or str(dlq).endswith(".fifo")):
        raise _refuse(
            f"Invalid DeadLetterConfig Arn {dlq!r}: a dead-letter queue is a standard SQS queue's ARN, "
            "arn:aws:sqs:region:account:queue-name"
        )
    arn = str(target.get("Arn", ""))
    if arn.split(":")[2:3] == ["lambda"] and target.get("Input") is not None:
        try:
            json.loads(str(target["Input"]))
        except ValueError:
            raise _refuse(
                "Target Input must be well-formed JSON for a Lambda target (context attributes such as "
                "<aws.scheduler.scheduled-time> go inside JSON strings)"
            ) from None


def _now() -> dt.datetime:
    """The sandbox clock's time (the wall clock before a sandbox binds its clock)."""
    clock = bound().clock
    return clock.now() if clock is not None else dt.datetime.now(dt.UTC)


def _remember(schedule: Any) -> None:
    """Note when the schedule was (re)set, on the sandbox clock: its rate counts from there."""
    eventbridge = bound().eventbridge
    if eventbridge is None:
        return
    with _lock:
        eventbridge.schedule_set_at[schedule.arn] = _now()


def _create_schedule(backend: Any, **kwargs: Any) -> Any:
    from moto.scheduler.models import EventBridgeSchedulerBackend

    check_schedule(
        schedule_expression=kwargs.get("schedule_expression") or "",
        schedule_expression_timezone=kwargs.get("schedule_expression_timezone"),
        flexible_time_window=kwargs.get("flexible_time_window"),
        target=kwargs.get("target"),
        start_date=kwargs.get("start_date"),
        end_date=kwargs.get("end_date"),
        state=kwargs.get("state"),
        action_after_completion=kwargs.get("action_after_completion"),
    )
    schedule = original(EventBridgeSchedulerBackend, "create_schedule")(backend, **kwargs)
    schedule.action_after_completion = kwargs.get("action_after_completion") or "NONE"
    _remember(schedule)
    return schedule


def _update_schedule(backend: Any, **kwargs: Any) -> Any:
    from moto.scheduler.models import EventBridgeSchedulerBackend

    check_schedule(
        schedule_expression=kwargs.get("schedule_expression") or "",
        schedule_expression_timezone=kwargs.get("schedule_expression_timezone"),
        flexible_time_window=kwargs.get("flexible_time_window"),
        target=kwargs.get("target"),
        start_date=kwargs.get("start_date"),
        end_date=kwargs.get("end_date"),
        state=kwargs.get("state"),
    )
    schedule = original(EventBridgeSchedulerBackend, "update_schedule")(backend, **kwargs)
    schedule.state = kwargs.get("state") or "ENABLED"  # UpdateSchedule replaces the whole schedule
    _remember(schedule)
    return schedule


def _validate_start_date(schedule: Any, start_date: Any) -> Any:
    """moto's check (a recurring schedule's StartDate no earlier than five minutes ago), on the sandbox clock."""
    start = _when(start_date)
    if start is not None and not str(schedule.schedule_expression).startswith("at("):
        if _now() - start > dt.timedelta(minutes=5):
            raise _refuse("The StartDate you specify cannot be earlier than 5 minutes ago.")
    return start_date
