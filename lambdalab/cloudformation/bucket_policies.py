"""Bucket policies with conditions, evaluated as the sandbox's HTTPS stand-in would see them.

moto enforces a bucket policy's statements but ignores their ``Condition`` blocks, so the policy every
``sam deploy --resolve-s3`` puts on its managed bucket — deny ``s3:*`` when ``aws:SecureTransport`` is
false — denies everything, even the SAM CLI's own uploads. The sandbox's plain-HTTP endpoint stands for
AWS's HTTPS one, so here ``aws:SecureTransport`` is true; a statement with any other condition the sandbox
cannot evaluate is left out rather than applied unconditionally.
"""

from __future__ import annotations

import json
from typing import Any

from lambdalab.service.moto_patching import replace

#: Condition keys the sandbox knows the value of.
KNOWN_KEYS = {"aws:securetransport": "true"}


def install() -> None:
    from moto.s3.models import FakeBucket

    replace(FakeBucket, "get_permission", _get_permission)


def applicable(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy with only the statements whose conditions hold here (unconditional ones included)."""
    statements = policy.get("Statement") or []
    statements = [statements] if isinstance(statements, dict) else statements
    return {**policy, "Statement": [s for s in statements if _holds(s.get("Condition"))]}


def _holds(condition: dict[str, Any] | None) -> bool:
    for operator, tests in (condition or {}).items():
        if operator not in ("Bool", "StringEquals", "StringEqualsIgnoreCase"):
            return False
        for key, wanted in tests.items():
            known = KNOWN_KEYS.get(key.lower())
            values = wanted if isinstance(wanted, list) else [wanted]
            if known is None or known not in [str(v).lower() for v in values]:
                return False
    return True


def _get_permission(bucket: Any, action: str, resource: str) -> Any:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy)
    return IAMPolicy(json.dumps(applicable(policy))).is_action_permitted(action, resource)
