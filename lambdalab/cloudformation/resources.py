"""What a stack remembers about each resource, and what a provider is given to create one.

Providers create resources through the same service APIs a learner calls — boto3 against the sandbox —
so every check the sandbox makes on a ``CreateFunction`` or a ``CreateEventSourceMapping`` applies to a
template too, and a refused call fails the resource with the service's own error, in the shape
CloudFormation's resource handlers report it::

    Resource handler returned message: "… (Service: Lambda, Status Code: 400, Request ID: …)"
    (RequestToken: …, HandlerErrorCode: InvalidRequest)
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from moto.core.utils import utcnow

#: The names AWS's resource handlers give the services in their messages (the Java SDK's names).
_SERVICE_NAMES = {
    "lambda": "Lambda",
    "sqs": "Sqs",
    "s3": "S3",
    "iam": "Iam",
    "dynamodb": "DynamoDb",
    "apigatewayv2": "ApiGatewayV2",
    "scheduler": "Scheduler",
    "events": "EventBridge",
    "sns": "Sns",
    "logs": "CloudWatchLogs",
}
_HANDLER_ERROR_CODES = {
    400: "InvalidRequest",
    403: "AccessDenied",
    404: "NotFound",
    409: "AlreadyExists",
    429: "Throttling",
}


class ResourceFailure(Exception):
    """A resource CloudFormation could not create, update or delete; ``str()`` is its status reason."""


@dataclass
class ResourceState:
    """One resource of a stack: what moto's DescribeStackResources shows, and what later steps resolve."""

    logical_id: str
    resource_type: str
    properties: dict[str, Any]
    physical_id: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    status: str = "CREATE_IN_PROGRESS"
    status_reason: str | None = None
    definition: dict[str, Any] = field(default_factory=dict)
    handle: Any = None  # provider-specific (moto's own model object, for resources moto creates)
    updated_at: Any = field(default_factory=utcnow)

    # moto's response classes read these names
    @property
    def logical_resource_id(self) -> str:
        return self.logical_id

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    @property
    def cf_resource_type(self) -> str:
        return self.resource_type


@dataclass(frozen=True)
class Created:
    """What a provider made: its physical id (what ``Ref`` returns) and its ``Fn::GetAtt`` attributes."""

    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProviderContext:
    """Everything a provider may use: boto3 clients for the sandbox and the names CloudFormation gives."""

    stack_name: str
    stack_id: str
    logical_id: str
    region: str
    account_id: str
    client: Callable[[str], Any]

    def physical_name(self, max_length: int = 64, *, lowercase: bool = False, suffix: str = "") -> str:
        """A name like CloudFormation's: ``{stack}-{logical id}-{13 random characters}``, shortened to fit."""
        alphabet = string.ascii_lowercase + string.digits if lowercase else string.ascii_uppercase + string.digits
        tail = "".join(random.choice(alphabet) for _ in range(12))
        room = max_length - len(tail) - len(suffix) - 2
        stack_part = self.stack_name[: max(1, room // 2)]
        logical_part = self.logical_id[: max(1, room - len(stack_part))]
        name = f"{stack_part}-{logical_part}-{tail}{suffix}"
        return name.lower() if lowercase else name

    def call(self, service: str, operation: str, **kwargs: Any) -> Any:
        """One API call; a refusal becomes :class:`ResourceFailure` worded as CloudFormation's handlers do."""
        from botocore.exceptions import ClientError, ParamValidationError

        try:
            return getattr(self.client(service), operation)(**kwargs)
        except ClientError as exc:
            raise ResourceFailure(handler_message(service, exc)) from None
        except ParamValidationError as exc:
            raise ResourceFailure(
                f"Properties validation failed for resource {self.logical_id} with message: "
                f"{str(exc).splitlines()[-1].strip()}"
            ) from None


def handler_message(service: str, error: Any) -> str:
    """``Resource handler returned message: "…"`` with the service's error, as AWS words a failed resource."""
    response = getattr(error, "response", {}) or {}
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
    message = response.get("Error", {}).get("Message") or str(error)
    request_id = response.get("ResponseMetadata", {}).get("RequestId") or str(uuid.uuid4())
    name = _SERVICE_NAMES.get(service, service.capitalize())
    code = _HANDLER_ERROR_CODES.get(status, "GeneralServiceException")
    return (
        f'Resource handler returned message: "{message} (Service: {name}, Status Code: {status}, '
        f'Request ID: {request_id})" (RequestToken: {uuid.uuid4()}, HandlerErrorCode: {code})'
    )


def is_not_found(error: Exception) -> bool:
    """Whether a failed call says the thing is already gone (a delete then succeeds, as on AWS)."""
    text = str(error)
    return any(
        marker in text
        for marker in ("NotFound", "NoSuch", "does not exist", "not found", "Status Code: 404", "NonExistent")
    )


class Provider(Protocol):
    """Creates, updates and deletes one resource type through the sandbox's APIs."""

    #: attributes ``Fn::GetAtt`` may ask for (others are refused up front, as CloudFormation does)
    attributes: frozenset[str]

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created: ...

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        """Apply new properties in place, or return None when the change needs a replacement."""
        ...

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None: ...
