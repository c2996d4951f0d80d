"""AWS::SQS::Queue and AWS::SQS::QueuePolicy, through the sandbox's SQS API."""

from __future__ import annotations

import json
from typing import Any

from lambdalab.cloudformation.providers.base import BaseProvider
from lambdalab.cloudformation.resources import Created, ProviderContext, ResourceState

_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "DeduplicationScope",
    "FifoThroughputLimit",
)


def _attributes(properties: dict[str, Any]) -> dict[str, str]:
    attributes = {}
    for key in _ATTRIBUTES:
        if key in properties:
            value = properties[key]
            if isinstance(value, dict):
                value = json.dumps(value)
            elif isinstance(value, bool):
                value = str(value).lower()
            attributes[key] = str(value)
    return attributes


class QueueProvider(BaseProvider):
    resource_type = "AWS::SQS::Queue"
    service = "sqs"
    attributes = frozenset({"Arn", "QueueName", "QueueUrl"})
    allowed = frozenset({*_ATTRIBUTES, "QueueName", "Tags"})
    replace_on = ("QueueName", "FifoQueue")

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        fifo = str(properties.get("FifoQueue", "")).lower() == "true"
        name = properties.get("QueueName") or ctx.physical_name(80, suffix=".fifo" if fifo else "")
        request: dict[str, Any] = {"QueueName": name, "Attributes": _attributes(properties)}
        if properties.get("Tags"):
            request["tags"] = {t["Key"]: str(t["Value"]) for t in properties["Tags"]}
        url = ctx.call("sqs", "create_queue", **request)["QueueUrl"]
        arn = ctx.call("sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return Created(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        self.check(ctx, properties)
        attributes = _attributes(properties)
        attributes.pop("FifoQueue", None)
        if "RedrivePolicy" in resource.properties and "RedrivePolicy" not in properties:
            attributes["RedrivePolicy"] = ""
        if attributes:
            ctx.call("sqs", "set_queue_attributes", QueueUrl=resource.physical_id, Attributes=attributes)
        return Created(resource.physical_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(ctx, "sqs", "delete_queue", QueueUrl=resource.physical_id)


class QueuePolicyProvider(BaseProvider):
    resource_type = "AWS::SQS::QueuePolicy"
    service = "sqs"
    attributes = frozenset({"Id"})
    allowed = frozenset({"PolicyDocument", "Queues"})
    required = ("PolicyDocument", "Queues")

    def _apply(self, ctx: ProviderContext, queues: list[str], document: Any) -> None:
        policy = document if isinstance(document, str) else json.dumps(document)
        for url in queues:
            ctx.call("sqs", "set_queue_attributes", QueueUrl=url, Attributes={"Policy": policy})

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        self._apply(ctx, list(properties["Queues"]), properties["PolicyDocument"])
        name = ctx.physical_name(64)
        return Created(name, {"Id": name})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        self.check(ctx, properties)
        for url in set(resource.properties.get("Queues") or []) - set(properties["Queues"]):
            self.tolerant(ctx, "sqs", "set_queue_attributes", QueueUrl=url, Attributes={"Policy": ""})
        self._apply(ctx, list(properties["Queues"]), properties["PolicyDocument"])
        return Created(resource.physical_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        for url in resource.properties.get("Queues") or []:
            self.tolerant(ctx, "sqs", "set_queue_attributes", QueueUrl=url, Attributes={"Policy": ""})


PROVIDERS = (QueueProvider, QueuePolicyProvider)
