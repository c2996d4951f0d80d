"""DB parameter values as RDS reads them: integers, ``{formula}`` variables, and LEAST/GREATEST/SUM.

A parameter group may hold ``max_connections = 40`` or AWS's own default
``LEAST({DBInstanceClassMemory/9531392},5000)``; both must give the number the server starts with.
Syntax and semantics follow https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ParamValuesRef.html
(checked December 2026): a formula is ``{Variable}``, ``{Variable*Integer}``, ``{Variable/Integer}`` or
``{Variable*Integer/Integer}``, division truncates, and LEAST, GREATEST and SUM take integers or formulas.
"""

from __future__ import annotations

import re

#: Parameters PostgreSQL reads only at server start: RDS applies them at the next reboot (ApplyType static).
STATIC_PARAMETERS = frozenset(
    {
        "max_connections",
        "shared_buffers",
        "max_worker_processes",
        "max_locks_per_transaction",
        "max_prepared_transactions",
        "superuser_reserved_connections",
        "shared_preload_libraries",
        "wal_buffers",
    }
)

_FORMULA = re.compile(r"^\{\s*(?P<var>[A-Za-z]+)\s*(?:\*\s*(?P<mul>\d+))?\s*(?:/\s*(?P<div>\d+))?\s*\}$")
_FUNCTION = re.compile(r"^(?P<name>LEAST|GREATEST|SUM)\((?P<args>.*)\)$", re.IGNORECASE)


class InvalidParameterExpression(ValueError):
    """A parameter value that is neither an integer, a formula nor a function of them."""


def evaluate(value: str, variables: dict[str, int]) -> int:
    """The integer ``value`` stands for, given formula variables such as ``DBInstanceClassMemory``."""
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if match := _FORMULA.match(text):
        if match["var"] not in variables:
            raise InvalidParameterExpression(
                f"Unknown formula variable {match['var']!r} in {value!r}; known: {', '.join(sorted(variables))}."
            )
        result = variables[match["var"]] * int(match["mul"] or 1)
        return result // int(match["div"]) if match["div"] else result
    if match := _FUNCTION.match(text):
        args = [evaluate(arg, variables) for arg in _split_arguments(match["args"])]
        if not args:
            raise InvalidParameterExpression(f"{match['name']} needs at least one argument: {value!r}")
        name = match["name"].upper()
        return min(args) if name == "LEAST" else max(args) if name == "GREATEST" else sum(args)
    raise InvalidParameterExpression(
        f"Cannot read the parameter value {value!r}: use an integer, a formula such as "
        "{DBInstanceClassMemory/9531392}, or LEAST/GREATEST/SUM of those."
    )


def _split_arguments(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return [part.strip() for part in parts]
