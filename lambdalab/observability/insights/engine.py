"""Running a parsed query over discovered records: the pipeline of commands, in the order written.

Without ``sort``, events come newest first (as in the Insights console); without ``limit``, at most
:data:`MAX_RESULTS` rows come back. ``pct`` uses the nearest-rank percentile over every value (Insights
computes an approximation on large data sets; on a laptop's logs the exact value is the honest answer).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lambdalab.observability.insights.query import (
    Binary,
    Call,
    Dedup,
    Display,
    Duration,
    Expression,
    Field,
    Fields,
    Filter,
    In,
    Like,
    Limit,
    Literal,
    Logical,
    MalformedQuery,
    Not,
    Parse,
    Query,
    Sort,
    Star,
    Stats,
)
from lambdalab.observability.insights.records import Record

MAX_RESULTS = 10_000
_TIMESTAMP_FIELDS = frozenset({"@timestamp", "@ingestionTime"})


class Instant(int):
    """Milliseconds since the epoch that print as Insights prints a time (``2026-12-05 18:00:00.000``)."""

    def __str__(self) -> str:
        return dt.datetime.fromtimestamp(self / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


@dataclass(frozen=True)
class Outcome:
    rows: list[list[dict[str, str]]]
    records_matched: int


def run(query: Query, records: Iterable[Record], limit: int | None = None) -> Outcome:
    """The rows ``query`` returns over ``records``, each a list of ``{"field", "value"}`` as GetQueryResults."""
    rows = [dict(r, **{k: Instant(r[k]) for k in _TIMESTAMP_FIELDS if k in r}) for r in records]
    rows.sort(key=lambda r: r["@timestamp"], reverse=True)
    columns: list[str] | None = None
    matched: int | None = None
    cap = limit or MAX_RESULTS
    for command in query.commands:
        if isinstance(command, Fields):
            for row in rows:
                for item in command.items:
                    value = evaluate(item.expression, row)
                    if value is not None:
                        row[item.name] = value
            columns = _extend(columns, [item.name for item in command.items])
        elif isinstance(command, Filter):
            rows = [row for row in rows if _truthy(evaluate(command.condition, row))]
        elif isinstance(command, Parse):
            for row in rows:
                _parse(command, row)
        elif isinstance(command, Stats):
            matched = len(rows) if matched is None else matched
            rows = _stats(command, rows)
            columns = [g.name for g in command.groups] + [a.name for a in command.aggregates]
        elif isinstance(command, Sort):
            rows = sort_rows(rows, command.keys)
        elif isinstance(command, Limit):
            cap = min(cap, command.count)
            rows = rows[: command.count]
        elif isinstance(command, Dedup):
            seen: set[tuple[Any, ...]] = set()
            unique = []
            for row in rows:
                identity = tuple(row.get(name) for name in command.names)
                if identity not in seen:
                    seen.add(identity)
                    unique.append(row)
            rows = unique
        elif isinstance(command, Display):
            columns = list(command.names)
    matched = len(rows) if matched is None else matched
    shown = columns or ["@timestamp", "@message"]
    return Outcome(
        [
            [{"field": name, "value": _text(row[name])} for name in shown if row.get(name) is not None]
            for row in rows[:cap]
        ],
        matched,
    )


def _extend(columns: list[str] | None, names: list[str]) -> list[str]:
    result = list(columns or [])
    result.extend(name for name in names if name not in result)
    return result


def _text(value: Any) -> str:
    if isinstance(value, Instant):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dict | list):
        import json

        return json.dumps(value)
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _truthy(value: Any) -> bool:
    return value is not None and value is not False and value != "" and value != 0


# --- expressions ----------------------------------------------------------------------------------
def evaluate(expression: Expression, row: Record) -> Any:
    """The value of ``expression`` for one row (``None`` when a field it needs is absent)."""
    if isinstance(expression, Field):
        return row.get(expression.name)
    if isinstance(expression, Literal):
        return expression.value
    if isinstance(expression, Duration):
        return expression.milliseconds
    if isinstance(expression, Logical):
        if expression.operator == "and":
            return all(_truthy(evaluate(o, row)) for o in expression.operands)
        return any(_truthy(evaluate(o, row)) for o in expression.operands)
    if isinstance(expression, Not):
        return not _truthy(evaluate(expression.operand, row))
    if isinstance(expression, Like):
        value = evaluate(expression.operand, row)
        return value is not None and expression.pattern.search(_text(value)) is not None
    if isinstance(expression, In):
        value = evaluate(expression.operand, row)
        return value is not None and any(_equal(value, v) for v in expression.values)
    if isinstance(expression, Binary):
        return _binary(expression.operator, evaluate(expression.left, row), evaluate(expression.right, row))
    if isinstance(expression, Call):
        if expression.function == "bin":
            return _bin(expression, row)
        function = SCALAR_FUNCTIONS.get(expression.function)
        if function is None:
            raise MalformedQuery(
                f"{expression.function}() is not a function this sandbox's Logs Insights knows outside stats", 0, 0
            )
        return function(*[evaluate(a, row) for a in expression.arguments])
    if isinstance(expression, Star):
        return True
    raise TypeError(expression)


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):  # a JSON true matches true, "true" and 1
        flag, other = (left, right) if isinstance(left, bool) else (right, left)
        return _text(other).lower() in (("true", "1", "1.0") if flag else ("false", "0", "0.0"))
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a == b
    return _text(left) == _text(right)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: a % b,
    "^": lambda a, b: a**b,
}


def _binary(operator: str, left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None if operator in _ARITHMETIC else False
    if operator == "=":
        return _equal(left, right)
    if operator == "!=":
        return not _equal(left, right)
    a, b = _number(left), _number(right)
    if operator in _COMPARE:
        if a is not None and b is not None:
            return _COMPARE[operator](a, b)
        return _COMPARE[operator](_text(left), _text(right))
    if a is None or b is None:
        return None
    try:
        return _ARITHMETIC[operator](a, b)
    except (ZeroDivisionError, OverflowError):
        return None


def _bin(call: Call, row: Record) -> Instant | None:
    if len(call.arguments) != 1 or not isinstance(call.arguments[0], Duration):
        raise MalformedQuery("bin() takes one period, such as bin(5m) or bin(1h)", 0, 0)
    timestamp = row.get("@timestamp")
    if timestamp is None:
        return None
    width = int(call.arguments[0].milliseconds)
    return Instant(int(timestamp) // width * width)


def _present(value: Any) -> bool:
    return value is not None


SCALAR_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "ispresent": _present,
    "isempty": lambda v: v is None or _text(v) == "",
    "isblank": lambda v: v is None or _text(v).strip() == "",
    "abs": lambda v: None if _number(v) is None else abs(_number(v)),
    "ceil": lambda v: None if _number(v) is None else float(math.ceil(_number(v))),
    "floor": lambda v: None if _number(v) is None else float(math.floor(_number(v))),
    "strlen": lambda v: None if v is None else float(len(_text(v))),
    "tolower": lambda v: None if v is None else _text(v).lower(),
    "toupper": lambda v: None if v is None else _text(v).upper(),
    "trim": lambda v: None if v is None else _text(v).strip(),
    "concat": lambda *vs: "".join(_text(v) for v in vs if v is not None),
    "coalesce": lambda *vs: next((v for v in vs if v is not None), None),
    "strcontains": lambda v, s: None if v is None or s is None else _text(s) in _text(v),
    "greatest": lambda *vs: max((n for n in map(_number, vs) if n is not None), default=None),
    "least": lambda *vs: min((n for n in map(_number, vs) if n is not None), default=None),
    "fromMillis": lambda v: None if _number(v) is None else Instant(int(_number(v))),
    "toMillis": lambda v: None if _number(v) is None else float(int(_number(v))),
}


# --- parse, stats, sort ---------------------------------------------------------------------------
def _parse(command: Parse, row: Record) -> None:
    source = row.get(command.source)
    if source is None:
        return
    match = command.pattern.search(_text(source))
    if match is None:
        return
    if command.pattern.groupindex:
        values = {name: match.group(name) for name in command.names}
    else:
        values = dict(zip(command.names, match.groups(), strict=True))
    for name, value in values.items():
        if value is not None:
            row[name] = value


def _stats(command: Stats, rows: list[Record]) -> list[Record]:
    groups: dict[tuple[Any, ...], list[Record]] = {}
    for row in rows:
        key = tuple(evaluate(g.expression, row) for g in command.groups)
        groups.setdefault(key, []).append(row)
    if not command.groups and not groups:
        groups[()] = []
    result = []
    for key, members in groups.items():
        out: Record = {g.name: value for g, value in zip(command.groups, key, strict=True)}
        for item in command.aggregates:
            value = _aggregate(item.expression, members)
            if value is not None:
                out[item.name] = value
        result.append(out)
    return result


def _aggregate(expression: Expression, rows: list[Record]) -> Any:
    """An aggregate over ``rows``; arithmetic around aggregates (``sum(x) / count(*)``) works too."""
    if isinstance(expression, Binary):
        return _binary(expression.operator, _aggregate(expression.left, rows), _aggregate(expression.right, rows))
    if isinstance(expression, Literal):
        return expression.value
    if not isinstance(expression, Call):
        raise MalformedQuery("stats needs an aggregation function such as count(*), avg() or pct()", 0, 0)
    name, arguments = expression.function, expression.arguments
    if name == "count":
        if not arguments or isinstance(arguments[0], Star):
            return float(len(rows))
        return float(sum(1 for r in rows if evaluate(arguments[0], r) is not None))
    if not arguments:
        raise MalformedQuery(f"{name}() needs a field, e.g. {name}(@duration)", 0, 0)
    values = [v for v in (evaluate(arguments[0], r) for r in rows) if v is not None]
    if name == "count_distinct":
        return float(len({_text(v) for v in values}))
    if name in ("earliest", "latest"):
        stamped = [(r["@timestamp"], v) for r in rows if (v := evaluate(arguments[0], r)) is not None]
        if not stamped:
            return None
        return (min if name == "earliest" else max)(stamped, key=lambda pair: pair[0])[1]
    numbers = sorted(n for n in map(_number, values) if n is not None)
    if not numbers:
        return None
    if name == "sum":
        return math.fsum(numbers)
    if name == "avg":
        return math.fsum(numbers) / len(numbers)
    if name == "min":
        return numbers[0]
    if name == "max":
        return numbers[-1]
    if name == "stddev":
        return statistics.stdev(numbers) if len(numbers) > 1 else 0.0
    if name in ("pct", "percentile"):
        if len(arguments) != 2 or not isinstance(arguments[1], Literal) or _number(arguments[1].value) is None:
            raise MalformedQuery(f"{name}() takes a field and a percentile, e.g. pct(@duration, 99)", 0, 0)
        percentile = float(arguments[1].value)
        if not 0 <= percentile <= 100:
            raise MalformedQuery(f"{name}() takes a percentile from 0 to 100, not {percentile:g}", 0, 0)
        rank = max(1, math.ceil(percentile / 100 * len(numbers)))
        return numbers[rank - 1]
    raise MalformedQuery(f"{name}() is not an aggregation function this sandbox's Logs Insights knows", 0, 0)


def _sort_key(expression: Expression, descending: bool) -> Callable[[Record], Any]:
    """AWS's natural order: text before numbers, numbers by value, text chunk by chunk (runs of digits by
    length, then value); missing values last whichever the order (CWL_QuerySyntax-Sort)."""

    def compare(left: Any, right: Any) -> int:
        if left is None or right is None:
            missing = (left is None) - (right is None)
            return -missing if descending else missing  # sorted(reverse=True) flips it back: last either way
        return _natural(left, right)

    return functools.cmp_to_key(compare)  # type: ignore[return-value]


def sort_rows(rows: list[Record], keys: tuple[Any, ...]) -> list[Record]:
    for key in reversed(keys):
        extract = _sort_key(key.expression, key.descending)
        rows = sorted(rows, key=lambda row, e=key.expression, k=extract: k(evaluate(e, row)), reverse=key.descending)
    return rows


_CHUNKS = re.compile(r"\d+|\D+")


def _natural(left: Any, right: Any) -> int:
    a_number, b_number = _is_number_value(left), _is_number_value(right)
    if a_number != b_number:
        return 1 if a_number else -1  # every non-number value comes before every number value
    if a_number:
        a, b = _number(left), _number(right)
        return (a > b) - (a < b)
    for a_chunk, b_chunk in zip(_CHUNKS.findall(_text(left)), _CHUNKS.findall(_text(right)), strict=False):
        if a_chunk.isdigit() and b_chunk.isdigit():
            a_key, b_key = (len(a_chunk), int(a_chunk)), (len(b_chunk), int(b_chunk))
        else:
            a_key, b_key = a_chunk, b_chunk
        if a_key != b_key:
            return -1 if a_key < b_key else 1
    a_text, b_text = _text(left), _text(right)
    return (len(a_text) > len(b_text)) - (len(a_text) < len(b_text))


def _is_number_value(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return _number(value) is not None and re.fullmatch(r"-?\d+(\.\d+)?", str(value)) is not None
