"""Check a request's members against the constraints of Lambda's model, worded as AWS words them.

Lambda checks every input member before an operation runs and answers ``ValidationException`` listing each
violation as ``Value '<value>' at '<member.path>' failed to satisfy constraint: <constraint>``; members are
named in camelCase (``functionName``, ``routingConfig.additionalVersionWeights``), values as Java prints
them (``null``, ``[a, b]``, ``{1=0.5}``). A value of the wrong JSON type never reaches those checks: the
deserializer refuses it first (``SerializationException``).

Validators are built once per operation (:func:`validator`) and cached: a warm ``Invoke`` costs a few
dictionary lookups.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape

from lambdalab.controlplane.errors import LambdaError, serialization
from lambdalab.controlplane.model import service_model

Check = Callable[[Any, str, list[str]], None]


def camel(member: str) -> str:
    """AWS's member path component: the model name with a lower-case first letter."""
    return member[:1].lower() + member[1:]


def java(value: Any) -> str:
    """A value the way Lambda's (Java) validator prints it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value).replace("e", "E") if "e" in repr(value) else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(java(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java(k)}={java(v)}" for k, v in value.items()) + "}"
    return str(value)


def violation(value: Any, path: str, constraint: str, *, sensitive: bool = False) -> str:
    """One sentence of a ValidationException; a sensitive member's value is not repeated back."""
    shown = "null" if value is None else ("" if sensitive else f"'{java(value)}'")
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}".replace("Value  at", "Value at")


@functools.cache
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: leave that one member to the service's own rules
        return None


def constraints(shape: Shape) -> list[str]:
    """Every constraint a scalar shape declares, in the order AWS lists them inside ``[...]``."""
    meta, words = shape.metadata, []
    if shape.type_name in ("string", "blob", "list", "map"):
        if "max" in meta:
            words.append(f"Member must have length less than or equal to {meta['max']}")
        if meta.get("min"):
            words.append(f"Member must have length greater than or equal to {meta['min']}")
    elif "max" in meta or "min" in meta:
        if "max" in meta:
            words.append(f"Member must have value less than or equal to {_number(shape, meta['max'])}")
        if "min" in meta:
            words.append(f"Member must have value greater than or equal to {_number(shape, meta['min'])}")
    if "pattern" in meta:
        words.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    if "enum" in meta:
        words.append(f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]")
    return words


def _number(shape: Shape, bound: float) -> str:
    return java(float(bound)) if shape.type_name in ("double", "float") else str(int(bound))


@dataclass(frozen=True)
class _Spec:
    """One shape's constraints, read from the model once."""

    type_name: str
    regex: re.Pattern[str] | None
    pattern: str
    low: float | None
    high: float | None
    enum: frozenset[str]
    enum_words: str


_SPECS: dict[int, _Spec] = {}


def _spec(shape: Shape) -> _Spec:
    spec = _SPECS.get(id(shape))
    if spec is None:
        meta = shape.metadata
        pattern = meta.get("pattern", "")
        enum = meta.get("enum") or []
        spec = _SPECS[id(shape)] = _Spec(
            shape.type_name,
            _regex(pattern) if pattern else None,
            pattern,
            meta.get("min"),
            meta.get("max"),
            frozenset(enum),
            f"Member must satisfy enum value set: [{', '.join(enum)}]",
        )
    return spec


def failures(shape: Shape, value: Any) -> list[str]:
    """The constraints a present scalar value breaks (pattern first, then length, range and enum)."""
    spec, broken = _spec(shape), []
    kind = spec.type_name
    if kind == "string" and isinstance(value, str):
        if spec.regex is not None and spec.regex.fullmatch(value) is None:
            broken.append(f"Member must satisfy regular expression pattern: {spec.pattern}")
        if spec.enum and value not in spec.enum:
            broken.append(spec.enum_words)
    if kind in ("string", "list", "map") and isinstance(value, str | list | dict):
        if spec.high is not None and len(value) > spec.high:
            broken.append(f"Member must have length less than or equal to {int(spec.high)}")
        if spec.low and len(value) < spec.low:
            broken.append(f"Member must have length greater than or equal to {int(spec.low)}")
    elif kind in ("integer", "long", "double", "float") and isinstance(value, int | float):
        if spec.high is not None and value > spec.high:
            broken.append(f"Member must have value less than or equal to {_number(shape, spec.high)}")
        if spec.low is not None and value < spec.low:
            broken.append(f"Member must have value greater than or equal to {_number(shape, spec.low)}")
    return broken


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "blob": (str, bytes),  # base64 text inside a JSON body; raw bytes as a whole body (Invoke's Payload)
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "double": (int, float),
    "float": (int, float),
    "structure": (dict,),
    "list": (list,),
    "map": (dict,),
    "timestamp": (int, float, str),
}


