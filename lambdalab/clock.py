"""The sandbox clock that EventBridge schedules run on: freeze it, move it, and watch the schedules fire.

::

    import datetime as dt
    from lambdalab import clock

    clock.freeze(dt.datetime(2025, 3, 3, tzinfo=dt.UTC))   # Monday 00:00 UTC
    fired = clock.advance(dt.timedelta(days=7))            # a week of cron(0 2 * * ? *) in seconds
    [f.time for f in fired]                                # each night's 02:00, in order
    clock.resume()                                         # follow the wall clock again

``advance`` and ``run_until`` fire every EventBridge Scheduler schedule and every scheduled rule at its own
instant, in order — a schedule with its target's ``Input`` (``<aws.scheduler.scheduled-time>`` replaced by
the occurrence), a rule with the event EventBridge would send (``time`` is that instant) — and by default
wait for Lambda to run each firing before moving on. Each returns the :class:`Firing` records of what it did
(a schedule's late deliveries in a flexible window, its retries and dead-lettered events included). Until
the clock is frozen, schedules fire in real time.
"""

from __future__ import annotations

import datetime as dt

from lambdalab.triggers.eventbridge import EventBridgeTrigger
from lambdalab.triggers.eventbridge.timeline import Firing

__all__ = ["Firing", "advance", "freeze", "frozen", "now", "resume", "run_until", "settle", "upcoming"]


def _trigger() -> EventBridgeTrigger:
    """The EventBridge trigger of the running sandbox (starting the sandbox if needed)."""
    from lambdalab.aws_sandbox import sandbox

    return sandbox().trigger(EventBridgeTrigger)


def now() -> dt.datetime:
    """The sandbox's time (UTC)."""
    return _trigger().clock.now()


def frozen() -> bool:
    return _trigger().clock.frozen


def freeze(at: dt.datetime | None = None) -> dt.datetime:
    """Stop the clock at ``at`` (UTC; naive means UTC) or where it is; returns the time it shows."""
    return _trigger().freeze(at)


def advance(delta: dt.timedelta, *, wait: bool = True) -> list[Firing]:
    """Move the (frozen) clock ``delta`` forward, firing every schedule due on the way."""
    return _trigger().scheduler.advance(delta, wait=wait)


def run_until(when: dt.datetime, *, wait: bool = True) -> list[Firing]:
    """Move the (frozen) clock to ``when``, firing every schedule due on the way."""
    return _trigger().scheduler.run_until(when, wait=wait)


def upcoming() -> dt.datetime | None:
    """When the next enabled schedule will fire."""
    return _trigger().scheduler.upcoming()


def resume() -> dt.datetime:
    """Let the clock follow the wall clock again, from where it stands."""
    return _trigger().clock.resume()


def settle(timeout: float = 60.0) -> bool:
    """Wait until Lambda has run every asynchronous invocation handed to it (the targets of ``PutEvents``
    rules, for instance; ``advance`` and ``run_until`` already wait for the schedules they fire)."""
    return _trigger().settle(timeout)
