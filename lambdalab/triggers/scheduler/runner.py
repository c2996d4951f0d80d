"""EventBridge Scheduler's schedules, run on the sandbox clock: occurrences, flexible windows, retries, DLQ.

moto stores the schedules (``create_schedule``, ``get_schedule``, the AWS CLI's ``aws scheduler``); this
runner reads them and, as the clock moves, turns each occurrence into an invocation of the target, as
EventBridge Scheduler does (https://docs.aws.amazon.com/scheduler/latest/UserGuide/, checked December 2026):

- **when**: each occurrence of the expression (:mod:`.expressions`), within ``StartDate`` /
  ``EndDate``; with ``FlexibleTimeWindow`` ``FLEXIBLE`` the invocation comes at a random moment within
  ``MaximumWindowInMinutes`` after it (seeded per schedule and occurrence, so a run can be repeated);
  a ``DISABLED`` schedule invokes nothing and does not catch up when enabled again;
- **what**: the target's ``Input`` verbatim, after replacing the context attributes
  ``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>`` (the occurrence, not the moment of
  delivery), ``<aws.scheduler.execution-id>`` and ``<aws.scheduler.attempt-number>``. Without ``Input``, AWS
  documents only "a default notification"; the sandbox sends ``{}``. A Lambda target is invoked
  **asynchronously** (Lambda's own queue, retries and destinations then apply); an SQS target gets the text as
  a message;
- **failures**: an invocation that cannot be made (a function that does not exist, a queue that is gone) is
  retried with exponential backoff until ``MaximumRetryAttempts`` or ``MaximumEventAgeInSeconds`` runs out
  (AWS's defaults: 185 and 86,400), then sent to the ``DeadLetterConfig`` queue with the attributes AWS's
  dead-letter events carry (``ERROR_CODE``, ``ERROR_MESSAGE``, ``EXHAUSTED_RETRY_CONDITION``,
  ``RETRY_ATTEMPTS``, ``SCHEDULE_ARN``, ``SCHEDULED_TIME``, ``TARGET_ARN``, …). AWS does not publish its
  backoff; the sandbox waits 1, 2, 4, … minutes between attempts, at most an hour;
- **after**: ``ActionAfterCompletion`` ``DELETE`` deletes a one-time schedule after its invocation, and a
  recurring one after the last occurrence before its ``EndDate``.

Each attempt is recorded as a :class:`~lambdalab.triggers.eventbridge.timeline.Firing` with
``source="schedule"``.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lambdalab.service.sandbox_clock import SandboxClock, utc
from lambdalab.triggers.eventbridge.schedule import InvalidSchedule
from lambdalab.triggers.eventbridge.timeline import Firing
from lambdalab.triggers.scheduler.expressions import SchedulerExpression, parse

DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185
DEFAULT_MAXIMUM_EVENT_AGE_S = 86_400
_FIRST_RETRY = dt.timedelta(minutes=1)
_LONGEST_RETRY = dt.timedelta(hours=1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def context_attributes(
    text: str, *, schedule_arn: str, scheduled_time: dt.datetime, execution_id: str, attempt: int
) -> str:
    """``Input`` with Scheduler's context attributes replaced by their values."""
    values = {
        "<aws.scheduler.schedule-arn>": schedule_arn,
        "<aws.scheduler.scheduled-time>": utc(scheduled_time).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "<aws.scheduler.execution-id>": execution_id,
        "<aws.scheduler.attempt-number>": str(attempt),
    }
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def flexible_delay(schedule_arn: str, scheduled_time: dt.datetime, window_minutes: int, seed: int = 0) -> dt.timedelta:
    """The delay of one occurrence inside its flexible window: random, but the same for the same schedule,
    occurrence and seed (so a lesson's run can be repeated)."""
    rng = random.Random(f"{seed}|{schedule_arn}|{utc(scheduled_time).isoformat()}")  # noqa: S311 - not security
    return dt.timedelta(seconds=rng.randrange(0, int(window_minutes) * 60))


