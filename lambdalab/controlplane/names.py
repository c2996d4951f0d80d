"""Function names as Lambda reads them: a name, ``name:qualifier``, a partial ARN or a full ARN.

Which function a request means — and whether it is reachable from this Region and account — is decided
once here, for every operation that takes a ``FunctionName``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lambdalab.aws_facts import Arn
from lambdalab.controlplane.errors import LambdaError, access_denied, invalid_parameter, not_found

_FULL = re.compile(
    r"arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:(?P<region>[^:]+):(?P<account>\d{12}):function:"
    r"(?P<name>[^:]+)(:(?P<qualifier>[^:]+))?"
)
_PARTIAL = re.compile(r"(?P<account>\d{12}):function:(?P<name>[^:]+)(:(?P<qualifier>[^:]+))?")
_SHORT = re.compile(r"(?P<name>[^:]+)(:(?P<qualifier>[^:]+))?")
MAX_NAME_LENGTH = 64  # "If you specify only the function name, it is limited to 64 characters in length."


@dataclass(frozen=True)
class FunctionRef:
    """What a ``FunctionName`` value names; ``region``/``account`` only when the caller spelled them."""

    name: str
    qualifier: str | None = None
    region: str | None = None
    account: str | None = None

    @property
    def plain(self) -> bool:
        return self.region is None and self.account is None


def parse(value: str) -> FunctionRef | None:
    for pattern in (_FULL, _PARTIAL, _SHORT):
        found = pattern.fullmatch(value)
        if found is not None:
            parts = found.groupdict()
            return FunctionRef(parts["name"], parts.get("qualifier"), parts.get("region"), parts.get("account"))
    return None


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    return str(Arn.function(name, qualifier, region=region, account=account))


def reachable(ref: FunctionRef, *, region: str, account: str, action: str) -> None:
    """Refuse a function of another Region (not found here) or another account (access denied)."""
    if ref.region is not None and ref.region != region:
        raise not_found(f"Functions from '{ref.region}' are not reachable in this region ('{region}')")
    if ref.account is not None and ref.account != account:
        arn = function_arn(ref.region or region, ref.account, ref.name, ref.qualifier)
        raise access_denied(
            f"User: arn:aws:iam::{account}:root is not authorized to perform: lambda:{action} "
            f"on resource: {arn} because no resource-based policy allows the lambda:{action} action"
        )


def agree(ref: FunctionRef, qualifier: str | None) -> None:
    """A qualifier in the name and a ``Qualifier`` parameter must say the same thing."""
    if ref.qualifier is not None and qualifier is not None and ref.qualifier != qualifier:
        raise invalid_parameter("The derived qualifier from the function name does not match the specified qualifier.")


__all__ = ["FunctionRef", "LambdaError", "agree", "function_arn", "parse", "reachable"]
