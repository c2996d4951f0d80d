"""AWS::IAM::Role with its inline policies and ManagedPolicyArns (which moto's CloudFormation drops)."""

from __future__ import annotations

import json
from typing import Any

from lambdalab.cloudformation.providers.base import BaseProvider
from lambdalab.cloudformation.resources import Created, ProviderContext, ResourceState


def _json(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def _policy(document: Any) -> str:
    """An inline policy. AWS accepts one without ``Version`` (SAM's policy templates emit none); moto's IAM
    refuses it, so the sandbox adds ``"Version": "2012-10-17"`` (which only changes policy variables)."""
    if isinstance(document, dict) and "Version" not in document:
        document = {"Version": "2012-10-17", **document}
    return _json(document)


class RoleProvider(BaseProvider):
    resource_type = "AWS::IAM::Role"
    service = "iam"
    attributes = frozenset({"Arn", "RoleId", "RoleName"})
    allowed = frozenset(
        {
            "AssumeRolePolicyDocument",
            "ManagedPolicyArns",
            "Policies",
            "Path",
            "RoleName",
            "Description",
            "MaxSessionDuration",
            "PermissionsBoundary",
            "Tags",
        }
    )
    required = ("AssumeRolePolicyDocument",)
    replace_on = ("RoleName", "Path")

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        name = properties.get("RoleName") or ctx.physical_name(64)
        request: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": _json(properties["AssumeRolePolicyDocument"]),
        }
        for key in ("Path", "Description", "MaxSessionDuration", "PermissionsBoundary"):
            if key in properties:
                request[key] = properties[key]
        if properties.get("Tags"):
            request["Tags"] = [{"Key": t["Key"], "Value": str(t["Value"])} for t in properties["Tags"]]
        role = ctx.call("iam", "create_role", **request)["Role"]
        self._policies(ctx, name, properties, {})
        return Created(name, {"Arn": role["Arn"], "RoleId": role["RoleId"], "RoleName": name})

    def _policies(self, ctx: ProviderContext, name: str, new: dict[str, Any], old: dict[str, Any]) -> None:
        wanted, had = set(new.get("ManagedPolicyArns") or []), set(old.get("ManagedPolicyArns") or [])
        for arn in sorted(had - wanted):
            self.tolerant(ctx, "iam", "detach_role_policy", RoleName=name, PolicyArn=arn)
        for arn in sorted(wanted - had):
            ctx.call("iam", "attach_role_policy", RoleName=name, PolicyArn=arn)
        inline = {p["PolicyName"]: p["PolicyDocument"] for p in new.get("Policies") or []}
        for policy in old.get("Policies") or []:
            if policy["PolicyName"] not in inline:
                self.tolerant(ctx, "iam", "delete_role_policy", RoleName=name, PolicyName=policy["PolicyName"])
        for policy_name, document in inline.items():
            ctx.call("iam", "put_role_policy", RoleName=name, PolicyName=policy_name, PolicyDocument=_policy(document))

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        self.check(ctx, properties)
        name = resource.physical_id
        if properties["AssumeRolePolicyDocument"] != resource.properties.get("AssumeRolePolicyDocument"):
            ctx.call(
                "iam",
                "update_assume_role_policy",
                RoleName=name,
                PolicyDocument=_json(properties["AssumeRolePolicyDocument"]),
            )
        self._policies(ctx, name, properties, resource.properties)
        return Created(name, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        name = resource.physical_id
        for arn in resource.properties.get("ManagedPolicyArns") or []:
            self.tolerant(ctx, "iam", "detach_role_policy", RoleName=name, PolicyArn=arn)
        for policy in resource.properties.get("Policies") or []:
            self.tolerant(ctx, "iam", "delete_role_policy", RoleName=name, PolicyName=policy["PolicyName"])
        self.tolerant(ctx, "iam", "delete_role", RoleName=name)


PROVIDERS = (RoleProvider,)
