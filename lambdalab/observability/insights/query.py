"""A Logs Insights query, parsed: the pipeline of commands a query string asks for, as frozen data.

The grammar (:mod:`.grammar`) follows AWS's query syntax page; lark reports where a query stops making
sense, and :class:`MalformedQuery` carries that place so the sandbox answers as Insights does, with
``MalformedQueryException`` and the position of the offending text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from lambdalab.observability.insights.grammar import GRAMMAR

#: Units ``bin()`` and ``datefloor()`` accept, in milliseconds (CWL_QuerySyntax-operations-functions).
DURATION_UNITS_MS = {
    "ms": 1,
    "s": 1_000,
    "m": 60_000,
    "min": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 7 * 86_400_000,
    "mo": 30 * 86_400_000,
    "q": 91 * 86_400_000,
    "y": 365 * 86_400_000,
}


class MalformedQuery(ValueError):
    """The query cannot be run; ``start``/``end`` locate the offending text (0-based character offsets)."""

    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end


# --- expressions ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Literal:
    value: str | float


@dataclass(frozen=True)
class Duration:
    milliseconds: float
    text: str


@dataclass(frozen=True)
class Star:
    """The ``*`` of ``count(*)``."""


@dataclass(frozen=True)
class Call:
    function: str
    arguments: tuple[Expression, ...]
    start: int = field(default=0, compare=False)  # where it is written (for error messages)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Binary:
    operator: str  # arithmetic or comparison: + - * / % ^ = != < <= > >=
    left: Expression
    right: Expression


@dataclass(frozen=True)
class Logical:
    operator: str  # "and" | "or"
    operands: tuple[Expression, ...]


@dataclass(frozen=True)
class Not:
    operand: Expression


@dataclass(frozen=True)
class Like:
    operand: Expression
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class In:
    operand: Expression
    values: tuple[str | float, ...]


Expression = Field | Literal | Duration | Star | Call | Binary | Logical | Not | Like | In


@dataclass(frozen=True)
class Named:
    """An expression and the column it makes: its alias, or the expression as written."""

    expression: Expression
    name: str
    start: int = 0  # where it is written in the query (for error messages)
    end: int = 0


# --- commands -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fields:
    items: tuple[Named, ...]


@dataclass(frozen=True)
class Display:
    names: tuple[str, ...]


@dataclass(frozen=True)
class Filter:
    condition: Expression


@dataclass(frozen=True)
class Stats:
    aggregates: tuple[Named, ...]
    groups: tuple[Named, ...]


@dataclass(frozen=True)
class SortKey:
    expression: Expression
    descending: bool


@dataclass(frozen=True)
class Sort:
    keys: tuple[SortKey, ...]


@dataclass(frozen=True)
class Limit:
    count: int


@dataclass(frozen=True)
class Parse:
    source: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]


@dataclass(frozen=True)
class Dedup:
    names: tuple[str, ...]


Command = Fields | Display | Filter | Stats | Sort | Limit | Parse | Dedup


@dataclass(frozen=True)
class Query:
    text: str
    commands: tuple[Command, ...]


AGGREGATES = frozenset(
    {"count", "count_distinct", "sum", "avg", "min", "max", "pct", "percentile", "stddev", "earliest", "latest"}
)


@functools.cache
def _parser() -> Lark:
    return Lark(GRAMMAR, start="query", parser="lalr", propagate_positions=True, maybe_placeholders=True)


def parse_query(text: str) -> Query:
    """Parse ``text`` into a :class:`Query`, or raise :class:`MalformedQuery` saying where it goes wrong."""
    if not text.strip():
        raise MalformedQuery("The query is empty: write at least one command, e.g. fields @timestamp, @message", 0, 0)
    try:
        tree = _parser().parse(text)
        return Query(text, tuple(_Build(text).transform(tree).children))
    except UnexpectedInput as error:
        raise _malformed(text, error) from None
    except VisitError as error:
        if isinstance(error.orig_exc, MalformedQuery):
            raise error.orig_exc from None
        raise


def _malformed(text: str, error: UnexpectedInput) -> MalformedQuery:
    position = getattr(error, "pos_in_stream", None)
    position = len(text) if position is None else position
    line, column = getattr(error, "line", 1), getattr(error, "column", position + 1)
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        return MalformedQuery(
            f"unexpected end of query at line {line} and position {column}: a command or expression is incomplete",
            len(text),
            len(text),
        )
    if isinstance(error, UnexpectedToken):
        symbol = str(error.token)
        return MalformedQuery(
            f"unexpected symbol found {symbol} at line {line} and position {column}", position, position + len(symbol)
        )
    if isinstance(error, UnexpectedCharacters):
        symbol = text[position] if position < len(text) else ""
        return MalformedQuery(
            f"unexpected symbol found {symbol} at line {line} and position {column}", position, position + 1
        )
    return MalformedQuery(f"the query cannot be parsed at line {line} and position {column}", position, position)


def _unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _regex(token: Token) -> re.Pattern[str]:
    """``/…/flags`` as a Python pattern: ``(?<name>…)`` groups become Python's ``(?P<name>…)``."""
    text = str(token)
    end = text.rindex("/")
    body, flags = text[1:end].replace("\\/", "/"), text[end + 1 :]
    body = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", body)
    try:
        return re.compile(body, re.IGNORECASE if "i" in flags else 0)
    except re.error as error:
        start = token.start_pos or 0
        raise MalformedQuery(
            f"invalid regular expression {text} at position {start + 1}: {error}", start, start + len(text)
        ) from None


