"""Resource types the sandbox has no provider for, created by moto's own CloudFormation model if it has one.

moto models many types (SNS topics, EventBridge rules, log groups, KMS keys, …) well enough for a course
stack; those are created in moto's backends directly, with the properties already resolved by the engine.
A type moto does not model either has no provider, and the resource fails with a clear reason.
"""

from __future__ import annotations

from typing import Any

from lambdalab.cloudformation.providers.base import BaseProvider
from lambdalab.cloudformation.resources import Created, ProviderContext, ResourceFailure, ResourceState


class MotoModelProvider(BaseProvider):
    """A moto ``CloudFormationModel`` class behind the provider interface."""

    def __init__(self, model: type) -> None:
        self.model = model
        self.resource_type = model.cloudformation_type()

    @classmethod
    def for_type(cls, resource_type: str) -> MotoModelProvider | None:
        from moto.cloudformation.parsing import get_model_map

        if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
            return None
        model = get_model_map().get(resource_type)
        return cls(model) if model is not None else None

    @property
    def attributes(self) -> frozenset[str]:  # type: ignore[override]
        return frozenset()

    def _name(self, ctx: ProviderContext, properties: dict[str, Any]) -> str:
        from moto.cloudformation.parsing import generate_resource_name

        name_property = self.model.cloudformation_name_type()
        if name_property and properties.get(name_property):
            return str(properties[name_property])
        return generate_resource_name(self.resource_type, ctx.stack_name, ctx.logical_id)

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        try:
            instance = self.model.create_from_cloudformation_json(
                self._name(ctx, properties),
                {"Type": self.resource_type, "Properties": properties},
                ctx.account_id,
                ctx.region,
                LogicalId=ctx.logical_id,
                StackId=ctx.stack_id,
                ResourceType=self.resource_type,
            )
        except Exception as exc:  # noqa: BLE001 - moto's error, as the resource's status reason
            raise ResourceFailure(_message(exc)) from None
        instance.logical_resource_id = ctx.logical_id
        created = _CreatedWithHandle(str(getattr(instance, "physical_resource_id", "") or ""), {})
        object.__setattr__(created, "handle", instance)
        return created

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if hasattr(self.model.update_from_cloudformation_json, "__isabstractmethod__"):
            return None
        try:
            instance = self.model.update_from_cloudformation_json(
                original_resource=resource.handle,
                new_resource_name=self._name(ctx, properties),
                cloudformation_json={"Type": self.resource_type, "Properties": properties},
                account_id=ctx.account_id,
                region_name=ctx.region,
            )
        except Exception as exc:  # noqa: BLE001
            raise ResourceFailure(_message(exc)) from None
        created = _CreatedWithHandle(str(getattr(instance, "physical_resource_id", "") or ""), {})
        object.__setattr__(created, "handle", instance)
        return created

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        try:
            if resource.handle is not None and hasattr(resource.handle, "delete"):
                try:
                    resource.handle.delete(ctx.account_id, ctx.region)
                    return
                except (TypeError, AttributeError):
                    pass
            if not hasattr(self.model.delete_from_cloudformation_json, "__isabstractmethod__"):
                self.model.delete_from_cloudformation_json(
                    resource.physical_id,
                    {"Type": self.resource_type, "Properties": resource.properties},
                    ctx.account_id,
                    ctx.region,
                )
        except Exception as exc:  # noqa: BLE001 - already gone is fine; anything else fails the delete
            if "not" in str(exc).lower() and "found" in str(exc).lower():
                return
            raise ResourceFailure(_message(exc)) from None


class _CreatedWithHandle(Created):
    handle: Any = None


def _message(exc: Exception) -> str:
    return str(getattr(exc, "message", "") or exc) or type(exc).__name__
