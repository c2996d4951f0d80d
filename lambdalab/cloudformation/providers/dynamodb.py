"""AWS::DynamoDB::Table through the sandbox's DynamoDB API (what SAM's SimpleTable becomes)."""

from __future__ import annotations

from typing import Any

from lambdalab.cloudformation.providers.base import BaseProvider
from lambdalab.cloudformation.resources import Created, ProviderContext, ResourceState

_CREATE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "StreamSpecification",
    "SSESpecification",
    "TableClass",
    "DeletionProtectionEnabled",
)


class TableProvider(BaseProvider):
    resource_type = "AWS::DynamoDB::Table"
    service = "dynamodb"
    attributes = frozenset({"Arn", "StreamArn"})
    allowed = frozenset(
        {
            *_CREATE_KEYS,
            "TableName",
            "Tags",
            "TimeToLiveSpecification",
            "PointInTimeRecoverySpecification",
            "ContributorInsightsSpecification",
            "KinesisStreamSpecification",
            "ImportSourceSpecification",
            "OnDemandThroughput",
            "ResourcePolicy",
            "WarmThroughput",
        }
    )
    required = ("KeySchema",)
    replace_on = ("TableName", "KeySchema", "LocalSecondaryIndexes")

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        name = properties.get("TableName") or ctx.physical_name(255)
        request = {k: properties[k] for k in _CREATE_KEYS if k in properties}
        request["TableName"] = name
        request.setdefault("BillingMode", "PROVISIONED" if "ProvisionedThroughput" in properties else "PAY_PER_REQUEST")
        if properties.get("SSESpecification"):
            request["SSESpecification"] = {
                k: v for k, v in properties["SSESpecification"].items() if k in ("Enabled", "SSEType", "KMSMasterKeyId")
            }
        if properties.get("Tags"):
            request["Tags"] = [{"Key": t["Key"], "Value": str(t["Value"])} for t in properties["Tags"]]
        table = ctx.call("dynamodb", "create_table", **request)["TableDescription"]
        if properties.get("TimeToLiveSpecification"):
            ctx.call(
                "dynamodb",
                "update_time_to_live",
                TableName=name,
                TimeToLiveSpecification=properties["TimeToLiveSpecification"],
            )
        return Created(name, {"Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn", "")})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        self.check(ctx, properties)
        name = resource.physical_id
        if properties.get("TimeToLiveSpecification") != resource.properties.get(
            "TimeToLiveSpecification"
        ) and properties.get("TimeToLiveSpecification"):
            ctx.call(
                "dynamodb",
                "update_time_to_live",
                TableName=name,
                TimeToLiveSpecification=properties["TimeToLiveSpecification"],
            )
        return Created(name, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(ctx, "dynamodb", "delete_table", TableName=resource.physical_id)


PROVIDERS = (TableProvider,)
