"""AWS::Scheduler::Schedule, created through the ``scheduler`` API so the sandbox's scheduler fires it."""

from __future__ import annotations

from typing import Any

from lambdalab.cloudformation.providers.base import BaseProvider
from lambdalab.cloudformation.resources import Created, ProviderContext, ResourceState

_KEYS = (
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "FlexibleTimeWindow",
    "Target",
    "State",
    "Description",
    "StartDate",
    "EndDate",
    "GroupName",
    "KmsKeyArn",
    "ActionAfterCompletion",
)


class ScheduleProvider(BaseProvider):
    resource_type = "AWS::Scheduler::Schedule"
    service = "scheduler"
    attributes = frozenset({"Arn"})
    allowed = frozenset({*_KEYS, "Name"})
    required = ("ScheduleExpression", "FlexibleTimeWindow", "Target")
    replace_on = ("Name", "GroupName")

    def _request(self, properties: dict[str, Any]) -> dict[str, Any]:
        request = {k: properties[k] for k in _KEYS if k in properties}
        target = dict(request["Target"])
        if isinstance(target.get("RetryPolicy"), dict):
            target["RetryPolicy"] = {k: int(v) for k, v in target["RetryPolicy"].items()}
        request["Target"] = target
        return request

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        name = properties.get("Name") or ctx.physical_name(64)
        arn = ctx.call("scheduler", "create_schedule", Name=name, **self._request(properties))["ScheduleArn"]
        return Created(name, {"Arn": arn})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        self.check(ctx, properties)
        ctx.call("scheduler", "update_schedule", Name=resource.physical_id, **self._request(properties))
        return Created(resource.physical_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        group = resource.properties.get("GroupName")
        self.tolerant(
            ctx, "scheduler", "delete_schedule", Name=resource.physical_id, **({"GroupName": group} if group else {})
        )


PROVIDERS = (ScheduleProvider,)
