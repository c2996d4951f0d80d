"""Resource providers by CloudFormation type; types without one here fall back to moto's own model.

Each provider module lists its classes in ``PROVIDERS``; :func:`provider_for` finds the one for a type.
"""

from __future__ import annotations

from functools import cache

from lambdalab.cloudformation.providers.base import BaseProvider

_MODULES = ("awslambda", "apigateway", "apigatewayv2", "sqs", "s3", "iam", "dynamodb", "scheduler")


@cache
def registry() -> dict[str, BaseProvider]:
    import importlib

    found: dict[str, BaseProvider] = {}
    for name in _MODULES:
        module = importlib.import_module(f"lambdalab.cloudformation.providers.{name}")
        for provider in module.PROVIDERS:
            found[provider.resource_type] = provider()
    return found


def provider_for(resource_type: str) -> BaseProvider | None:
    """The sandbox's provider for a type, else moto's model wrapped as one, else None (unsupported)."""
    own = registry().get(resource_type)
    if own is not None:
        return own
    from lambdalab.cloudformation.providers.moto_models import MotoModelProvider

    return MotoModelProvider.for_type(resource_type)
