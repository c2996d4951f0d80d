"""AWS::ApiGateway::RestApi (incl. the Swagger ``Body`` SAM emits for an ``Api`` event), Deployment, Stage.

moto's ``PutRestApi`` import refuses Swagger 2.0, which is what SAM generates for REST APIs, so the provider
reads the body as API Gateway's import does — a resource per path segment, a method per operation
(``x-amazon-apigateway-any-method`` is ``ANY``), its ``x-amazon-apigateway-integration`` — and creates them
through the sandbox's ``apigateway`` API, where the API Gateway front door serves them
(``lambdalab.api_url(rest_api_id, stage)``).
"""

from __future__ import annotations

import json
from typing import Any

from lambdalab.cloudformation.providers.base import BaseProvider
from lambdalab.cloudformation.resources import Created, ProviderContext, ResourceFailure, ResourceState

_ANY = "x-amazon-apigateway-any-method"
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", _ANY}


def operations_of(body: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, HTTP method, operation) for every operation of a Swagger/OpenAPI body."""
    found = []
    for path, operations in (body.get("paths") or {}).items():
        for method, operation in (operations or {}).items():
            if method.lower() in _METHODS and isinstance(operation, dict):
                found.append((path, "ANY" if method.lower() == _ANY else method.upper(), operation))
    return found


class RestApiProvider(BaseProvider):
    resource_type = "AWS::ApiGateway::RestApi"
    service = "apigateway"
    attributes = frozenset({"RestApiId", "RootResourceId"})
    allowed = frozenset(
        {
            "Name",
            "Body",
            "BodyS3Location",
            "Description",
            "EndpointConfiguration",
            "Tags",
            "BinaryMediaTypes",
            "ApiKeySourceType",
            "MinimumCompressionSize",
            "Policy",
            "Mode",
            "FailOnWarnings",
            "Parameters",
            "DisableExecuteApiEndpoint",
            "CloneFrom",
        }
    )

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        if "BodyS3Location" in properties:
            raise ResourceFailure(
                "BodyS3Location is not supported by the sandbox: inline the API definition as "
                "Body (SAM does this for DefinitionBody)."
            )
        body = properties.get("Body")
        if isinstance(body, str):
            body = json.loads(body)
        name = properties.get("Name") or (body or {}).get("info", {}).get("title") or ctx.physical_name(128)
        request: dict[str, Any] = {"name": name}
        if properties.get("Description"):
            request["description"] = properties["Description"]
        if properties.get("BinaryMediaTypes"):
            request["binaryMediaTypes"] = list(properties["BinaryMediaTypes"])
        if properties.get("EndpointConfiguration"):
            request["endpointConfiguration"] = {"types": properties["EndpointConfiguration"].get("Types", [])}
        api = ctx.call("apigateway", "create_rest_api", **request)
        if body:
            self._import(ctx, api["id"], body)
        return Created(api["id"], {"RestApiId": api["id"], "RootResourceId": api.get("rootResourceId", "")})

    def _import(self, ctx: ProviderContext, api_id: str, body: dict[str, Any]) -> None:
        resources = {r["path"]: r["id"] for r in ctx.call("apigateway", "get_resources", restApiId=api_id)["items"]}
        for path, method, operation in sorted(operations_of(body), key=lambda found: found[0]):
            resource_id = self._resource(ctx, api_id, resources, path)
            ctx.call(
                "apigateway",
                "put_method",
                restApiId=api_id,
                resourceId=resource_id,
                httpMethod=method,
                authorizationType="NONE",
            )
            integration = operation.get("x-amazon-apigateway-integration")
            if integration:
                request = {
                    "type": str(integration.get("type", "aws_proxy")).upper(),
                    "integrationHttpMethod": integration.get("httpMethod", "POST"),
                    "uri": integration.get("uri", ""),
                }
                if integration.get("timeoutInMillis"):
                    request["timeoutInMillis"] = int(integration["timeoutInMillis"])
                ctx.call(
                    "apigateway",
                    "put_integration",
                    restApiId=api_id,
                    resourceId=resource_id,
                    httpMethod=method,
                    **request,
                )

    def _resource(self, ctx: ProviderContext, api_id: str, resources: dict[str, str], path: str) -> str:
        """The id of the resource for ``path``, creating it and its missing parents."""
        if path in resources:
            return resources[path]
        parent_path = path.rsplit("/", 1)[0] or "/"
        parent = self._resource(ctx, api_id, resources, parent_path)
        created = ctx.call(
            "apigateway", "create_resource", restApiId=api_id, parentId=parent, pathPart=path.rsplit("/", 1)[1]
        )
        resources[path] = created["id"]
        return created["id"]

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        self.check(ctx, properties)
        api_id = resource.physical_id
        body = properties.get("Body")
        if isinstance(body, str):
            body = json.loads(body)
        if body is not None and body != resource.properties.get("Body"):  # the body replaces every resource
            for item in ctx.call("apigateway", "get_resources", restApiId=api_id)["items"]:
                if item["path"].count("/") == 1 and item["path"] != "/":
                    self.tolerant(ctx, "apigateway", "delete_resource", restApiId=api_id, resourceId=item["id"])
            self._import(ctx, api_id, body)
        return Created(api_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(ctx, "apigateway", "delete_rest_api", restApiId=resource.physical_id)


class DeploymentProvider(BaseProvider):
    resource_type = "AWS::ApiGateway::Deployment"
    service = "apigateway"
    attributes = frozenset({"DeploymentId"})
    allowed = frozenset({"RestApiId", "Description", "StageName", "StageDescription", "DeploymentCanarySettings"})
    required = ("RestApiId",)
    replace_on = ("RestApiId", "StageName", "Description")

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        request = {"restApiId": properties["RestApiId"]}
        if properties.get("StageName"):
            request["stageName"] = properties["StageName"]
        if properties.get("Description"):
            request["description"] = properties["Description"]
        deployment = ctx.call("apigateway", "create_deployment", **request)
        return Created(deployment["id"], {"DeploymentId": deployment["id"]})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        return (
            None
            if self.needs_replacement(resource, properties)
            else Created(resource.physical_id, dict(resource.attributes))
        )

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        api_id = resource.properties["RestApiId"]
        if resource.properties.get("StageName"):  # the stage this deployment created goes with it
            self.tolerant(
                ctx, "apigateway", "delete_stage", restApiId=api_id, stageName=resource.properties["StageName"]
            )
        self.tolerant(ctx, "apigateway", "delete_deployment", restApiId=api_id, deploymentId=resource.physical_id)


class StageProvider(BaseProvider):
    resource_type = "AWS::ApiGateway::Stage"
    service = "apigateway"
    attributes = frozenset()
    allowed = frozenset(
        {
            "RestApiId",
            "StageName",
            "DeploymentId",
            "Description",
            "Variables",
            "MethodSettings",
            "TracingEnabled",
            "CacheClusterEnabled",
            "CacheClusterSize",
            "AccessLogSetting",
            "Tags",
            "CanarySetting",
            "ClientCertificateId",
            "DocumentationVersion",
        }
    )
    required = ("RestApiId",)
    replace_on = ("RestApiId", "StageName")

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        name = properties.get("StageName") or ctx.physical_name(128)
        request: dict[str, Any] = {
            "restApiId": properties["RestApiId"],
            "stageName": name,
            "deploymentId": properties.get("DeploymentId", ""),
        }
        if properties.get("Variables"):
            request["variables"] = {k: str(v) for k, v in properties["Variables"].items()}
        if properties.get("Description"):
            request["description"] = properties["Description"]
        ctx.call("apigateway", "create_stage", **request)
        return Created(name, {})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        operations = []
        if properties.get("DeploymentId") != resource.properties.get("DeploymentId"):
            operations.append({"op": "replace", "path": "/deploymentId", "value": properties["DeploymentId"]})
        for key, value in (properties.get("Variables") or {}).items():
            operations.append({"op": "replace", "path": f"/variables/{key}", "value": str(value)})
        if operations:
            ctx.call(
                "apigateway",
                "update_stage",
                restApiId=properties["RestApiId"],
                stageName=resource.physical_id,
                patchOperations=operations,
            )
        return Created(resource.physical_id, {})

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(
            ctx,
            "apigateway",
            "delete_stage",
            restApiId=resource.properties["RestApiId"],
            stageName=resource.physical_id,
        )


PROVIDERS = (RestApiProvider, DeploymentProvider, StageProvider)
