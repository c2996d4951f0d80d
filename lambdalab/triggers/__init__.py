"""Triggers turn the outside world into invocations, each with AWS's event shape and retry rules.

Every trigger is a small plugin of the sandbox with the same life cycle: ``start(box)`` when the sandbox
starts, ``reset()`` when it is reset between exercises, ``stop()`` when it stops. The sandbox starts the
ones listed in :data:`TRIGGERS` (module paths, imported on start so an unused trigger costs nothing).
A trigger reaches Lambda only through the sandbox's ``LambdaService``: ``box.lambda_service.invoke(...)``
for a synchronous source (API Gateway, function URLs, SQS pollers) and
``lambdalab.service.async_invoke.enqueue(...)`` for an asynchronous one (S3, EventBridge).
"""

from __future__ import annotations

import importlib
from typing import Protocol


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


def start_all(box: object) -> list[Trigger]:
    started: list[Trigger] = []
    for spec in TRIGGERS:
        module, _, attribute = spec.partition(":")
        trigger = getattr(importlib.import_module(module), attribute)()
        trigger.start(box)
        started.append(trigger)
    return started
