"""CloudFormation's intrinsic functions, conditions and the dependencies they create.

A template refers to parameters, pseudo parameters and other resources through ``Ref``, ``Fn::GetAtt`` and
``Fn::Sub``; those references are also what orders the deployment (with ``DependsOn``). This module
resolves a value against what is known so far (:class:`Scope`) and lists what a value depends on, with
CloudFormation's wording for the template errors a learner can make.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lambdalab.aws_facts import DEFAULT_REGION

#: What ``Ref: AWS::NoValue`` resolves to: the property (or list item) it stands for is removed.
NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
_SUB_LITERAL = re.compile(r"\$\{!([^}]*)\}")
PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
    "AWS::Partition",
    "AWS::NoValue",
    "AWS::NotificationARNs",
)


class TemplateError(ValueError):
    """A template CloudFormation refuses before it creates anything (a ``ValidationError``)."""


@dataclass
class Scope:
    """What a reference can resolve to: parameters, pseudo parameters, mappings, conditions, resources.

    ``ref(logical_id)`` and ``get_att(logical_id, attribute)`` answer for resources (both raise
    :class:`KeyError` for a resource not deployed yet); ``imports`` are the region's exports by name.
    """

    parameters: dict[str, Any]
    mappings: dict[str, Any]
    conditions: dict[str, bool]
    ref: Callable[[str], Any]
    get_att: Callable[[str, str], Any]
    imports: dict[str, str] = field(default_factory=dict)
    region: str = DEFAULT_REGION


def resolve(value: Any, scope: Scope) -> Any:
    """``value`` with every intrinsic function evaluated (``NO_VALUE`` parts removed)."""
    if isinstance(value, list):
        items = [resolve(item, scope) for item in value]
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        function = _FUNCTIONS.get(key)
        if function is not None:
            try:
                return function(argument, scope)
            except TemplateError:
                raise
            except (ValueError, TypeError, IndexError, AttributeError):
                raise TemplateError(
                    f"Template error: {key} has malformed arguments {argument!r}: give it what the "
                    "CloudFormation reference describes for this function"
                ) from None
    resolved = {key: resolve(item, scope) for key, item in value.items()}
    return {key: item for key, item in resolved.items() if item is not NO_VALUE}


def _ref(name: Any, scope: Scope) -> Any:
    if name == "AWS::NoValue":
        return NO_VALUE
    if name in scope.parameters:
        return scope.parameters[name]
    return scope.ref(str(name))


def _get_att(argument: Any, scope: Scope) -> Any:
    logical_id, attribute = _get_att_parts(argument)
    return scope.get_att(logical_id, resolve(attribute, scope))


def _get_att_parts(argument: Any) -> tuple[str, Any]:
    if isinstance(argument, str):
        logical_id, _, attribute = argument.partition(".")
        return logical_id, attribute
    if isinstance(argument, list) and len(argument) == 2:
        return str(argument[0]), argument[1]
    raise TemplateError("Template error: every Fn::GetAtt object requires two non-empty parameters")


def _sub(argument: Any, scope: Scope) -> str:
    if isinstance(argument, list):
        text, variables = argument[0], {k: resolve(v, scope) for k, v in (argument[1] or {}).items()}
    else:
        text, variables = argument, {}
    if not isinstance(text, str):
        raise TemplateError("Template error: Fn::Sub expression must be a string or a list of a string and a map")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name in variables:
            return str(variables[name])
        if "." in name and name.split(".", 1)[0] not in scope.parameters:
            logical_id, attribute = name.split(".", 1)
            return str(scope.get_att(logical_id, attribute))
        return str(_ref(name, scope))

    return _SUB_LITERAL.sub(lambda m: "${" + m.group(1) + "}", _SUB_VARIABLE.sub(replace, text))


def _join(argument: Any, scope: Scope) -> str:
    delimiter, items = argument
    return str(delimiter).join(str(item) for item in resolve(items, scope))


def _select(argument: Any, scope: Scope) -> Any:
    index, items = resolve(argument[0], scope), resolve(argument[1], scope)
    try:
        return items[int(index)]
    except (IndexError, ValueError, TypeError):
        raise TemplateError(f"Template error: Fn::Select cannot select nonexistent value at index {index}") from None


def _split(argument: Any, scope: Scope) -> list[str]:
    delimiter, text = argument
    return str(resolve(text, scope)).split(delimiter)


def _if(argument: Any, scope: Scope) -> Any:
    name, when_true, when_false = argument
    if name not in scope.conditions:
        raise TemplateError(f"Template format error: Unresolved condition dependency {name} in Fn::If")
    return resolve(when_true if scope.conditions[name] else when_false, scope)


def _find_in_map(argument: Any, scope: Scope) -> Any:
    name, top, second = (resolve(part, scope) for part in argument[:3])
    try:
        return scope.mappings[name][top][second]
    except (KeyError, TypeError):
        raise TemplateError(f"Template error: Unable to get mapping for {name}::{top}::{second}") from None


def _import_value(argument: Any, scope: Scope) -> str:
    name = resolve(argument, scope)
    if name not in scope.imports:
        raise TemplateError(f"No export named {name} found.")
    return scope.imports[name]


def _get_azs(argument: Any, scope: Scope) -> list[str]:
    region = resolve(argument, scope) or scope.region
    return [f"{region}{zone}" for zone in "abc"]


_FUNCTIONS: dict[str, Callable[[Any, Scope], Any]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::FindInMap": _find_in_map,
    "Fn::ImportValue": _import_value,
    "Fn::GetAZs": _get_azs,
    "Fn::Base64": lambda argument, scope: base64.b64encode(str(resolve(argument, scope)).encode()).decode(),
    "Fn::ToJsonString": lambda argument, scope: json.dumps(resolve(argument, scope), separators=(",", ":")),
    "Fn::Length": lambda argument, scope: len(resolve(argument, scope)),
}


# --- conditions ------------------------------------------------------------------------------------
def evaluate_conditions(definitions: dict[str, Any], scope: Scope) -> dict[str, bool]:
    """Every condition's truth (conditions may refer to each other with ``Condition``)."""
    results: dict[str, bool] = scope.conditions

    def evaluate(expression: Any, visiting: tuple[str, ...]) -> bool:
        if isinstance(expression, bool):
            return expression
        if isinstance(expression, str) and expression.lower() in ("true", "false"):
            return expression.lower() == "true"
        if not isinstance(expression, dict) or len(expression) != 1:
            raise TemplateError(f"Template format error: Condition {expression!r} is not a condition function")
        ((operator, operands),) = expression.items()
        if operator == "Condition":
            return named(str(operands), visiting)
        if operator == "Fn::Equals":
            left, right = (resolve(o, scope) for o in operands)
            return str(left) == str(right)
        if operator == "Fn::Not":
            return not evaluate(operands[0], visiting)
        if operator == "Fn::And":
            return all(evaluate(o, visiting) for o in operands)
        if operator == "Fn::Or":
            return any(evaluate(o, visiting) for o in operands)
        raise TemplateError(f"Template format error: Unsupported condition function {operator}")

    def named(name: str, visiting: tuple[str, ...]) -> bool:
        if name in results:
            return results[name]
        if name not in definitions:
            raise TemplateError(
                f"Template format error: Unresolved dependencies [{name}]. Cannot reference "
                "resources in the Conditions block of the template"
            )
        if name in visiting:
            raise TemplateError(f"Template error: Circular dependency between conditions: {[*visiting, name]}")
        results[name] = evaluate(definitions[name], (*visiting, name))
        return results[name]

    for name in definitions:
        named(name, ())
    return results


# --- dependencies ----------------------------------------------------------------------------------
def references(value: Any) -> Iterator[str]:
    """Every logical id or parameter ``value`` refers to (through Ref, GetAtt or Sub)."""
    if isinstance(value, list):
        for item in value:
            yield from references(item)
        return
    if not isinstance(value, dict):
        return
    for key, argument in value.items():
        if key == "Ref" and isinstance(argument, str):
            yield argument
        elif key == "Fn::GetAtt":
            try:
                yield _get_att_parts(argument)[0]
            except TemplateError:
                pass
        elif key == "Fn::Sub":
            text, variables = (argument[0], argument[1] or {}) if isinstance(argument, list) else (argument, {})
            if isinstance(text, str):
                for name in _SUB_VARIABLE.findall(text):
                    name = name.strip()
                    if name not in variables:
                        yield name.split(".", 1)[0]
            yield from references(variables)
        else:
            yield from references(argument)
