"""EventBridge schedule expressions — ``rate(…)`` and AWS's six-field ``cron(…)`` — and when they fire.

AWS's cron is not Unix cron ("Cron expressions reference",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html): six fields
(minutes hours day-of-month month day-of-week year), day-of-week counts **1-7 from Sunday**, exactly one of
day-of-month and day-of-week must be ``?``, and there are Quartz's ``L`` (last day of the month; with a
weekday, the last such weekday: ``6L`` is the last Friday), ``W`` (the weekday nearest a day of the
month: ``15W``) and ``#`` (the nth weekday: ``2#1`` is the first Monday). All times are UTC.

The calendar arithmetic is croniter's (a maintained library with ``L``, ``W``, ``#`` and a year field):
this module checks an expression with AWS's rules and words, then translates it to croniter's spelling
(day-of-week shifted to 0-6, ``?`` → ``*``, ``nL`` → ``L(n-1)``, a seconds field of 0 before the year).
Not translatable, and refused with a clear message: ``LW`` in day-of-month, and years after 2099.

A rate fires every period from the moment the rule was created (to the minute), as EventBridge does;
``rate(1 day)`` is singular, ``rate(5 days)`` plural, and AWS refuses the other spellings.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from croniter import CroniterBadDateError, croniter

_RATE = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((?P<fields>[^()]*)\)$")
_UNITS = {"minute": dt.timedelta(minutes=1), "hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1)}
_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_DAYS = "SUN|MON|TUE|WED|THU|FRI|SAT"
_NUMBER_OR_MONTH = rf"(\d{{1,2}}|{_MONTHS})"
_NUMBER_OR_DAY = rf"(\d|{_DAYS})"
_FIELDS = ("Minutes", "Hours", "Day-of-month", "Month", "Day-of-week", "Year")
_CRONITER_LAST_YEAR = 2099


class InvalidSchedule(ValueError):
    """A schedule expression EventBridge would refuse (or, rarely, one the local scheduler cannot run)."""


def _utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


@dataclass(frozen=True)
class RateSchedule:
    """``rate(value unit)``: every ``period``, counted from the rule's creation (to the minute)."""

    expression: str
    value: int
    unit: str

    @property
    def period(self) -> dt.timedelta:
        return self.value * _UNITS[self.unit.rstrip("s")]

    def next_after(self, after: dt.datetime, anchor: dt.datetime) -> dt.datetime:
        """The first firing strictly after ``after`` for a rule created at ``anchor``."""
        start = _utc(anchor).replace(second=0, microsecond=0)
        after = _utc(after)
        if after < start:
            return start + self.period
        periods = int((after - start) / self.period) + 1
        return start + periods * self.period


@dataclass(frozen=True)
class CronSchedule:
    """``cron(fields)`` in AWS's syntax, with its croniter translation."""

    expression: str
    fields: tuple[str, ...]
    croniter_expression: str

    def next_after(self, after: dt.datetime, anchor: dt.datetime | None = None) -> dt.datetime | None:
        """The first firing strictly after ``after``, or None when the schedule has no more (a past year)."""
        try:
            return _utc(croniter(self.croniter_expression, _utc(after)).get_next(dt.datetime))
        except CroniterBadDateError:
            return None


Schedule = RateSchedule | CronSchedule


def parse(expression: str) -> Schedule:
    """The schedule for ``expression``, or :class:`InvalidSchedule` saying what AWS would object to."""
    text = expression.strip()
    if match := _RATE.match(text):
        value, unit = int(match["value"]), match["unit"]
        if value < 1:
            raise InvalidSchedule(f"{expression!r}: the rate must be a positive integer")
        if (value == 1) == unit.endswith("s"):
            wanted = unit.rstrip("s") if value == 1 else unit.rstrip("s") + "s"
            raise InvalidSchedule(f"{expression!r}: write rate({value} {wanted}) — a value of 1 takes a singular "
                                  "unit, any other value a plural one")
        return RateSchedule(text, value, unit)
    if match := _CRON.match(text):
        fields = tuple(match["fields"].split())
        if len(fields) != 6:
            raise InvalidSchedule(f"{expression!r}: AWS cron expressions have six fields (Minutes Hours "
                                  f"Day-of-month Month Day-of-week Year), this one has {len(fields)}")
        return CronSchedule(text, fields, _translate(expression, fields))
    raise InvalidSchedule(f"{expression!r}: a schedule is rate(value unit) or cron(six fields)")


