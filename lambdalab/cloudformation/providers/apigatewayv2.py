"""AWS::ApiGatewayV2::Api (incl. the inline OpenAPI ``Body`` SAM emits for an HttpApi), Stage, Route, Integration.

moto stores HTTP APIs but its OpenAPI import reads only plain methods; SAM's body uses
``x-amazon-apigateway-any-method`` and a ``$default`` path too. The provider reads the body as API Gateway
does — one route per path and method, each with the AWS_PROXY integration named in
``x-amazon-apigateway-integration`` — and creates them through the sandbox's ``apigatewayv2`` API, so the
API Gateway front door serves the routes (``lambdalab.api_url(api_id)``).
"""

from __future__ import annotations

import json
from typing import Any

from lambdalab.cloudformation.providers.base import BaseProvider
from lambdalab.cloudformation.resources import Created, ProviderContext, ResourceFailure, ResourceState

_ANY = "x-amazon-apigateway-any-method"
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", _ANY}


def routes_of(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(route key, integration) for every operation of an OpenAPI body that has an integration."""
    found = []
    for path, operations in (body.get("paths") or {}).items():
        for method, operation in (operations or {}).items():
            if method.lower() not in _METHODS or not isinstance(operation, dict):
                continue
            integration = operation.get("x-amazon-apigateway-integration")
            if not integration:
                continue
            verb = "ANY" if method.lower() == _ANY else method.upper()
            found.append(("$default" if path == "$default" else f"{verb} {path}", integration))
    return found


def _integration_request(integration: dict[str, Any]) -> dict[str, Any]:
    request = {
        "IntegrationType": str(integration.get("type", "aws_proxy")).upper(),
        "IntegrationUri": integration.get("uri", ""),
        "IntegrationMethod": integration.get("httpMethod", "POST"),
        "PayloadFormatVersion": str(integration.get("payloadFormatVersion", "2.0")),
    }
    if integration.get("timeoutInMillis"):
        request["TimeoutInMillis"] = int(integration["timeoutInMillis"])
    return request


class ApiProvider(BaseProvider):
    resource_type = "AWS::ApiGatewayV2::Api"
    service = "apigatewayv2"
    attributes = frozenset({"ApiEndpoint", "ApiId"})
    allowed = frozenset(
        {
            "Name",
            "ProtocolType",
            "Body",
            "BodyS3Location",
            "CorsConfiguration",
            "Description",
            "Tags",
            "Target",
            "RouteKey",
            "RouteSelectionExpression",
            "DisableExecuteApiEndpoint",
            "FailOnWarnings",
            "Version",
            "CredentialsArn",
            "ApiKeySelectionExpression",
            "DisableSchema",
            "BasePath",
            "IpAddressType",
        }
    )
    replace_on = ("ProtocolType",)

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        if "BodyS3Location" in properties:
            raise ResourceFailure(
                "BodyS3Location is not supported by the sandbox: inline the OpenAPI document as "
                "Body (SAM does this for DefinitionBody)."
            )
        body = properties.get("Body")
        if isinstance(body, str):
            body = json.loads(body)
        request: dict[str, Any] = {
            "Name": properties.get("Name") or (body or {}).get("info", {}).get("title") or ctx.physical_name(128),
            "ProtocolType": properties.get("ProtocolType", "HTTP"),
        }
        for key in (
            "CorsConfiguration",
            "Description",
            "Target",
            "RouteKey",
            "RouteSelectionExpression",
            "DisableExecuteApiEndpoint",
            "Version",
            "CredentialsArn",
        ):
            if key in properties:
                request[key] = properties[key]
        if body and body.get("x-amazon-apigateway-cors") and "CorsConfiguration" not in request:
            request["CorsConfiguration"] = {
                k[:1].upper() + k[1:]: v for k, v in body["x-amazon-apigateway-cors"].items()
            }
        if isinstance(properties.get("Tags"), dict):
            request["Tags"] = {k: str(v) for k, v in properties["Tags"].items()}
        api = ctx.call("apigatewayv2", "create_api", **request)
        if body:
            self._import(ctx, api["ApiId"], body)
        return Created(api["ApiId"], {"ApiId": api["ApiId"], "ApiEndpoint": api.get("ApiEndpoint", "")})

    def _import(self, ctx: ProviderContext, api_id: str, body: dict[str, Any]) -> None:
        for route_key, integration in routes_of(body):
            created = ctx.call("apigatewayv2", "create_integration", ApiId=api_id, **_integration_request(integration))
            ctx.call(
                "apigatewayv2",
                "create_route",
                ApiId=api_id,
                RouteKey=route_key,
                Target=f"integrations/{created['IntegrationId']}",
            )

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        self.check(ctx, properties)
        api_id = resource.physical_id
        body = properties.get("Body")
        if isinstance(body, str):
            body = json.loads(body)
        if body != resource.properties.get("Body") and body is not None:
            # reimport: the body replaces every route and integration
            for route in ctx.call("apigatewayv2", "get_routes", ApiId=api_id).get("Items", []):
                self.tolerant(ctx, "apigatewayv2", "delete_route", ApiId=api_id, RouteId=route["RouteId"])
            for integration in ctx.call("apigatewayv2", "get_integrations", ApiId=api_id).get("Items", []):
                self.tolerant(
                    ctx, "apigatewayv2", "delete_integration", ApiId=api_id, IntegrationId=integration["IntegrationId"]
                )
            self._import(ctx, api_id, body)
        return Created(api_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(ctx, "apigatewayv2", "delete_api", ApiId=resource.physical_id)


class StageProvider(BaseProvider):
    resource_type = "AWS::ApiGatewayV2::Stage"
    service = "apigatewayv2"
    attributes = frozenset()
    allowed = frozenset(
        {
            "ApiId",
            "StageName",
            "AutoDeploy",
            "StageVariables",
            "DefaultRouteSettings",
            "RouteSettings",
            "AccessLogSettings",
            "Description",
            "Tags",
            "DeploymentId",
            "ClientCertificateId",
            "AccessPolicyId",
        }
    )
    required = ("ApiId", "StageName")
    replace_on = ("ApiId", "StageName")
    _KEYS = (
        "AutoDeploy",
        "StageVariables",
        "DefaultRouteSettings",
        "RouteSettings",
        "AccessLogSettings",
        "Description",
        "DeploymentId",
        "ClientCertificateId",
    )

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        request = {k: properties[k] for k in self._KEYS if k in properties}
        if isinstance(properties.get("Tags"), dict):
            request["Tags"] = {k: str(v) for k, v in properties["Tags"].items()}
        ctx.call(
            "apigatewayv2", "create_stage", ApiId=properties["ApiId"], StageName=properties["StageName"], **request
        )
        return Created(properties["StageName"], {})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        request = {k: properties[k] for k in self._KEYS if k in properties}
        ctx.call(
            "apigatewayv2", "update_stage", ApiId=properties["ApiId"], StageName=properties["StageName"], **request
        )
        return Created(resource.physical_id, {})

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(
            ctx, "apigatewayv2", "delete_stage", ApiId=resource.properties["ApiId"], StageName=resource.physical_id
        )


class IntegrationProvider(BaseProvider):
    resource_type = "AWS::ApiGatewayV2::Integration"
    service = "apigatewayv2"
    attributes = frozenset({"IntegrationId"})
    allowed = frozenset(
        {
            "ApiId",
            "IntegrationType",
            "IntegrationUri",
            "IntegrationMethod",
            "PayloadFormatVersion",
            "TimeoutInMillis",
            "Description",
            "ConnectionType",
            "CredentialsArn",
            "RequestParameters",
            "ResponseParameters",
            "ConnectionId",
            "IntegrationSubtype",
            "PassthroughBehavior",
            "RequestTemplates",
            "TemplateSelectionExpression",
            "TlsConfig",
            "ContentHandlingStrategy",
        }
    )
    required = ("ApiId", "IntegrationType")
    replace_on = ("ApiId",)

    def _request(self, properties: dict[str, Any]) -> dict[str, Any]:
        return {k: properties[k] for k in self.allowed if k in properties and k != "ApiId"}

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        created = ctx.call("apigatewayv2", "create_integration", ApiId=properties["ApiId"], **self._request(properties))
        return Created(created["IntegrationId"], {"IntegrationId": created["IntegrationId"]})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        ctx.call(
            "apigatewayv2",
            "update_integration",
            ApiId=properties["ApiId"],
            IntegrationId=resource.physical_id,
            **self._request(properties),
        )
        return Created(resource.physical_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(
            ctx,
            "apigatewayv2",
            "delete_integration",
            ApiId=resource.properties["ApiId"],
            IntegrationId=resource.physical_id,
        )


class RouteProvider(BaseProvider):
    resource_type = "AWS::ApiGatewayV2::Route"
    service = "apigatewayv2"
    attributes = frozenset({"RouteId"})
    allowed = frozenset(
        {
            "ApiId",
            "RouteKey",
            "Target",
            "AuthorizationType",
            "AuthorizerId",
            "AuthorizationScopes",
            "ApiKeyRequired",
            "OperationName",
            "RequestModels",
            "RequestParameters",
            "RouteResponseSelectionExpression",
            "ModelSelectionExpression",
        }
    )
    required = ("ApiId", "RouteKey")
    replace_on = ("ApiId",)

    def _request(self, properties: dict[str, Any]) -> dict[str, Any]:
        return {k: properties[k] for k in self.allowed if k in properties and k != "ApiId"}

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        created = ctx.call("apigatewayv2", "create_route", ApiId=properties["ApiId"], **self._request(properties))
        return Created(created["RouteId"], {"RouteId": created["RouteId"]})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        ctx.call(
            "apigatewayv2",
            "update_route",
            ApiId=properties["ApiId"],
            RouteId=resource.physical_id,
            **self._request(properties),
        )
        return Created(resource.physical_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(
            ctx, "apigatewayv2", "delete_route", ApiId=resource.properties["ApiId"], RouteId=resource.physical_id
        )


class AuthorizerProvider(BaseProvider):
    resource_type = "AWS::ApiGatewayV2::Authorizer"
    service = "apigatewayv2"
    attributes = frozenset({"AuthorizerId"})
    allowed = frozenset(
        {
            "ApiId",
            "AuthorizerType",
            "Name",
            "IdentitySource",
            "JwtConfiguration",
            "AuthorizerUri",
            "AuthorizerPayloadFormatVersion",
            "EnableSimpleResponses",
            "AuthorizerResultTtlInSeconds",
            "AuthorizerCredentialsArn",
            "IdentityValidationExpression",
        }
    )
    required = ("ApiId", "AuthorizerType", "Name")
    replace_on = ("ApiId",)

    def _request(self, properties: dict[str, Any]) -> dict[str, Any]:
        return {k: properties[k] for k in self.allowed if k in properties and k != "ApiId"}

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        created = ctx.call("apigatewayv2", "create_authorizer", ApiId=properties["ApiId"], **self._request(properties))
        return Created(created["AuthorizerId"], {"AuthorizerId": created["AuthorizerId"]})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        ctx.call(
            "apigatewayv2",
            "update_authorizer",
            ApiId=properties["ApiId"],
            AuthorizerId=resource.physical_id,
            **self._request(properties),
        )
        return Created(resource.physical_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(
            ctx,
            "apigatewayv2",
            "delete_authorizer",
            ApiId=resource.properties["ApiId"],
            AuthorizerId=resource.physical_id,
        )


PROVIDERS = (ApiProvider, StageProvider, IntegrationProvider, RouteProvider, AuthorizerProvider)