def retry_delay(retry: int) -> dt.timedelta:
    """How long before retry number ``retry`` (1, 2, …): 1, 2, 4, … minutes, at most an hour."""
    return min(_LONGEST_RETRY, _FIRST_RETRY * 2 ** (retry - 1))


@dataclass(frozen=True)
class ScheduleView:
    """What the runner needs of one schedule moto holds."""

    arn: str
    name: str
    group: str
    expression: SchedulerExpression
    state: str
    set_at: dt.datetime
    start: dt.datetime | None
    end: dt.datetime | None
    window_minutes: int | None
    target: dict[str, Any]
    action_after_completion: str

    @property
    def key(self) -> tuple[str, dt.datetime]:
        """A schedule changed by UpdateSchedule starts afresh."""
        return (self.arn, self.set_at)

    @property
    def retry_attempts(self) -> int:
        value = (self.target.get("RetryPolicy") or {}).get("MaximumRetryAttempts")
        return DEFAULT_MAXIMUM_RETRY_ATTEMPTS if value is None else int(value)

    @property
    def event_age(self) -> dt.timedelta:
        value = (self.target.get("RetryPolicy") or {}).get("MaximumEventAgeInSeconds")
        return dt.timedelta(seconds=DEFAULT_MAXIMUM_EVENT_AGE_S if value is None else int(value))


@dataclass(order=True)
class _Pending:
    due: dt.datetime
    seq: int
    key: tuple[str, dt.datetime] = field(compare=False)
    scheduled: dt.datetime = field(compare=False)
    attempt: int = field(compare=False, default=1)
    last_occurrence: bool = field(compare=False, default=False)


