"""AWS::S3::Bucket (with its notifications, versioning, CORS, lifecycle) and AWS::S3::BucketPolicy.

A bucket's ``NotificationConfiguration`` becomes ``PutBucketNotificationConfiguration``, so the sandbox's
S3 trigger sees it exactly as it sees a learner's boto3 call. Deleting a bucket that still holds objects
fails, as on AWS: empty it first.
"""

from __future__ import annotations

import json
from typing import Any

from lambdalab.cloudformation.providers.base import BaseProvider
from lambdalab.cloudformation.resources import Created, ProviderContext, ResourceState


def _filter(spec: dict[str, Any] | None) -> dict[str, Any]:
    rules = ((spec or {}).get("S3Key") or {}).get("Rules") or []
    return (
        {"Filter": {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}} if rules else {}
    )


def notification_request(configuration: dict[str, Any] | None) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration in the shape of PutBucketNotificationConfiguration."""
    configuration = configuration or {}
    request: dict[str, Any] = {}
    for source, target, arn_key, arn_name in (
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
        ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
        ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn"),
    ):
        items = [
            {arn_name: c[arn_key], "Events": [c["Event"]], **_filter(c.get("Filter"))}
            for c in configuration.get(source) or []
        ]
        if items:
            request[target] = items
    if configuration.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
        request["EventBridgeConfiguration"] = {}
    return request


class BucketProvider(BaseProvider):
    resource_type = "AWS::S3::Bucket"
    service = "s3"
    attributes = frozenset({"Arn", "DomainName", "RegionalDomainName", "WebsiteURL", "DualStackDomainName"})
    allowed = frozenset(
        {
            "BucketName",
            "NotificationConfiguration",
            "VersioningConfiguration",
            "CorsConfiguration",
            "LifecycleConfiguration",
            "Tags",
            "PublicAccessBlockConfiguration",
            "BucketEncryption",
            "OwnershipControls",
            "AccessControl",
            "WebsiteConfiguration",
        }
    )
    replace_on = ("BucketName",)

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        name = properties.get("BucketName") or ctx.physical_name(63, lowercase=True)
        request: dict[str, Any] = {"Bucket": name}
        if ctx.region != "us-east-1":
            request["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
        ctx.call("s3", "create_bucket", **request)
        self._configure(ctx, name, properties, {})
        return Created(
            name,
            {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com",
                "DualStackDomainName": f"{name}.s3.dualstack.{ctx.region}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website-{ctx.region}.amazonaws.com",
            },
        )

    def _configure(self, ctx: ProviderContext, name: str, new: dict[str, Any], old: dict[str, Any]) -> None:
        if new.get("VersioningConfiguration") != old.get("VersioningConfiguration") and new.get(
            "VersioningConfiguration"
        ):
            ctx.call(
                "s3",
                "put_bucket_versioning",
                Bucket=name,
                VersioningConfiguration={"Status": new["VersioningConfiguration"]["Status"]},
            )
        if new.get("CorsConfiguration") != old.get("CorsConfiguration") and new.get("CorsConfiguration"):
            rules = [
                {
                    k: v
                    for k, v in r.items()
                    if k in ("AllowedHeaders", "AllowedMethods", "AllowedOrigins", "ExposedHeaders", "MaxAge", "Id")
                }
                for r in new["CorsConfiguration"].get("CorsRules", [])
            ]
            for rule in rules:
                if "ExposedHeaders" in rule:
                    rule["ExposeHeaders"] = rule.pop("ExposedHeaders")
                if "MaxAge" in rule:
                    rule["MaxAgeSeconds"] = int(rule.pop("MaxAge"))
                if "Id" in rule:
                    rule["ID"] = rule.pop("Id")
            ctx.call("s3", "put_bucket_cors", Bucket=name, CORSConfiguration={"CORSRules": rules})
        if new.get("Tags") != old.get("Tags") and new.get("Tags"):
            ctx.call(
                "s3",
                "put_bucket_tagging",
                Bucket=name,
                Tagging={"TagSet": [{"Key": t["Key"], "Value": str(t["Value"])} for t in new["Tags"]]},
            )
        if new.get("NotificationConfiguration") != old.get("NotificationConfiguration"):
            ctx.call(
                "s3",
                "put_bucket_notification_configuration",
                Bucket=name,
                NotificationConfiguration=notification_request(new.get("NotificationConfiguration")),
            )

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        self.check(ctx, properties)
        self._configure(ctx, resource.physical_id, properties, resource.properties)
        return Created(resource.physical_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(ctx, "s3", "delete_bucket", Bucket=resource.physical_id)


class BucketPolicyProvider(BaseProvider):
    resource_type = "AWS::S3::BucketPolicy"
    service = "s3"
    attributes = frozenset()
    allowed = frozenset({"Bucket", "PolicyDocument"})
    required = ("Bucket", "PolicyDocument")
    replace_on = ("Bucket",)

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        document = properties["PolicyDocument"]
        ctx.call(
            "s3",
            "put_bucket_policy",
            Bucket=properties["Bucket"],
            Policy=document if isinstance(document, str) else json.dumps(document),
        )
        return Created(ctx.physical_name(64), {})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        created = self.create(ctx, properties)
        return Created(resource.physical_id, created.attributes)

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(ctx, "s3", "delete_bucket_policy", Bucket=resource.properties["Bucket"])


PROVIDERS = (BucketProvider, BucketPolicyProvider)
