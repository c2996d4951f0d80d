"""Event source mappings that follow an alias, as Lambda's do.

``CreateEventSourceMapping`` with ``FunctionName`` set to an alias (``fn:live`` or its ARN) maps the queue
to the alias: every batch goes to the version the alias points at *then*, so moving the alias moves the
traffic. moto resolves the alias once and stores the version's ARN, pinning the mapping to that version;
this patch keeps the qualified ARN the caller named (what AWS returns as ``FunctionArn``).
"""

from __future__ import annotations

from typing import Any

from lambdalab.service.moto_patching import original, replace


def install() -> None:
    from moto.awslambda.models import EventSourceMapping

    replace(EventSourceMapping, "__init__", _init)


def _init(mapping: Any, spec: dict[str, Any]) -> None:
    from moto.awslambda.models import EventSourceMapping

    original(EventSourceMapping, "__init__")(mapping, spec)
    named = str(spec.get("FunctionName") or "")
    qualifier = _alias_qualifier(named)
    if qualifier and not str(mapping.function_arn).endswith(f":{qualifier}"):
        base = ":".join(str(mapping.function_arn).split(":")[:7])
        mapping.function_arn = f"{base}:{qualifier}"


def _alias_qualifier(name_or_arn: str) -> str | None:
    """The alias a function name or ARN names, if any (versions and $LATEST are not aliases)."""
    parts = name_or_arn.split(":")
    qualifier = (
        (parts[7] if len(parts) > 7 else None)
        if name_or_arn.startswith("arn:")
        else (parts[1] if len(parts) == 2 else None)
    )
    if not qualifier or qualifier == "$LATEST" or qualifier.isdigit():
        return None
    return qualifier
