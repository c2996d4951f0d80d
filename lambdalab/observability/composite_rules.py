"""A composite alarm's ``AlarmRule``: parsed (lark) and evaluated against its children's states.

The syntax is AWS's (PutCompositeAlarm, checked December 2026,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html): the functions
``ALARM(x)``, ``OK(x)`` and ``INSUFFICIENT_DATA(x)`` (true when alarm ``x`` -- a name or an ARN, in double
quotes or not -- is in that state), the constants ``TRUE`` and ``FALSE``, the operators ``NOT``, ``AND`` and
``OR`` (AND binding tighter, as usual; AWS's page does not say) and parentheses; at most 10,240 characters.
CloudWatch refuses a rule it cannot read with a ValidationError that names the token and where it is
(``Error in AlarmRule [Unsupported token ')' at char 1]``); :class:`AlarmRuleError` carries that message.
``AT_LEAST`` (November 2025) is not supported here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

MAX_RULE_LENGTH = 10_240
STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr ("OR" and_expr)*  -> any_of
?and_expr: not_expr ("AND" not_expr)*  -> all_of
?not_expr: "NOT" not_expr  -> negate
         | atom
?atom: STATE "(" alarm ")"  -> state_of
     | "TRUE"  -> true
     | "FALSE"  -> false
     | "(" or_expr ")"
alarm: QUOTED | BARE
STATE.2: "ALARM" | "OK" | "INSUFFICIENT_DATA"
QUOTED: /"[^"]+"/
BARE: /[^\s()"]+/
%import common.WS
%ignore WS
"""


class AlarmRuleError(ValueError):
    """An AlarmRule CloudWatch would refuse; ``str()`` is CloudWatch's message."""


@dataclass(frozen=True)
class StateOf:
    """``ALARM(x)`` and friends: true when alarm ``alarm`` is in ``state``."""

    state: str
    alarm: str


@dataclass(frozen=True)
class Constant:
    value: bool


@dataclass(frozen=True)
class Not:
    operand: Rule


@dataclass(frozen=True)
class AllOf:
    operands: tuple[Rule, ...]


@dataclass(frozen=True)
class AnyOf:
    operands: tuple[Rule, ...]


Rule = StateOf | Constant | Not | AllOf | AnyOf


@v_args(inline=True)
class _ToRule(Transformer):
    def any_of(self, *operands: Rule) -> Rule:
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def all_of(self, *operands: Rule) -> Rule:
        return operands[0] if len(operands) == 1 else AllOf(tuple(operands))

    def negate(self, operand: Rule) -> Rule:
        return Not(operand)

    def state_of(self, state: Token, alarm: str) -> Rule:
        return StateOf(str(state), alarm)

    def true(self) -> Rule:
        return Constant(True)

    def false(self) -> Rule:
        return Constant(False)

    def alarm(self, token: Token) -> str:
        text = str(token)
        return text[1:-1] if text.startswith('"') else text


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


def parse_rule(text: str) -> Rule:
    """The rule in ``text``, or :class:`AlarmRuleError` with CloudWatch's message."""
    if len(text) > MAX_RULE_LENGTH:
        raise AlarmRuleError(
            "1 validation error detected: Value at 'alarmRule' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_RULE_LENGTH}"
        )
    if not text.strip():
        raise AlarmRuleError("AlarmRule must not be empty")
    try:
        return _ToRule().transform(_parser().parse(text))
    except UnexpectedEOF as error:
        raise AlarmRuleError(f"Error in AlarmRule [Unexpected end of rule at char {len(text)}]") from error
    except UnexpectedToken as error:
        if error.token.type == "$END":
            raise AlarmRuleError(f"Error in AlarmRule [Unexpected end of rule at char {len(text)}]") from error
        expected = ", must be: ')'" if error.expected == {"RPAR"} else ""
        raise AlarmRuleError(
            f"Error in AlarmRule [Unsupported token '{error.token}' at char {error.pos_in_stream}{expected}]"
        ) from error
    except UnexpectedCharacters as error:
        token = text[error.pos_in_stream :].split()[0] if text[error.pos_in_stream :].split() else ""
        raise AlarmRuleError(
            f"Error in AlarmRule [Unsupported token '{token}' at char {error.pos_in_stream}]"
        ) from error
    except (UnexpectedInput, VisitError) as error:
        raise AlarmRuleError(f"Error in AlarmRule [{error}]") from error


def _atoms(rule: Rule) -> Iterator[StateOf]:
    """Every ``ALARM(x)``-style atom of the rule, left to right."""
    if isinstance(rule, StateOf):
        yield rule
    elif isinstance(rule, Not):
        yield from _atoms(rule.operand)
    elif isinstance(rule, AllOf | AnyOf):
        for operand in rule.operands:
            yield from _atoms(operand)


def children(rule: Rule) -> list[str]:
    """The alarms (names or ARNs, as written) the rule reads, in order, each once."""
    return list(dict.fromkeys(atom.alarm for atom in _atoms(rule)))


def holds(rule: Rule, state_of: dict[str, str]) -> bool:
    """Whether the rule is true when each child (by the name or ARN the rule uses) is in ``state_of[child]``."""
    if isinstance(rule, StateOf):
        return state_of.get(rule.alarm) == rule.state
    if isinstance(rule, Constant):
        return rule.value
    if isinstance(rule, Not):
        return not holds(rule.operand, state_of)
    if isinstance(rule, AllOf):
        return all(holds(operand, state_of) for operand in rule.operands)
    return any(holds(operand, state_of) for operand in rule.operands)


def satisfied_atoms(rule: Rule, state_of: dict[str, str]) -> list[StateOf]:
    """The ``ALARM(x)``-style atoms that are true now (the children that trigger the rule), in rule order."""
    return list(dict.fromkeys(atom for atom in _atoms(rule) if state_of.get(atom.alarm) == atom.state))
