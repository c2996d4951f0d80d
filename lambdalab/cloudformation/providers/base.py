"""What every provider shares: property checks in CloudFormation's words, replacement rules, tolerant deletes."""

from __future__ import annotations

from typing import Any

from lambdalab.aws_facts import Arn
from lambdalab.cloudformation.resources import (
    Created,
    ProviderContext,
    ResourceFailure,
    ResourceState,
    is_not_found,
)


def split_function_arn(name_or_arn: str) -> tuple[str, str | None]:
    """``arn:aws:lambda:r:acct:function:name[:qualifier]`` or ``name[:qualifier]`` → (name, qualifier)."""
    return Arn.name_and_qualifier(name_or_arn)


class BaseProvider:
    """A resource type: the properties it accepts, which of them force a replacement, and its calls."""

    resource_type = ""
    service = ""
    attributes: frozenset[str] = frozenset()
    allowed: frozenset[str] = frozenset()
    required: tuple[str, ...] = ()
    #: properties whose change makes CloudFormation create a new resource and delete the old one
    replace_on: tuple[str, ...] = ()

    def check(self, ctx: ProviderContext, properties: dict[str, Any]) -> None:
        """Refuse unknown or missing properties as CloudFormation's schema validation does."""
        extra = sorted(k for k in properties if k not in self.allowed)
        if extra:
            raise ResourceFailure(
                f"Properties validation failed for resource {ctx.logical_id} with message: "
                f"#: extraneous key [{extra[0]}] is not permitted"
            )
        missing = [k for k in self.required if k not in properties]
        if missing:
            raise ResourceFailure(
                f"Properties validation failed for resource {ctx.logical_id} with message: "
                f"#: required key [{missing[0]}] not found"
            )

    def needs_replacement(self, resource: ResourceState, properties: dict[str, Any]) -> bool:
        return any(resource.properties.get(k) != properties.get(k) for k in self.replace_on)

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:  # pragma: no cover
        raise NotImplementedError

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        return None

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:  # pragma: no cover
        raise NotImplementedError

    @staticmethod
    def tolerant(ctx: ProviderContext, service: str, operation: str, **kwargs: Any) -> None:
        """A delete that succeeds when the thing is already gone, as CloudFormation's deletes do."""
        try:
            ctx.call(service, operation, **kwargs)
        except ResourceFailure as exc:
            if not is_not_found(exc):
                raise