def _check_type(shape: Shape, value: Any, path: str) -> None:
    expected = _JSON_TYPES.get(shape.type_name)
    if expected is None or value is None:
        return
    if isinstance(value, bool) and shape.type_name not in ("boolean",):
        raise serialization(f"Unexpected value type at '{path}': expected {shape.type_name}, got boolean")
    if not isinstance(value, expected):
        got = {str: "string", int: "number", float: "number", dict: "object", list: "array", bool: "boolean"}.get(
            type(value), type(value).__name__
        )
        raise serialization(f"Unexpected value type at '{path}': expected {shape.type_name}, got {got}")
    if shape.type_name == "blob" and isinstance(value, str):
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise serialization(f"Value at '{path}' is not valid base64") from None


def _walk(shape: Shape, value: Any, path: str, found: list[str]) -> None:
    _check_type(shape, value, path)
    if shape.type_name == "structure":
        for member in shape.required_members:
            if value.get(member) is None:
                found.append(violation(None, f"{path}.{camel(member)}", "Member must not be null"))
        for member, child in shape.members.items():
            if value.get(member) is not None:
                _walk(child, value[member], f"{path}.{camel(member)}", found)
        return
    sensitive = bool(shape.metadata.get("sensitive"))
    broken = failures(shape, value)
    found.extend(violation(value, path, words, sensitive=sensitive) for words in broken)
    if shape.type_name == "list":
        item = shape.member
        if item.type_name == "structure":
            for index, element in enumerate(value):
                if isinstance(element, dict):
                    _walk(item, element, f"{path}.{index + 1}.member", found)
                else:
                    _check_type(item, element, f"{path}.{index + 1}.member")
        elif any(element is None or failures(item, element) for element in value):
            found.append(violation(value, path, _nested("Member must satisfy constraint", item), sensitive=sensitive))
        else:
            for index, element in enumerate(value):
                _check_type(item, element, f"{path}.{index + 1}.member")
    elif shape.type_name == "map":
        for key, element in value.items():
            _check_type(shape.value, element, f"{path}.{key}")
        if any(failures(shape.key, key) for key in value):
            found.append(
                violation(
                    value, path, _nested("Map keys must satisfy constraint", shape.key, null=False), sensitive=sensitive
                )
            )
        if shape.value.type_name != "structure" and any(
            element is None or failures(shape.value, element) for element in value.values()
        ):
            found.append(
                violation(value, path, _nested("Map value must satisfy constraint", shape.value), sensitive=sensitive)
            )


def _nested(lead: str, shape: Shape, *, null: bool = True) -> str:
    words = [*constraints(shape), *(["Member must not be null"] if null else [])]
    return f"{lead}: [{', '.join(words)}]"


def coerce(shape: Shape, value: Any, path: str) -> Any:
    """A query-string or header value (always text) as the member's type, or SerializationException."""
    if not isinstance(value, str):
        return value
    try:
        if shape.type_name in ("integer", "long"):
            return int(value)
        if shape.type_name in ("double", "float"):
            return float(value)
    except ValueError:
        raise serialization(f"Value '{value}' at '{path}' is not a valid {shape.type_name}") from None
    if shape.type_name == "boolean":
        if value.lower() not in ("true", "false"):
            raise serialization(f"Value '{value}' at '{path}' is not a valid boolean")
        return value.lower() == "true"
    return value


@functools.cache
def validator(operation: str) -> Callable[[dict[str, Any]], list[str]]:
    """The (cached) check for one operation's input: returns AWS's violation sentences, in model order."""
    shape = service_model().operation_model(operation).input_shape
    if shape is None:
        return lambda params: []
    required = set(shape.required_members)
    members = tuple(
        (
            member,
            child,
            camel(member),
            child.serialization.get("location") in ("querystring", "header", "uri"),
            member in required,
        )
        for member, child in shape.members.items()
    )

    def check(params: dict[str, Any]) -> list[str]:
        found: list[str] = []
        for member, child, path, textual, needed in members:
            value = params.get(member)
            if value is None:
                if needed:
                    found.append(violation(None, path, "Member must not be null"))
                continue
            if textual:
                value = params[member] = coerce(child, value, path)
            _walk(child, value, path, found)
        return found

    return check


def check(operation: str, params: dict[str, Any]) -> list[str]:
    """Violations of ``params`` (boto3 member names) against ``operation``'s model; raises
    :class:`LambdaError` (SerializationException) for a value of the wrong type."""
    return validator(operation)(params)


__all__ = ["LambdaError", "camel", "check", "java", "violation", "validator"]