class DeliveryFailed(Exception):
    """The target could not be invoked: ``code`` and ``message`` as a dead-letter event reports them."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class ScheduleRunner:
    """Turns the schedules moto holds into target invocations as the sandbox clock moves."""

    def __init__(
        self,
        clock: SandboxClock,
        *,
        schedules: Callable[[], list[ScheduleView]],
        invoke: Callable[[ScheduleView, bytes], None],
        dead_letter: Callable[[str, str, dict[str, str]], None],
        delete: Callable[[ScheduleView], None],
        seed: int = 0,
    ) -> None:
        self.clock = clock
        self._schedules = schedules
        self._invoke = invoke
        self._dead_letter = dead_letter
        self._delete = delete
        self.seed = seed
        self._cursors: dict[tuple[str, dt.datetime], dt.datetime | None] = {}
        self._pending: list[_Pending] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()

    def forget(self) -> None:
        with self._lock:
            self._cursors.clear()
            self._pending.clear()

    def jump(self, now: dt.datetime) -> None:
        """The clock was set to ``now``: occurrences count from there; pending retries are dropped."""
        with self._lock:
            self._pending.clear()
            self._cursors = {view.key: now for view in self._views()}

    # --- what is due ----------------------------------------------------------------------------------
    def _views(self) -> list[ScheduleView]:
        try:
            return self._schedules()
        except Exception:  # noqa: BLE001 - a reset in progress: nothing is due
            return []

    def _next_occurrence(self, view: ScheduleView) -> dt.datetime | None:
        """The next occurrence not yet queued; the first one may be the creation instant itself."""
        if view.key not in self._cursors:
            self._cursors[view.key] = None
        cursor = self._cursors[view.key]
        if view.expression.one_time:
            return None if cursor is not None else max(view.expression.at or view.set_at, view.set_at)
        after = cursor if cursor is not None else view.set_at
        return view.expression.first_after(
            after, anchor=view.set_at, start=view.start, end=view.end, inclusive=cursor is None
        )

    def _queue(self, view: ScheduleView, occurrence: dt.datetime) -> None:
        self._cursors[view.key] = occurrence
        due = occurrence
        if view.window_minutes:
            due += flexible_delay(view.arn, occurrence, view.window_minutes, self.seed)
        last = view.expression.one_time or (view.end is not None and self._next_occurrence(view) is None)
        scheduled = view.expression.at if view.expression.one_time and view.expression.at else occurrence
        heapq.heappush(self._pending, _Pending(due, next(self._seq), view.key, scheduled, 1, last))

    def next_due(self, until: dt.datetime) -> dt.datetime | None:
        """The earliest moment, at or before ``until``, at which an invocation (or a retry) is due."""
        with self._lock:
            views = {view.key: view for view in self._views()}
            live = {key for key, view in views.items() if view.state == "ENABLED"}
            self._pending = [p for p in self._pending if p.key in live]  # deleted, disabled or changed
            heapq.heapify(self._pending)
            horizon = min(until, self._pending[0].due) if self._pending else until
            for view in views.values():
                if view.state != "ENABLED":
                    if not view.expression.one_time:
                        self._cursors[view.key] = max(until, self._cursors.get(view.key) or until)
                    continue
                while (occurrence := self._next_occurrence(view)) is not None and occurrence <= horizon:
                    self._queue(view, occurrence)
                    horizon = min(horizon, self._pending[0].due)
            if self._pending and self._pending[0].due <= until:
                return self._pending[0].due
            return None

    def upcoming(self) -> dt.datetime | None:
        """When the next invocation is due (for the real-time thread and for lessons)."""
        with self._lock:
            moments = [p.due for p in self._pending]
            for view in self._views():
                if view.state == "ENABLED" and (occurrence := self._next_occurrence(view)) is not None:
                    moments.append(occurrence)
            return min(moments, default=None)

    # --- invoking -------------------------------------------------------------------------------------
    def fire(self, when: dt.datetime) -> list[Firing]:
        """Attempt every invocation due at or before ``when``."""
        fired: list[Firing] = []
        with self._lock:
            views = {view.key: view for view in self._views()}
            while self._pending and self._pending[0].due <= when:
                item = heapq.heappop(self._pending)
                view = views.get(item.key)
                if view is None:
                    continue
                fired.append(self._attempt(view, item))
        return fired

    def _attempt(self, view: ScheduleView, item: _Pending) -> Firing:
        execution_id = uuid.uuid4().hex[:16]
        payload = context_attributes(
            str(view.target["Input"]) if view.target.get("Input") is not None else "{}",
            schedule_arn=view.arn,
            scheduled_time=item.scheduled,
            execution_id=execution_id,
            attempt=item.attempt,
        )
        target = str(view.target.get("Arn", ""))
        record = {
            "rule_name": view.name,
            "rule_arn": view.arn,
            "time": item.due,
            "event_id": execution_id,
            "source": "schedule",
            "scheduled_time": item.scheduled,
            "attempt": item.attempt,
        }
        try:
            self._invoke(view, payload.encode())
        except DeliveryFailed as failure:
            return self._failed(view, item, payload, execution_id, failure, record)
        self._completed(view, item)
        return Firing(**record, targets=(target,), outcome="delivered")

    def _failed(
        self,
        view: ScheduleView,
        item: _Pending,
        payload: str,
        execution_id: str,
        failure: DeliveryFailed,
        record: dict[str, Any],
    ) -> Firing:
        retries_made = item.attempt - 1
        next_due = item.due + retry_delay(retries_made + 1)
        if retries_made >= view.retry_attempts:
            condition = "MaximumRetryAttempts"
        elif next_due - item.scheduled > view.event_age:
            condition = "MaximumEventAgeInSeconds"
        else:
            heapq.heappush(
                self._pending,
                _Pending(next_due, next(self._seq), item.key, item.scheduled, item.attempt + 1, item.last_occurrence),
            )
            return Firing(**record, targets=(), outcome="failed", error=str(failure))
        dlq = (view.target.get("DeadLetterConfig") or {}).get("Arn")
        outcome = "dropped"
        if dlq:
            attributes = {
                "ERROR_CODE": failure.code,
                "ERROR_MESSAGE": failure.message,
                "EXECUTION_ID": execution_id,
                "EXHAUSTED_RETRY_CONDITION": condition,
                "IS_PAYLOAD_TRUNCATED": "false",
                "RETRY_ATTEMPTS": str(retries_made),
                "SCHEDULE_ARN": view.arn,
                "SCHEDULED_TIME": utc(item.scheduled).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "TARGET_ARN": str(view.target.get("Arn", "")),
            }
            try:
                self._dead_letter(str(dlq), payload, attributes)
                outcome = "dead-lettered"
            except Exception:  # noqa: BLE001 - the dead-letter queue itself is missing: the event is lost
                outcome = "dropped"
        self._completed(view, item)
        return Firing(**record, targets=(), outcome=outcome, error=str(failure))

    def _completed(self, view: ScheduleView, item: _Pending) -> None:
        if view.action_after_completion == "DELETE" and item.last_occurrence:
            try:
                self._delete(view)
            except Exception:  # noqa: BLE001 - deleted meanwhile by the learner
                pass


# --- reading moto's schedules -------------------------------------------------------------------------
def views_from_moto(backend: Any, schedule_set_at: dict[str, dt.datetime]) -> list[ScheduleView]:
    """Every schedule of a moto Scheduler backend, as the runner sees it (invalid ones are skipped);
    ``schedule_set_at`` says when each was last set on the sandbox clock."""
    from lambdalab.triggers.scheduler.moto_patch import _when

    views: list[ScheduleView] = []
    for group in list(backend.schedule_groups.values()):
        for schedule in list(group.schedules.values()):
            try:
                expression = parse(schedule.schedule_expression, schedule.schedule_expression_timezone)
            except InvalidSchedule:
                continue
            window = schedule.flexible_time_window or {}
            set_at = schedule_set_at.get(schedule.arn) or _EPOCH + dt.timedelta(seconds=float(schedule.creation_date))
            views.append(
                ScheduleView(
                    arn=schedule.arn,
                    name=schedule.name,
                    group=group.name,
                    expression=expression,
                    state=str(schedule.state or "ENABLED"),
                    set_at=set_at,
                    start=_when(schedule.start_date),
                    end=_when(schedule.end_date),
                    window_minutes=int(window["MaximumWindowInMinutes"]) if window.get("Mode") == "FLEXIBLE" else None,
                    target=dict(schedule.target or {}),
                    action_after_completion=str(schedule.action_after_completion or "NONE"),
                )
            )
    return views


def invoke_target(view: ScheduleView, payload: bytes, *, service: Any, sqs: Any) -> None:
    """Invoke a schedule's target: Lambda asynchronously, SQS with the payload as the message body."""
    from lambdalab.service.async_invoke import enqueue

    arn = str(view.target.get("Arn", ""))
    parts = arn.split(":")
    service_name = parts[2] if len(parts) > 2 else ""
    if service_name == "lambda" and len(parts) >= 7:
        qualifier = parts[7] if len(parts) > 7 and parts[7] != "$LATEST" else None
        try:
            enqueue(service, parts[6], payload, qualifier=qualifier)
        except LookupError as missing:
            raise DeliveryFailed("ResourceNotFoundException", str(missing).strip("'\"")) from None
        return
    if service_name == "sqs" and len(parts) >= 6:
        try:
            url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=payload.decode())
        except Exception as exc:  # noqa: BLE001 - a missing queue
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
            raise DeliveryFailed(code, str(exc)) from None
        return
    raise DeliveryFailed(
        "ValidationException", f"the sandbox's Scheduler invokes Lambda functions and SQS queues, not {arn!r}"
    )


def send_dead_letter(queue_arn: str, body: str, attributes: dict[str, str], *, sqs: Any) -> None:
    parts = queue_arn.split(":")
    url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
    sqs.send_message(
        QueueUrl=url,
        MessageBody=body,
        MessageAttributes={name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()},
    )


def describe(firing: Firing) -> str:
    """One line for a lesson: which schedule, for which occurrence, when, and how it ended."""
    scheduled = firing.scheduled_time or firing.time
    line = (
        f"{firing.rule_name}: scheduled {scheduled:%a %d %b %H:%M} UTC, attempt {firing.attempt} at "
        f"{firing.time:%H:%M:%S} → {firing.outcome}"
    )
    return line + (f" ({firing.error})" if firing.error else "")


__all__ = [
    "DeliveryFailed",
    "ScheduleRunner",
    "ScheduleView",
    "context_attributes",
    "describe",
    "flexible_delay",
    "retry_delay",
]
