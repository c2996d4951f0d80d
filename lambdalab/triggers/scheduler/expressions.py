"""EventBridge Scheduler's schedule expressions — ``rate()``, ``cron()``, ``at()`` — in a time zone.

"Schedule types in EventBridge Scheduler" (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html,
checked December 2026):

- ``rate(value unit)`` starts at ``StartDate`` (or, without one, as soon as the schedule exists) and repeats
  every period until ``EndDate``; a day is 24 hours of elapsed time, whatever the time zone does.
- ``cron(fields)`` is the same six-field cron as EventBridge rules (:mod:`.schedule`), evaluated on the wall
  clock of ``ScheduleExpressionTimezone`` (an IANA name, UTC by default). Daylight saving time: when clocks
  spring forward, an invocation that falls on a wall-clock time that does not exist that day is skipped; when
  they fall back, a time that occurs twice runs once (the first time).
- ``at(yyyy-mm-ddThh:mm:ss)`` invokes once, at that wall-clock time in the schedule's time zone;
  ``StartDate`` and ``EndDate`` do not apply to it.

A schedule's occurrences are computed here as UTC instants; when they are delivered (flexible windows,
retries) is the runner's business (:mod:`.runner`).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from croniter import CroniterBadDateError, croniter

from lambdalab.triggers.eventbridge.schedule import CronSchedule, InvalidSchedule, RateSchedule
from lambdalab.triggers.eventbridge.schedule import parse as parse_rule_expression

_AT = re.compile(r"^at\((?P<when>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
#: A safety net for a cron that never matches again inside the time zone's gaps (never reached in practice).
_MAX_SKIPS = 1000


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The IANA time zone ``name`` (UTC when empty), or :class:`InvalidSchedule`."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidSchedule(
            f"Invalid ScheduleExpressionTimezone {name!r}: use an IANA time zone name such as "
            "'Europe/Paris' or 'America/New_York'"
        ) from None


def wall_clock_to_utc(local: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a naive wall-clock time in ``tz``: None if that time does not exist (the hour
    skipped when clocks spring forward); the first of the two when it occurs twice (clocks fall back)."""
    instant = local.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local:
        return None
    return instant


@dataclass(frozen=True)
class SchedulerExpression:
    """A parsed ``ScheduleExpression`` with its time zone."""

    expression: str
    kind: str  # "rate", "cron" or "at"
    timezone: str
    rule: RateSchedule | CronSchedule | None = None
    at: dt.datetime | None = None  # the UTC instant of a one-time schedule

    @property
    def one_time(self) -> bool:
        return self.kind == "at"

    def first_after(
        self,
        after: dt.datetime,
        *,
        anchor: dt.datetime,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        inclusive: bool = False,
    ) -> dt.datetime | None:
        """The first occurrence after ``after`` (at or after, with ``inclusive``), within ``[start, end)``;
        ``anchor`` is when a rate starts without a ``StartDate`` (the schedule's creation). None: no more."""
        after = after.astimezone(dt.UTC)
        if self.kind == "at":
            assert self.at is not None
            return self.at if (self.at > after or (inclusive and self.at == after)) else None
        if start is not None and after < start:
            after, inclusive = start, True
        found = (
            self._rate_after(after, start or anchor, inclusive)
            if self.kind == "rate"
            else (self._cron_after(after, inclusive))
        )
        if found is None or (end is not None and found >= end):
            return None
        return found

    def _rate_after(self, after: dt.datetime, anchor: dt.datetime, inclusive: bool) -> dt.datetime:
        assert isinstance(self.rule, RateSchedule)
        period = self.rule.period
        anchor = anchor.astimezone(dt.UTC)
        if after < anchor or (inclusive and after == anchor):
            return anchor
        steps = int((after - anchor) / period)
        candidate = anchor + steps * period
        while candidate < after or (candidate == after and not inclusive):
            candidate += period
        return candidate

    def _cron_after(self, after: dt.datetime, inclusive: bool) -> dt.datetime | None:
        assert isinstance(self.rule, CronSchedule)
        tz = zone(self.timezone)
        start_local = after.astimezone(tz).replace(tzinfo=None)
        if inclusive:
            start_local -= dt.timedelta(seconds=1)
        iterator = croniter(self.rule.croniter_expression, start_local)
        for _ in range(_MAX_SKIPS):
            try:
                local = iterator.get_next(dt.datetime)
            except CroniterBadDateError:
                return None
            instant = wall_clock_to_utc(local, tz)
            if instant is None:  # spring forward: this wall-clock time does not exist today
                continue
            if instant > after or (inclusive and instant == after):
                return instant
            # fall back: the second pass through a repeated hour was already run the first time
        return None


def parse(expression: str, timezone: str | None = None) -> SchedulerExpression:
    """A Scheduler expression, or :class:`InvalidSchedule` saying what is wrong with it."""
    text = (expression or "").strip()
    tz_name = timezone or "UTC"
    tz = zone(tz_name)
    if match := _AT.match(text):
        try:
            local = dt.datetime.fromisoformat(match["when"])
        except ValueError:
            raise InvalidSchedule(
                f"Invalid Schedule Expression {expression!r}: {match['when']} is not a date and time"
            ) from None
        instant = wall_clock_to_utc(local, tz) or local.replace(tzinfo=tz, fold=1).astimezone(dt.UTC)
        return SchedulerExpression(text, "at", tz_name, at=instant)
    if text.startswith("at("):
        raise InvalidSchedule(
            f"Invalid Schedule Expression {expression!r}: a one-time schedule is "
            "at(yyyy-mm-ddThh:mm:ss), for example at(2025-03-30T02:30:00)"
        )
    try:
        rule = parse_rule_expression(text)
    except InvalidSchedule as exc:
        raise InvalidSchedule(
            f"Invalid Schedule Expression {exc}; a schedule is rate(value unit), cron(six fields) "
            "or at(yyyy-mm-ddThh:mm:ss)"
        ) from None
    kind = "rate" if isinstance(rule, RateSchedule) else "cron"
    return SchedulerExpression(text, kind, tz_name, rule=rule)
