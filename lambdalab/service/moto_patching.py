"""How lambdalab patches moto: narrowly, once, with the original kept reachable.

moto holds the state of SQS, S3 and EventBridge faithfully enough for boto3 and the AWS CLI, but its
integrations with Lambda are not AWS's (docs/facts.md): its SQS mapping invokes inside ``SendMessage``, its S3
notifications invoke synchronously and swallow every error, EventBridge cannot target Lambda at all, and
its SQS queues are not safe under concurrent consumers. Each trigger keeps its patch beside it
(``triggers/<name>/moto_patch.py``; CloudFormation, RDS and alarms have theirs too) and installs it
(idempotently) with :func:`replace`, which swaps the smallest method that makes the difference and keeps the
original as :func:`original`; ``tests/triggers`` guard every seam, because these are private APIs of a
pinned moto range.

moto's backends, and so these patches, are process-wide; what the patches record belongs to the trigger
that installed them. :func:`bind` keeps the one reference the patched code follows to its owners (the
sandbox's LambdaService, its clock, the EventBridge and S3 triggers), and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_PREFIX = "_lambdalab_original_"


@dataclass
class Owners:
    """Whom the patched moto code reports to: set by the triggers as the sandbox starts them."""

    service: Any = None  # the LambdaService: patched code hands it asynchronous invocations
    clock: Any = None  # the sandbox clock: when a schedule was created, an event put
    eventbridge: Any = None  # the EventBridgeTrigger: schedule_created, schedule_set_at, failed_invocations
    s3: Any = None  # the S3Trigger: undelivered


_owners = Owners()


def bind(service: Any = None, **owners: Any) -> None:
    """Point the patched code at the sandbox's LambdaService and at the triggers named in ``owners``."""
    if service is not None:
        _owners.service = service
    for name, owner in owners.items():
        setattr(_owners, name, owner)


def bound() -> Owners:
    return _owners


def bound_service() -> Any:
    return _owners.service


def replace(owner: type | Any, name: str, replacement: Callable[..., Any]) -> None:
    """Put ``replacement`` in place of ``owner.name`` once; the original stays as ``original(owner, name)``."""
    if hasattr(owner, _PREFIX + name):
        return
    setattr(owner, _PREFIX + name, getattr(owner, name, None))
    setattr(owner, name, replacement)


def original(owner: type | Any, name: str) -> Callable[..., Any]:
    """moto's own implementation of a method this package replaced."""
    return getattr(owner, _PREFIX + name, getattr(owner, name))


def is_replaced(owner: type | Any, name: str) -> bool:
    return hasattr(owner, _PREFIX + name)