def fire_times(expression: str, start: dt.datetime, end: dt.datetime, anchor: dt.datetime | None = None,
               limit: int | None = None) -> list[dt.datetime]:
    """Every firing in ``(start, end]`` — the first ``limit`` of them, if given (for a rate, counted from
    ``anchor``, by default ``start``)."""
    schedule = parse(expression)
    times: list[dt.datetime] = []
    end = _utc(end)
    if isinstance(schedule, CronSchedule):
        iterator = croniter(schedule.croniter_expression, _utc(start))
        while limit is None or len(times) < limit:
            try:
                nxt = _utc(iterator.get_next(dt.datetime))
            except CroniterBadDateError:
                break
            if nxt > end:
                break
            times.append(nxt)
        return times
    cursor = _utc(start)
    while limit is None or len(times) < limit:
        nxt = schedule.next_after(cursor, _utc(anchor or start))
        if nxt > end:
            break
        times.append(nxt)
        cursor = nxt
    return times


# --- AWS cron → croniter -----------------------------------------------------------------------------
def _translate(expression: str, fields: tuple[str, ...]) -> str:
    minutes, hours, dom, month, dow, year = (f.upper() for f in fields)
    if (dom == "?") == (dow == "?"):
        raise InvalidSchedule(f"{expression!r}: exactly one of Day-of-month and Day-of-week must be '?' (use "
                              "'?' in the one you do not restrict)")
    _check(expression, "Minutes", minutes, r"\d{1,2}", 0, 59)
    _check(expression, "Hours", hours, r"\d{1,2}", 0, 23)
    _check(expression, "Month", month, _NUMBER_OR_MONTH, 1, 12)
    _check(expression, "Year", year, r"\d{4}", 1970, 2199)
    if any(int(y) > _CRONITER_LAST_YEAR for y in re.findall(r"\d{4}", year)):
        raise InvalidSchedule(f"{expression!r}: the local scheduler cannot run years after {_CRONITER_LAST_YEAR}")
    return " ".join([minutes, hours, _day_of_month(expression, dom), month, _day_of_week(expression, dow), "0",
                     year])


def _check(expression: str, name: str, field: str, atom: str, low: int, high: int) -> None:
    """``*``, or a comma list of atoms, ranges ``a-b`` and increments ``a/n`` / ``*/n`` within bounds."""
    if field == "*":
        return
    item = rf"(\*|{atom}(-{atom})?)(/\d{{1,3}})?"
    if not re.fullmatch(rf"{item}(,{item})*", field):
        raise InvalidSchedule(f"{expression!r}: {name} field {field!r} is not valid")
    for number in re.findall(r"(?<![/\d])\d+", field):
        if not low <= int(number) <= high:
            raise InvalidSchedule(f"{expression!r}: {name} values are {low}-{high}, not {number}")


def _day_of_month(expression: str, dom: str) -> str:
    if dom in ("?", "*", "L"):
        return "*" if dom == "?" else dom
    if dom == "LW":
        raise InvalidSchedule(f"{expression!r}: 'LW' (last weekday of the month) is not supported by the "
                              "local scheduler")
    if re.fullmatch(r"\d{1,2}W", dom):
        _check(expression, "Day-of-month", dom[:-1], r"\d{1,2}", 1, 31)
        return dom
    _check(expression, "Day-of-month", dom, r"\d{1,2}", 1, 31)
    return dom


def _day_of_week(expression: str, dow: str) -> str:
    if dow in ("?", "*"):
        return "*"
    if dow == "L":
        return "6"  # the last day of the week: Saturday
    if "#" in dow:
        if "," in dow:
            raise InvalidSchedule(f"{expression!r}: with '#', Day-of-week holds a single expression")
        match = re.fullmatch(rf"{_NUMBER_OR_DAY}#([1-5])", dow)
        if not match:
            raise InvalidSchedule(f"{expression!r}: Day-of-week {dow!r} should look like 2#1 (the first Monday)")
        return f"{_weekday(expression, match[1])}#{match[2]}"
    if match := re.fullmatch(rf"{_NUMBER_OR_DAY}L", dow):
        return f"L{_weekday(expression, match[1])}"
    if "/" in dow:
        raise InvalidSchedule(f"{expression!r}: Day-of-week takes no '/' increments")
    items = []
    for item in dow.split(","):
        bounds = item.split("-")
        if len(bounds) > 2 or not all(re.fullmatch(_NUMBER_OR_DAY, b) for b in bounds):
            raise InvalidSchedule(f"{expression!r}: Day-of-week field {dow!r} is not valid (1-7 or SUN-SAT)")
        items.append("-".join(_weekday(expression, b) for b in bounds))
    return ",".join(items)


def _weekday(expression: str, token: str) -> str:
    """AWS's 1-7 (Sunday first) as croniter's 0-6; names are the same in both."""
    if token.isdigit():
        if not 1 <= int(token) <= 7:
            raise InvalidSchedule(f"{expression!r}: Day-of-week values are 1-7 (1 is Sunday), not {token}")
        return str(int(token) - 1)
    return token
