"""Checks a parsed query before it runs, so a mistake is a MalformedQueryException at StartQuery, not a
failed query later: unknown functions, aggregates outside ``stats``, ``bin()`` without a period, and
``pct()`` without a percentile."""

from __future__ import annotations

from lambdalab.observability.insights.engine import SCALAR_FUNCTIONS
from lambdalab.observability.insights.query import (
    AGGREGATES,
    Binary,
    Call,
    Duration,
    Expression,
    Fields,
    Filter,
    In,
    Like,
    Literal,
    Logical,
    MalformedQuery,
    Named,
    Not,
    Query,
    Sort,
    Stats,
)


def validate(query: Query) -> None:
    for command in query.commands:
        if isinstance(command, Fields):
            for item in command.items:
                _check(item.expression, item, aggregates_allowed=False)
        elif isinstance(command, Filter):
            _check(command.condition, None, aggregates_allowed=False)
        elif isinstance(command, Sort):
            for key in command.keys:
                _check(key.expression, None, aggregates_allowed=False)
        elif isinstance(command, Stats):
            for item in command.aggregates:
                _check(item.expression, item, aggregates_allowed=True)
            for item in command.groups:
                _check(item.expression, item, aggregates_allowed=False)


def _fail(message: str, where: Named | Call | None) -> MalformedQuery:
    if where is None:
        return MalformedQuery(message, 0, 0)
    return MalformedQuery(f"{message} (at position {where.start + 1})", where.start, where.end)


def _check(expression: Expression, where: Named | None, *, aggregates_allowed: bool) -> None:
    if isinstance(expression, Call):
        name, where = expression.function, expression

        if name in AGGREGATES:
            if not aggregates_allowed:
                raise _fail(f"{name}() is an aggregation function: use it in stats", where)
            if name in ("pct", "percentile") and (
                len(expression.arguments) != 2 or not isinstance(expression.arguments[1], Literal)
            ):
                raise _fail(f"{name}() takes a field and a percentile, e.g. pct(@duration, 99)", where)
            if name != "count" and not expression.arguments:
                raise _fail(f"{name}() needs a field, e.g. {name}(@duration)", where)
        elif name == "bin":
            if len(expression.arguments) != 1 or not isinstance(expression.arguments[0], Duration):
                raise _fail("bin() takes one period, such as bin(5m) or bin(1h)", where)
            return
        elif name not in SCALAR_FUNCTIONS:
            raise _fail(f"unknown function {name}()", where)
        for argument in expression.arguments:
            _check(argument, where, aggregates_allowed=False)
    elif isinstance(expression, Binary):
        _check(expression.left, where, aggregates_allowed=aggregates_allowed)
        _check(expression.right, where, aggregates_allowed=aggregates_allowed)
    elif isinstance(expression, Logical):
        for operand in expression.operands:
            _check(operand, where, aggregates_allowed=aggregates_allowed)
    elif isinstance(expression, Not | Like | In):
        _check(expression.operand, where, aggregates_allowed=aggregates_allowed)
