"""CloudWatch metric math on time series: the expressions an error-rate alarm or a dashboard line uses.

``GetMetricData`` and metric alarms accept ``Expression`` queries that combine other queries by their ``Id``
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html, checked December
2026). The part production alarms rely on is evaluated here, on series keyed by period start:

- arithmetic ``+ - * /`` and comparisons ``> < >= <= == !=`` (1 when true, 0 when false) between series and
  numbers; two series combine only where both have a datapoint (a period one of them lacks stays missing,
  which is why ``FILL`` exists);
- ``FILL(m, value)`` puts ``value`` in every period of the query's range that ``m`` lacks;
- ``IF(condition, a[, b])``: ``a`` where the condition is non-zero, else ``b`` (or missing without it);
- ``ABS``, ``MIN``/``MAX``/``SUM``/``AVG`` of one series (a number, broadcast to every period).

An expression is parsed with Python's ``ast`` and only these forms are accepted: anything else is refused
with CloudWatch's ``ValidationError`` wording, never evaluated. Where the sandbox simplifies: division by zero
leaves the period missing, and the rest of the function library (``METRICS()``, ``SEARCH``, ``ANOMALY_DETECTION_BAND``,
``RATE``...) is refused rather than approximated.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping, Sequence

Series = dict[float, float]
Value = Series | float

_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE: dict[type, Callable[[float, float], bool]] = {
    ast.Gt: operator.gt,
    ast.Lt: operator.lt,
    ast.GtE: operator.ge,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "MIN": min,
    "MAX": max,
    "SUM": sum,
    "AVG": lambda values: sum(values) / len(values),
}


class MetricMathError(ValueError):
    """An expression CloudWatch would refuse, or one the sandbox does not evaluate; the message says which."""


def evaluate(expression: str, series: Mapping[str, Series], grid: Sequence[float]) -> Series:
    """The time series ``expression`` gives over ``grid`` (the period starts of the query's range)."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise MetricMathError(f"Error in expression '{expression}': it could not be parsed ({exc.msg})") from None
    value = _eval(tree.body, expression, series, grid)
    return _broadcast(value, grid)


def _eval(node: ast.AST, expression: str, series: Mapping[str, Series], grid: Sequence[float]) -> Value:
    def recurse(child: ast.AST) -> Value:
        return _eval(child, expression, series, grid)

    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in series:
            known = ", ".join(sorted(series)) or "none"
            raise MetricMathError(
                f"Error in expression '{expression}': Unrecognized identifier '{node.id}' (the query ids are {known})"
            )
        return series[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _combine(-1.0, recurse(node.operand), operator.mul)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _combine(recurse(node.left), recurse(node.right), _BINARY[type(node.op)])
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        test = _COMPARE[type(node.ops[0])]
        return _combine(recurse(node.left), recurse(node.comparators[0]), lambda a, b: 1.0 if test(a, b) else 0.0)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return _call(node.func.id.upper(), [recurse(arg) for arg in node.args], expression, grid)
    raise MetricMathError(
        f"Error in expression '{expression}': '{ast.unparse(node)}' is not metric math the sandbox evaluates "
        "(use query ids, numbers, + - * /, comparisons, IF, FILL, ABS, MIN, MAX, SUM, AVG)"
    )


def _call(name: str, args: list[Value], expression: str, grid: Sequence[float]) -> Value:
    if name == "FILL" and len(args) == 2 and isinstance(args[0], dict) and isinstance(args[1], float):
        filled = dict.fromkeys(grid, args[1])
        filled.update(args[0])
        return filled
    if name == "IF" and len(args) in (2, 3):
        condition = _broadcast(args[0], grid)
        when_true = _broadcast(args[1], grid)
        when_false = _broadcast(args[2], grid) if len(args) == 3 else {}
        result: Series = {}
        for t, c in condition.items():
            chosen = when_true if c != 0 else when_false
            if t in chosen:
                result[t] = chosen[t]
        return result
    if name == "ABS" and len(args) == 1:
        return _combine(args[0], 0.0, lambda a, _: abs(a))
    if name in _REDUCERS and len(args) == 1 and isinstance(args[0], dict):
        values = list(args[0].values())
        return _REDUCERS[name](values) if values else {}
    raise MetricMathError(
        f"Error in expression '{expression}': the function {name} with {len(args)} arguments "
        "is not evaluated by the sandbox"
    )


def _combine(left: Value, right: Value, op: Callable[[float, float], float]) -> Value:
    if isinstance(left, float) and isinstance(right, float):
        return _apply(op, left, right)
    if isinstance(left, float):
        assert isinstance(right, dict)
        return _drop_missing({t: _apply(op, left, v) for t, v in right.items()})
    if isinstance(right, float):
        return _drop_missing({t: _apply(op, v, right) for t, v in left.items()})
    return _drop_missing({t: _apply(op, v, right[t]) for t, v in left.items() if t in right})


def _apply(op: Callable[[float, float], float], a: float, b: float) -> float:
    try:
        return float(op(a, b))
    except ZeroDivisionError:
        return float("nan")


def _drop_missing(values: dict[float, float]) -> Series:
    return {t: v for t, v in values.items() if v == v}  # NaN (a division by zero) is a missing period


def _broadcast(value: Value, grid: Sequence[float]) -> Series:
    if isinstance(value, dict):
        return dict(sorted(value.items()))
    return {} if value != value else dict.fromkeys(grid, value)
