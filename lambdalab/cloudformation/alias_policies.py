"""Resource-based policies on an alias, kept with the alias, as Lambda keeps them.

``AddPermission`` with ``Qualifier=live`` adds a statement to the *alias's* policy: it stays with the alias
when the alias moves to a new version, and ``GetPolicy(Qualifier=live)`` returns it. moto resolves the alias
to its current version and stores the statement on that version, so after a redeploy the alias has lost
its permissions (SAM's function URL on an alias then answers 403). Here an alias's statements live on the
alias object; ``RemovePermission``, which moto handles without the qualifier, looks there too.
"""

from __future__ import annotations

from typing import Any

from lambdalab.service.moto_patching import original, replace


def install() -> None:
    from moto.awslambda.models import LambdaBackend

    replace(LambdaBackend, "add_permission", _add_permission)
    replace(LambdaBackend, "get_policy", _get_policy)
    replace(LambdaBackend, "remove_permission", _remove_permission)


def _split(function_name: str, qualifier: str | None) -> tuple[str, str | None]:
    parts = function_name.split(":")
    if function_name.startswith("arn:"):
        return parts[6], qualifier or (parts[7] if len(parts) > 7 else None)
    return parts[0], qualifier or (parts[1] if len(parts) > 1 else None)


def alias_policy(backend: Any, function_name: str, qualifier: str | None, *, create: bool = False) -> Any:
    """The policy of the alias ``qualifier`` names (None for $LATEST, a version, or no such alias)."""
    from moto.awslambda.policy import Policy

    name, qualifier = _split(function_name, qualifier)
    if not qualifier or qualifier == "$LATEST" or qualifier.isdigit():
        return None
    try:
        alias = backend.get_alias(qualifier, name)
    except Exception:  # noqa: BLE001 - not an alias of this function
        return None
    policy = getattr(alias, "lambdalab_policy", None)
    if policy is None and create:
        policy = alias.lambdalab_policy = Policy(backend.get_function(name))
    return policy


def _add_permission(backend: Any, function_name: str, qualifier: str | None, raw: str) -> dict[str, Any]:
    from moto.awslambda.models import LambdaBackend

    policy = alias_policy(backend, function_name, qualifier, create=True)
    if policy is None:
        return original(LambdaBackend, "add_permission")(backend, function_name, qualifier, raw)
    statement, _ = policy.add_statement(raw, _split(function_name, qualifier)[1])
    return statement


def _get_policy(backend: Any, function_name: str, qualifier: str | None = None) -> str:
    from moto.awslambda.models import LambdaBackend

    policy = alias_policy(backend, function_name, qualifier)
    if policy is None:
        return original(LambdaBackend, "get_policy")(backend, function_name, qualifier)
    return policy.wire_format()


def _remove_permission(backend: Any, function_name: str, sid: str, revision: str = "") -> None:
    from moto.awslambda.models import LambdaBackend

    try:
        original(LambdaBackend, "remove_permission")(backend, function_name, sid, revision)
        return
    except Exception:
        name, _ = _split(function_name, None)
        for alias in backend._lambdas._get_function_aliases(name).values():
            policy = getattr(alias, "lambdalab_policy", None)
            if policy is not None and any(s.get("Sid") == sid for s in policy.statements):
                policy.del_statement(sid, revision)
                return
        raise
