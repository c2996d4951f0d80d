"""AWS managed policies (``arn:aws:iam::aws:policy/…``) exist in the sandbox's IAM, as in every account.

moto ships their documents but loads them only with ``MOTO_IAM_LOAD_MANAGED_POLICIES`` (≈ 1,600 policies,
seconds per IAM backend); without them ``AttachRolePolicy`` refuses ``AWSLambdaBasicExecutionRole``, which
every SAM function's role attaches. This patch creates an AWS managed policy in the account the first time
something attaches it (or asks for it), from moto's own copy of its document.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from lambdalab.service.moto_patching import original, replace

_PREFIX = "arn:aws:iam::aws:policy/"


def install() -> None:
    from moto.iam.models import IAMBackend

    replace(IAMBackend, "attach_role_policy", _attach_role_policy)
    replace(IAMBackend, "get_policy", _get_policy)


@functools.cache
def _documents() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def ensure(backend: Any, policy_arn: str) -> None:
    """Add the AWS managed policy ``policy_arn`` to the backend if AWS has it and the backend does not."""
    if not policy_arn.startswith(_PREFIX) or policy_arn in backend.managed_policies:
        return
    name = policy_arn.rsplit("/", 1)[-1]
    data = _documents().get(name)
    if data is None:
        return
    from moto.iam.models import AWSManagedPolicy

    policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
    backend.managed_policies[policy.arn] = policy


def _attach_role_policy(backend: Any, policy_arn: str, role_name: str) -> None:
    from moto.iam.models import IAMBackend

    ensure(backend, policy_arn)
    original(IAMBackend, "attach_role_policy")(backend, policy_arn, role_name)


def _get_policy(backend: Any, policy_arn: str) -> Any:
    from moto.iam.models import IAMBackend

    ensure(backend, policy_arn)
    return original(IAMBackend, "get_policy")(backend, policy_arn)
