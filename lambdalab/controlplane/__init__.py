"""Lambda's control plane, checked as AWS checks it: model constraints, then AWS's documented rules.

One entry point, :func:`validate`, serves both the sandbox's HTTP gateway and the CloudFormation
providers::

    from lambdalab.controlplane import LambdaError, Scope, validate_create_function

    try:
        validate_create_function({"FunctionName": "f", "Role": role, "Code": {...}, "Runtime": "python3.12"})
    except LambdaError as refused:
        print(refused.code, refused.status, refused.message)

``params`` use boto3's member names (``FunctionName``, ``MemorySize``, ``Environment``…). Without a
``Scope`` only the stateless checks run (constraints, runtime, sizes, names); give
``Scope(region, account, backend=<moto Lambda backend>, service=<LambdaService>)`` for the rules that need
state (duplicates, existing aliases, versions, statements, mappings).
"""

from __future__ import annotations

from typing import Any

from lambdalab.aws_facts import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from lambdalab.controlplane import rules, shapes
from lambdalab.controlplane.errors import LambdaError, validation_exception
from lambdalab.controlplane.rules import Answer, Scope

_RUNTIME_FIRST = frozenset({"CreateFunction", "UpdateFunctionConfiguration"})


def validate(operation: str, params: dict[str, Any], scope: Scope | None = None) -> Answer | None:
    """Refuse (raise :class:`LambdaError`) what Lambda refuses for ``operation`` with these ``params``.

    Returns an :class:`Answer` when Lambda's answer needs no backend at all (an idempotent delete of
    nothing), else ``None``: the request may go ahead.
    """
    scope = scope or Scope(DEFAULT_REGION, DEFAULT_ACCOUNT_ID)
    if operation in _RUNTIME_FIRST:
        rules.check_runtime(params)
    violations = shapes.check(operation, params)
    if operation in _RUNTIME_FIRST:
        violations += rules.check_limits(params)
    if violations:
        raise validation_exception(violations)
    rules.check_function_name(operation, params, scope)
    rule = rules.RULES.get(operation)
    return rule(params, scope) if rule is not None else None


def validate_create_function(params: dict[str, Any], scope: Scope | None = None) -> None:
    validate("CreateFunction", params, scope)


def validate_update_function_configuration(params: dict[str, Any], scope: Scope | None = None) -> None:
    validate("UpdateFunctionConfiguration", params, scope)


def validate_create_alias(params: dict[str, Any], scope: Scope | None = None) -> None:
    validate("CreateAlias", params, scope)


def validate_add_permission(params: dict[str, Any], scope: Scope | None = None) -> None:
    validate("AddPermission", params, scope)


def validate_create_event_source_mapping(params: dict[str, Any], scope: Scope | None = None) -> None:
    validate("CreateEventSourceMapping", params, scope)


def validate_create_function_url_config(params: dict[str, Any], scope: Scope | None = None) -> None:
    validate("CreateFunctionUrlConfig", params, scope)


def validate_put_provisioned_concurrency_config(params: dict[str, Any], scope: Scope | None = None) -> None:
    validate("PutProvisionedConcurrencyConfig", params, scope)


__all__ = [
    "Answer",
    "LambdaError",
    "Scope",
    "validate",
    "validate_add_permission",
    "validate_create_alias",
    "validate_create_event_source_mapping",
    "validate_create_function",
    "validate_create_function_url_config",
    "validate_put_provisioned_concurrency_config",
    "validate_update_function_configuration",
]
