"""Scheduled rules and Scheduler schedules firing on the sandbox clock: in real time, or as fast as a lesson likes.

The scheduler reads the rules moto holds (scheduled rules live on the default bus), keeps for each one the
instant it last fired (its *cursor*, starting when the schedule was created) and fires every instant that
falls due, in order, with EventBridge's scheduled event (``time`` = the due instant). While the clock
follows the wall clock a thread does this as time passes. :meth:`Scheduler.advance` and
:meth:`Scheduler.run_until` freeze the clock and walk it forward from one due instant to the next, firing
each and, by default, waiting until Lambda has run what was fired before moving on — a week of nightly
jobs in a few seconds, each run seeing its own night. A disabled rule does not fire, and does not catch up
when enabled again. Other sources of due work — EventBridge Scheduler's schedules
(:class:`~lambdalab.triggers.scheduler.runner.ScheduleRunner`) — are walked in the same time order.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from lambdalab.events.eventbridge import scheduled_event
from lambdalab.service.sandbox_clock import SandboxClock, utc
from lambdalab.triggers.eventbridge.schedule import InvalidSchedule, Schedule, parse

#: ``advance`` refuses to fire more than this many times in one call (a ``rate(1 minute)`` over a year).
MAX_FIRINGS_PER_CALL = 20_000
_IDLE_CHECK_S = 0.5


@dataclass(frozen=True)
class Firing:
    """One scheduled rule firing once, or one attempt of a Scheduler schedule to invoke its target.

    For a rule, ``time`` is the due instant and ``event_id`` the event's id. For a schedule
    (``source == "schedule"``), ``rule_name``/``rule_arn`` name the schedule, ``scheduled_time`` is the
    occurrence (what ``<aws.scheduler.scheduled-time>`` says), ``time`` the moment of this attempt (later, in a
    flexible window or a retry), ``event_id`` the execution id, and ``outcome`` one of ``delivered``,
    ``failed`` (to be retried), ``dead-lettered`` or ``dropped`` (retries exhausted, no dead-letter queue).
    """

    rule_name: str
    rule_arn: str
    time: dt.datetime
    event_id: str
    targets: tuple[str, ...]
    source: str = "rule"
    scheduled_time: dt.datetime | None = None
    attempt: int = 1
    outcome: str = "delivered"
    error: str = ""

    @property
    def name(self) -> str:
        return self.rule_name


class DueSource(Protocol):
    """Another kind of scheduled work walked on the same clock (EventBridge Scheduler's schedules)."""

    def next_due(self, until: dt.datetime) -> dt.datetime | None: ...

    def fire(self, when: dt.datetime) -> list[Firing]: ...

    def upcoming(self) -> dt.datetime | None: ...

    def jump(self, now: dt.datetime) -> None: ...

    def forget(self) -> None: ...


class Scheduler:
    """Fires the sandbox's scheduled rules on a :class:`SandboxClock`."""

    def __init__(
        self,
        clock: SandboxClock,
        *,
        rules: Callable[[], list[Any]],
        deliver: Callable[[Any, dict[str, Any]], tuple[str, ...]],
        created: Callable[[Any], dt.datetime | None],
        settle: Callable[[], None],
        region: str,
        account_id: str,
        sources: list[DueSource] | None = None,
    ) -> None:
        self.clock = clock
        self.sources: list[DueSource] = list(sources or [])
        self._rules = rules
        self._deliver = deliver
        self._created = created
        self._settle = settle
        self.region, self.account_id = region, account_id
        self._cursors: dict[tuple[str, str], dt.datetime] = {}
        self._fire_lock = threading.RLock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.firings: list[Firing] = []

    # --- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run_in_real_time, name="lambdalab-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def jump(self, now: dt.datetime) -> None:
        """The clock was set to ``now`` (forward or back): every schedule counts from there, without firing
        what a forward jump skipped — only ``advance`` and ``run_until`` fire."""
        with self._fire_lock:
            self._cursors = {key: now for _, _, key in self._scheduled()}
            for source in self.sources:
                source.jump(now)

    def forget(self) -> None:
        with self._fire_lock:
            self._cursors.clear()
            self.firings.clear()
            for source in self.sources:
                source.forget()

    # --- what is due -----------------------------------------------------------------------------
    def _scheduled(self) -> list[tuple[Any, Schedule, tuple[str, str]]]:
        found = []
        for rule in self._rules():
            expression = getattr(rule, "scheduled_expression", None)
            if not expression:
                continue
            try:
                schedule = parse(expression)
            except InvalidSchedule:
                continue
            found.append((rule, schedule, (rule.arn, expression)))
        return found

    def _cursor(self, rule: Any, key: tuple[str, str]) -> dt.datetime:
        if key not in self._cursors:
            created = self._created(rule)
            self._cursors[key] = utc(created) if created is not None else self.clock.now()
        return self._cursors[key]

    def _next(self, rule: Any, schedule: Schedule, key: tuple[str, str]) -> dt.datetime | None:
        cursor = self._cursor(rule, key)
        anchor = self._created(rule) or cursor
        return schedule.next_after(cursor, utc(anchor))

    def next_due(self, until: dt.datetime) -> tuple[dt.datetime | None, list[tuple[Any, tuple[str, str]]]]:
        """The earliest due instant at or before ``until`` and the enabled rules due then. Disabled rules
        are moved past ``until`` so they never catch up."""
        earliest: dt.datetime | None = None
        due: list[tuple[Any, tuple[str, str]]] = []
        for rule, schedule, key in self._scheduled():
            nxt = self._next(rule, schedule, key)
            if nxt is None or nxt > until:
                continue
            if not str(rule.state or "ENABLED").startswith("ENABLED"):
                self._cursors[key] = until
                continue
            if earliest is None or nxt < earliest:
                earliest, due = nxt, [(rule, key)]
            elif nxt == earliest:
                due.append((rule, key))
        return earliest, due

    def upcoming(self, after: dt.datetime | None = None) -> dt.datetime | None:
        """When the next enabled schedule is due (for the real-time thread and for lessons)."""
        with self._fire_lock:
            moments = [
                self._next(rule, schedule, key)
                for rule, schedule, key in self._scheduled()
                if str(rule.state or "ENABLED").startswith("ENABLED")
            ]
            moments += [source.upcoming() for source in self.sources]
        moments = [m for m in moments if m is not None and (after is None or m > after)]
        return min(moments, default=None)

    # --- firing ----------------------------------------------------------------------------------
    def _fire(self, when: dt.datetime, due: list[tuple[Any, tuple[str, str]]]) -> list[Firing]:
        fired = []
        for rule, key in due:
            self._cursors[key] = when
            event_id = str(uuid.uuid4())
            event = scheduled_event(rule.arn, when, event_id=event_id, region=self.region, account_id=self.account_id)
            targets = self._deliver(rule, event)
            fired.append(Firing(rule.name, rule.arn, when, event_id, targets))
        self.firings.extend(fired)
        return fired

    def fire_due(self, until: dt.datetime, *, wait: bool, step_clock: bool) -> list[Firing]:
        """Fire everything due up to ``until``, in time order (moving a frozen clock to each instant)."""
        fired: list[Firing] = []
        with self._fire_lock:
            while True:
                when, due = self.next_due(until)
                for source in self.sources:
                    moment = source.next_due(when or until)
                    if moment is not None and (when is None or moment < when):
                        when, due = moment, []
                if when is None:
                    return fired
                if len(fired) >= MAX_FIRINGS_PER_CALL:
                    raise RuntimeError(
                        f"more than {MAX_FIRINGS_PER_CALL} firings in one call: advance the clock "
                        "in smaller steps, or disable the rules that fire every minute"
                    )
                if step_clock:
                    self.clock.set(when)
                batch = self._fire(when, due) if due else []
                for source in self.sources:
                    if source.next_due(when) is not None:
                        batch += source.fire(when)
                self.firings.extend(f for f in batch if f.source != "rule")
                if wait and batch:
                    self._settle()
                fired.extend(batch)

    def advance(self, delta: dt.timedelta, *, wait: bool = True) -> list[Firing]:
        """Freeze the clock and move it ``delta`` forward, firing each schedule at its own instant."""
        with self._fire_lock:
            start = self.clock.freeze()
            return self.run_until(start + delta, wait=wait)

    def run_until(self, when: dt.datetime, *, wait: bool = True) -> list[Firing]:
        """Freeze the clock and move it to ``when`` (which must not be in its past), firing on the way."""
        target = utc(when)
        with self._fire_lock:
            now = self.clock.freeze()
            if target < now:
                raise ValueError(f"the clock is at {now.isoformat()}; it cannot run back to {target.isoformat()}")
            fired = self.fire_due(target, wait=wait, step_clock=True)
            self.clock.set(target)
            return fired

    def _run_in_real_time(self) -> None:
        while not self._stopping.is_set():
            if self.clock.frozen:
                self._stopping.wait(_IDLE_CHECK_S)
                continue
            try:
                self.fire_due(self.clock.now(), wait=False, step_clock=False)
                upcoming = self.upcoming()
            except Exception:  # noqa: BLE001 - a sandbox reset mid-pass; look again shortly
                upcoming = None
            pause = _IDLE_CHECK_S
            if upcoming is not None:
                pause = max(0.01, min(_IDLE_CHECK_S, (upcoming - self.clock.now()).total_seconds()))
            self._stopping.wait(pause)