def _glob(token: Token) -> re.Pattern[str]:
    """A ``parse`` glob: each ``*`` captures (the last one greedily), the rest is matched literally."""
    parts = _unquote(str(token)).split("*")
    pattern = ""
    for index, part in enumerate(parts):
        pattern += re.escape(part)
        if index < len(parts) - 1:
            pattern += "(.*)" if index == len(parts) - 2 and parts[-1] == "" else "(.*?)"
    return re.compile(pattern, re.DOTALL)


@v_args(inline=True)
class _Build(Transformer):
    """lark's tree → the frozen dataclasses above; column names are the expressions as written."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def _source(self, tree: object) -> str:
        meta = getattr(tree, "meta", None)
        if meta is not None and not meta.empty:
            return " ".join(self._text[meta.start_pos : meta.end_pos].split())
        return str(tree)

    # expressions
    def number(self, token: Token) -> Literal:
        return Literal(float(token))

    def negative_number(self, token: Token) -> Literal:
        return Literal(-float(token))

    def string(self, token: Token) -> Literal:
        return Literal(_unquote(str(token)))

    def duration(self, token: Token) -> Duration:
        match = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]+)", str(token))
        assert match is not None
        return Duration(float(match[1]) * DURATION_UNITS_MS[match[2]], str(token))

    def field(self, token: Token) -> Field:
        name = str(token)
        return Field(name[1:-1] if name.startswith("`") else name)

    @v_args(meta=True)
    def call(self, meta: object, children: list[object]) -> Call:
        name, *arguments = children
        values = tuple(Star() if isinstance(a, Token) and a.type == "STAR" else a for a in arguments if a is not None)
        return Call(str(name), values, meta.start_pos, meta.end_pos)

    def arithmetic(self, left: Expression, operator: Token, right: Expression) -> Binary:
        return Binary(str(operator), left, right)

    def compare(self, left: Expression, operator: Token, right: Expression) -> Binary:
        return Binary(str(operator), left, right)

    def negate(self, operand: Expression) -> Binary:
        return Binary("-", Literal(0.0), operand)

    def or_(self, *operands: Expression) -> Logical:
        return Logical("or", operands)

    def and_(self, *operands: Expression) -> Logical:
        return Logical("and", operands)

    def not_(self, operand: Expression) -> Not:
        return Not(operand)

    def like(self, operand: Expression, pattern: Token) -> Like:
        if pattern.type == "REGEX":
            return Like(operand, _regex(pattern))
        return Like(operand, re.compile(re.escape(_unquote(str(pattern)))))

    def not_like(self, operand: Expression, pattern: Token) -> Not:
        return Not(self.like(operand, pattern))

    def list(self, *values: Literal | None) -> tuple[str | float, ...]:
        return tuple(v.value for v in values if v is not None)

    def in_(self, operand: Expression, values: tuple[str | float, ...]) -> In:
        return In(operand, values)

    def not_in(self, operand: Expression, values: tuple[str | float, ...]) -> Not:
        return Not(In(operand, values))

    # commands
    @v_args(meta=True)
    def named(self, meta: object, children: list[object]) -> Named:
        expression, alias = children
        start, end = meta.start_pos, meta.end_pos
        if alias is not None:
            return Named(expression, str(alias), start, end)
        if isinstance(expression, Field):
            return Named(expression, expression.name, start, end)
        return Named(expression, " ".join(self._text[start:end].split()), start, end)

    def fields(self, *items: Named) -> Fields:
        return Fields(items)

    def display(self, *names: Field) -> Display:
        return Display(tuple(n.name for n in names))

    def filter(self, condition: Expression) -> Filter:
        return Filter(condition)

    def stats(self, *children: object) -> Stats:
        aggregates: list[Named] = []
        groups: list[Named] = []
        target = aggregates
        for child in children:
            if isinstance(child, Token) and child.type == "BY":
                target = groups
            elif isinstance(child, Named):
                target.append(child)
        for item in aggregates:
            if not _has_aggregate(item.expression):
                raise MalformedQuery(
                    f"stats needs an aggregation function such as count(*), avg() or pct(); "
                    f"{item.name!r} at position {item.start + 1} is not one",
                    item.start,
                    item.end,
                )
        return Stats(tuple(aggregates), tuple(groups))

    def sort_key(self, expression: Expression, order: Token | None) -> SortKey:
        if isinstance(expression, Call) and expression.function in AGGREGATES:
            # ``sort count(*) desc`` after stats sorts by the column that aggregate made
            expression = Field(" ".join(self._text[expression.start : expression.end].split()))
        return SortKey(expression, order is not None and str(order) == "desc")

    def sort(self, *keys: SortKey) -> Sort:
        return Sort(keys)

    def limit(self, count: Token) -> Limit:
        value = int(count)
        if not 1 <= value <= 10_000:
            raise MalformedQuery(
                f"limit must be between 1 and 10000, not {value}",
                count.start_pos or 0,
                (count.start_pos or 0) + len(count),
            )
        return Limit(value)

    def glob_pattern(self, pattern: Token, *names: Token) -> tuple[re.Pattern[str], tuple[str, ...]]:
        compiled = _glob(pattern)
        if compiled.groups != len(names):
            start = pattern.start_pos or 0
            raise MalformedQuery(
                f"parse pattern {pattern} has {compiled.groups} wildcards (*) but {len(names)} "
                "names after as: give one name per *",
                start,
                start + len(pattern),
            )
        return compiled, tuple(str(n) for n in names)

    def parse(self, source: Field | None, pattern: object) -> Parse:
        field_name = source.name if source is not None else "@message"
        if isinstance(pattern, Token):
            compiled = _regex(pattern)
            names = tuple(compiled.groupindex)
            if not names:
                start = pattern.start_pos or 0
                raise MalformedQuery(
                    f"parse regular expression {pattern} names no field: use (?<name>...) groups",
                    start,
                    start + len(pattern),
                )
            return Parse(field_name, compiled, names)
        compiled, names = pattern  # type: ignore[misc]
        return Parse(field_name, compiled, names)

    def dedup(self, *names: Field) -> Dedup:
        return Dedup(tuple(n.name for n in names))

    def query(self, *commands: Command) -> Tree:
        return Tree("query", list(commands))


def _has_aggregate(expression: Expression) -> bool:
    if isinstance(expression, Call):
        return expression.function in AGGREGATES or any(_has_aggregate(a) for a in expression.arguments)
    if isinstance(expression, Binary):
        return _has_aggregate(expression.left) or _has_aggregate(expression.right)
    return False
