"""Whether a function's resource-based policy lets a request through its function URL.

Lambda's rules (docs.aws.amazon.com/lambda/latest/dg/urls-auth.html, checked December 2026):

- ``AuthType: NONE`` — Lambda authenticates nobody, but "your function's resource-based policy is always in
  effect and must grant public access": the policy must allow ``lambda:InvokeFunctionUrl`` to principal ``*``
  (``add-permission --function-url-auth-type NONE`` adds the condition ``lambda:FunctionUrlAuthType = NONE``)
  and, for URLs created since October 2025 (every URL made here), also ``lambda:InvokeFunction`` to ``*``
  (``--invoked-via-function-url`` adds ``lambda:InvokedViaFunctionUrl = true``). Without both: 403.
- ``AuthType: AWS_IAM`` — a caller in the function's own account needs the permissions in *either* its
  identity-based policy *or* the function's policy. The sandbox has one identity, in the function's account,
  and does not evaluate identity-based policies (it stands for an administrator), so a correctly signed
  request passes unless the function's policy explicitly denies it.

The policy is read from moto (``get_policy``), and the verdict cached per function until the policy changes:
its revision (``AddPermission`` changes it) or its statement ids (``RemovePermission`` removes one; moto
leaves the revision as it was).
"""

from __future__ import annotations

import fnmatch
import json
import threading
from dataclasses import dataclass
from typing import Any

INVOKE_URL = "lambda:invokefunctionurl"
INVOKE = "lambda:invokefunction"


@dataclass(frozen=True)
class UrlRequestContext:
    """What the policy's conditions can see of a request through a function URL."""

    function_arn: str
    auth_type: str  # "NONE" | "AWS_IAM"
    account_id: str
    public: bool  # True for an anonymous caller (AuthType NONE)


def _listify(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action, str(pattern).lower()) for pattern in _listify(statement.get("Action")))


def _resource_matches(statement: dict[str, Any], function_arn: str) -> bool:
    resources = _listify(statement.get("Resource")) or ["*"]
    return any(
        fnmatch.fnmatchcase(function_arn, str(r)) or fnmatch.fnmatchcase(f"{function_arn}:$LATEST", str(r))
        for r in resources
    )


def _principal_matches(statement: dict[str, Any], context: UrlRequestContext) -> bool:
    principal = statement.get("Principal")
    values = _listify(principal.get("AWS")) if isinstance(principal, dict) else _listify(principal)
    for value in map(str, values):
        if value == "*":
            return True
        if not context.public and value in (context.account_id, f"arn:aws:iam::{context.account_id}:root"):
            return True
    return False


def _condition_values(context: UrlRequestContext) -> dict[str, str]:
    return {"lambda:functionurlauthtype": context.auth_type, "lambda:invokedviafunctionurl": "true"}


def _conditions_hold(statement: dict[str, Any], context: UrlRequestContext) -> bool:
    known = _condition_values(context)
    conditions: list[tuple[str, str, list[Any]]] = []
    for operator, tests in (statement.get("Condition") or {}).items():
        for key, wanted in (tests or {}).items():
            conditions.append((str(operator), str(key).lower(), _listify(wanted)))
    # moto keeps AddPermission's FunctionUrlAuthType / InvokedViaFunctionUrl as bare statement fields
    if "FunctionUrlAuthType" in statement:
        conditions.append(("StringEquals", "lambda:functionurlauthtype", [statement["FunctionUrlAuthType"]]))
    if statement.get("InvokedViaFunctionUrl") is not None:
        conditions.append(("Bool", "lambda:invokedviafunctionurl", [statement["InvokedViaFunctionUrl"]]))
    for operator, key, wanted in conditions:
        actual = known.get(key)
        if actual is None:  # aws:SourceArn, aws:SourceAccount, aws:PrincipalOrgID…: absent for this caller
            return False
        op = operator.lower()
        if op in ("stringequals", "bool"):
            ok = any(str(w).lower() == actual.lower() if op == "bool" else str(w) == actual for w in wanted)
        elif op == "stringequalsignorecase":
            ok = any(str(w).lower() == actual.lower() for w in wanted)
        elif op == "stringlike":
            ok = any(fnmatch.fnmatchcase(actual, str(w)) for w in wanted)
        elif op == "stringnotequals":
            ok = all(str(w) != actual for w in wanted)
        else:  # an operator this evaluator does not know never grants access
            return False
        if not ok:
            return False
    return True


def _applies(statement: dict[str, Any], action: str, context: UrlRequestContext) -> bool:
    return (
        _action_matches(statement, action)
        and _resource_matches(statement, context.function_arn)
        and _principal_matches(statement, context)
        and _conditions_hold(statement, context)
    )


def decide(statements: list[dict[str, Any]], context: UrlRequestContext) -> bool:
    """Whether the policy's statements let this URL request invoke the function."""
    for action in (INVOKE_URL, INVOKE):
        applicable = [s for s in statements if _applies(s, action, context)]
        if any(str(s.get("Effect", "Allow")).lower() == "deny" for s in applicable):
            return False  # an explicit deny always wins
        if context.public and not any(str(s.get("Effect", "Allow")).lower() == "allow" for s in applicable):
            return False  # NONE needs the policy's own grant; AWS_IAM callers have their identity's
    return True


class UrlPolicies:
    """Reads each function's policy from moto and caches the verdict until the policy's revision changes."""

    def __init__(self) -> None:
        self._verdicts: dict[tuple[str, str], tuple[object, bool]] = {}
        self._lock = threading.Lock()

    def allows(self, backend: Any, function: Any, context: UrlRequestContext, qualifier: str | None = None) -> bool:
        name = function.function_name
        if qualifier:  # a URL on an alias: the alias's own policy decides (read afresh, not cached)
            return decide(_statements(backend, name, qualifier), context)
        policy = function.policy
        revision = (str(getattr(policy, "revision", "")), tuple(str(s.get("Sid")) for s in policy.statements))
        key = (name, context.auth_type)
        with self._lock:
            cached = self._verdicts.get(key)
        if cached is not None and cached[0] == revision:
            return cached[1]
        verdict = decide(_statements(backend, name), context)
        with self._lock:
            self._verdicts[key] = (revision, verdict)
        return verdict

    def clear(self) -> None:
        with self._lock:
            self._verdicts.clear()


def _statements(backend: Any, function_name: str, qualifier: str | None = None) -> list[dict[str, Any]]:
    """The function's policy statements, as ``GetPolicy`` returns them (none when it has no policy)."""
    try:
        document = json.loads(backend.get_policy(function_name, qualifier))
    except Exception:  # noqa: BLE001 - moto's "no policy" is an exception; no policy grants nothing
        return []
    policy = document.get("Policy")
    if isinstance(policy, str):
        policy = json.loads(policy)
    statements = (policy or {}).get("Statement") or []
    return [s for s in _listify(statements) if isinstance(s, dict)]
