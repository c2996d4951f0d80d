"""Triggers turn the outside world into invocations, each with AWS's event shape and retry rules.

Every trigger is a small plugin of the sandbox with the same life cycle: ``start(box)`` when the sandbox
starts, ``reset()`` when it is reset between exercises, ``stop()`` when it stops. The sandbox starts the
ones listed in :data:`TRIGGERS` (module paths, imported on start so an unused trigger costs nothing).
A trigger reaches Lambda only through the sandbox's ``LambdaService``: ``box.lambda_service.invoke(...)``
for a synchronous source (API Gateway, function URLs, SQS pollers) and
``lambdalab.service.async_invoke.enqueue(...)`` for an asynchronous one (S3, EventBridge).

The service layer knows no trigger: a trigger that answers API calls of its own registers them on
``box.gateway`` in ``start`` (see :class:`lambdalab.service.lambda_api.LambdaGateway`). Code that needs a
running trigger asks the sandbox for it, ``box.trigger(SqsTrigger)``, or, inside this package, where the
sandbox cannot be imported, :func:`running`.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Trigger(Protocol):
    def start(self, box: object) -> None: ...

    def reset(self) -> None: ...

    def stop(self) -> None: ...


#: ``module:attribute`` of each trigger factory (a callable returning a Trigger), started in this order.
TRIGGERS: list[str] = [
    "lambdalab.triggers.apigateway:ApiGatewayFrontDoor",
    "lambdalab.triggers.function_urls:FunctionUrls",
    "lambdalab.triggers.sqs:SqsTrigger",
    "lambdalab.triggers.s3:S3Trigger",
    "lambdalab.triggers.eventbridge:EventBridgeTrigger",
    "lambdalab.cloudformation:CloudFormationEngine",  # not a trigger, but the same life cycle
]


#: The sandbox whose triggers were started last (a process runs one sandbox; see lambdalab.sandbox()).
_started_by: Any = None


def start_all(box: object) -> list[Trigger]:
    """Start every trigger of :data:`TRIGGERS` for ``box``, in order."""
    global _started_by
    _started_by = box
    started: list[Trigger] = []
    for spec in TRIGGERS:
        module, _, attribute = spec.partition(":")
        trigger = getattr(importlib.import_module(module), attribute)()
        trigger.start(box)
        started.append(trigger)
    return started


def running(kind: type[T]) -> T:
    """The trigger of this type that the running sandbox started (``lambdalab.sandbox()`` starts it)."""
    if _started_by is None:
        raise RuntimeError(f"no sandbox runs in this process, so no {kind.__name__} either: "
                           "start it first with lambdalab.sandbox()")
    return _started_by.trigger(kind)
