"""Narrow patches of moto where its event integrations differ from AWS, installed by the triggers.

moto holds the state of SQS, S3 and EventBridge faithfully enough for boto3 and the AWS CLI, but its
integrations with Lambda are not AWS's (docs/facts.md): its SQS mapping invokes inside ``SendMessage``, its S3
notifications invoke synchronously and swallow every error, EventBridge cannot target Lambda at all, and
its SQS queues are not safe under concurrent consumers. Each module here replaces the smallest method that
makes the difference, keeps the original reachable, and is installed (idempotently) by the trigger that
needs it; ``tests/triggers`` guard every seam, because these are private APIs of a pinned moto range.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PREFIX = "_lambdalab_original_"
_service: Any = None


def bind(service: Any) -> None:
    """Remember the sandbox's LambdaService: patched moto code hands it asynchronous invocations."""
    global _service
    _service = service


def bound_service() -> Any:
    return _service


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
