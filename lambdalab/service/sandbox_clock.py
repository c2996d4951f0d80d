"""The sandbox's clock for schedules: the wall clock by default, or a controlled one a lesson moves.

EventBridge schedules run on time in the sandbox — a ``rate(1 minute)`` rule fires every real minute —
until a lesson takes the clock: :meth:`SandboxClock.freeze` stops it at an instant, and the scheduler's
``advance`` / ``run_until`` move it forward, firing every schedule due on the way at its own instant, so a
week of nightly jobs runs in seconds. :meth:`SandboxClock.resume` lets it follow the wall clock again from
where it stands. Only schedules (and the ``time`` of events put without one) read this clock; S3, SQS and
the functions themselves keep real time, as the learner's machine does.
"""

from __future__ import annotations

import datetime as dt
import threading


def utc(when: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (a naive one is taken to be UTC already)."""
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


class SandboxClock:
    """Wall-clock time shifted by an offset, or frozen at an instant."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = dt.timedelta(0)
        self._frozen_at: dt.datetime | None = None

    def now(self) -> dt.datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return dt.datetime.now(dt.UTC) + self._offset

    @property
    def frozen(self) -> bool:
        with self._lock:
            return self._frozen_at is not None

    def freeze(self, at: dt.datetime | None = None) -> dt.datetime:
        """Stop the clock (at ``at``, or now): from here on only ``advance``/``run_until`` move it."""
        moment = utc(at) if at is not None else self.now()
        with self._lock:
            self._frozen_at = moment
        return moment

    def set(self, when: dt.datetime) -> None:
        """Move a frozen clock to ``when`` (the scheduler does this as it fires each instant)."""
        with self._lock:
            self._frozen_at = utc(when)

    def resume(self) -> dt.datetime:
        """Follow the wall clock again, from the time the clock shows now."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - dt.datetime.now(dt.UTC)
                self._frozen_at = None
            return dt.datetime.now(dt.UTC) + self._offset

    def reset(self) -> None:
        """Back to the wall clock itself (a sandbox reset)."""
        with self._lock:
            self._offset = dt.timedelta(0)
            self._frozen_at = None

