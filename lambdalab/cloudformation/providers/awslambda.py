"""AWS::Lambda::* — functions, versions, aliases, URLs, permissions, mappings, layers, invoke configs.

Each provider calls the Lambda API of the sandbox, so a function a template creates is the very object
``boto3.client("lambda")``, the triggers and the execution environments see, and every check the sandbox
makes (memory, timeout, layers and sizes, mapping limits, provisioned concurrency) applies to it.
"""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

from lambdalab.cloudformation.providers.base import BaseProvider, split_function_arn
from lambdalab.cloudformation.resources import Created, ProviderContext, ResourceFailure, ResourceState

#: How long an alias or version waits for its provisioned environments (AWS waits until READY).
PROVISIONING_WAIT_S = 120.0


def _tags(properties: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: str(t["Value"]) for t in properties.get("Tags") or []}


def _code(properties: dict[str, Any], runtime: str | None) -> dict[str, Any]:
    code = dict(properties.get("Code") or {})
    if "ZipFile" in code:  # inline source: CloudFormation writes it to a file named index and zips it
        suffix = (
            ".py" if (runtime or "").startswith("python") else ".js" if (runtime or "").startswith("nodejs") else ""
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"index{suffix}", str(code["ZipFile"]))
        return {"ZipFile": buffer.getvalue()}
    return {k: v for k, v in code.items() if k in ("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri")}


class FunctionProvider(BaseProvider):
    resource_type = "AWS::Lambda::Function"
    service = "lambda"
    attributes = frozenset(
        {"Arn", "SnapStartResponse", "SnapStartResponse.ApplyOn", "SnapStartResponse.OptimizationStatus"}
    )
    allowed = frozenset(
        {
            "Code",
            "FunctionName",
            "Handler",
            "Runtime",
            "Role",
            "MemorySize",
            "Timeout",
            "Environment",
            "Layers",
            "Architectures",
            "ReservedConcurrentExecutions",
            "DeadLetterConfig",
            "Description",
            "TracingConfig",
            "VpcConfig",
            "KmsKeyArn",
            "Tags",
            "EphemeralStorage",
            "PackageType",
            "ImageConfig",
            "LoggingConfig",
            "SnapStart",
            "RuntimeManagementConfig",
            "FileSystemConfigs",
            "CodeSigningConfigArn",
            "RecursiveLoop",
        }
    )
    required = ("Code", "Role")
    replace_on = ("FunctionName",)
    _CONFIG = (
        "Role",
        "Handler",
        "Description",
        "Timeout",
        "MemorySize",
        "VpcConfig",
        "Environment",
        "Runtime",
        "DeadLetterConfig",
        "TracingConfig",
        "Layers",
        "EphemeralStorage",
        "LoggingConfig",
        "ImageConfig",
    )

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        name = properties.get("FunctionName") or ctx.physical_name(64)
        request = {k: properties[k] for k in self._CONFIG if k in properties and k != "Layers"}
        request.update(
            FunctionName=name,
            Code=_code(properties, properties.get("Runtime")),
            Layers=list(properties.get("Layers") or []),
            Publish=False,
        )
        for key in ("Architectures", "PackageType", "KmsKeyArn"):
            if key in properties:
                request["KMSKeyArn" if key == "KmsKeyArn" else key] = properties[key]
        if properties.get("Tags"):
            request["Tags"] = _tags(properties)
        created = ctx.call("lambda", "create_function", **request)
        self._reserve(ctx, name, properties)
        return Created(name, {"Arn": created["FunctionArn"]})

    def _reserve(self, ctx: ProviderContext, name: str, properties: dict[str, Any], *, clear: bool = False) -> None:
        if "ReservedConcurrentExecutions" in properties:
            ctx.call(
                "lambda",
                "put_function_concurrency",
                FunctionName=name,
                ReservedConcurrentExecutions=int(properties["ReservedConcurrentExecutions"]),
            )
        elif clear:
            ctx.call("lambda", "delete_function_concurrency", FunctionName=name)

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        self.check(ctx, properties)
        name, old = resource.physical_id, resource.properties
        if properties.get("Code") != old.get("Code"):
            ctx.call(
                "lambda", "update_function_code", FunctionName=name, **_code(properties, properties.get("Runtime"))
            )
        config = {k: properties[k] for k in self._CONFIG if k in properties}
        config.setdefault("Layers", [])
        config.setdefault("Environment", {"Variables": {}})
        if properties.get("KmsKeyArn"):
            config["KMSKeyArn"] = properties["KmsKeyArn"]
        changed = any(properties.get(k) != old.get(k) for k in (*self._CONFIG, "KmsKeyArn"))
        if changed:
            ctx.call("lambda", "update_function_configuration", FunctionName=name, **config)
        if properties.get("ReservedConcurrentExecutions") != old.get("ReservedConcurrentExecutions"):
            self._reserve(ctx, name, properties, clear=True)
        return Created(name, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(ctx, "lambda", "delete_function", FunctionName=resource.physical_id)


def _wait_for_provisioned(ctx: ProviderContext, function_name: str, qualifier: str) -> None:
    deadline = time.monotonic() + PROVISIONING_WAIT_S
    while time.monotonic() < deadline:
        config = ctx.call(
            "lambda", "get_provisioned_concurrency_config", FunctionName=function_name, Qualifier=qualifier
        )
        if config["Status"] == "READY":
            return
        if config["Status"] == "FAILED":
            raise ResourceFailure(
                f"Provisioned Concurrency configuration failed to be applied. Reason: "
                f"{config.get('StatusReason', 'FUNCTION_ERROR_INIT_FAILURE')}"
            )
        time.sleep(0.1)
    raise ResourceFailure("Provisioned Concurrency configuration did not become READY in time.")


def _provision(
    ctx: ProviderContext,
    function_name: str,
    qualifier: str,
    config: dict[str, Any] | None,
    previous: dict[str, Any] | None = None,
) -> None:
    if config:
        ctx.call(
            "lambda",
            "put_provisioned_concurrency_config",
            FunctionName=function_name,
            Qualifier=qualifier,
            ProvisionedConcurrentExecutions=int(config["ProvisionedConcurrentExecutions"]),
        )
        _wait_for_provisioned(ctx, function_name, qualifier)
    elif previous:
        BaseProvider.tolerant(
            ctx, "lambda", "delete_provisioned_concurrency_config", FunctionName=function_name, Qualifier=qualifier
        )


class VersionProvider(BaseProvider):
    resource_type = "AWS::Lambda::Version"
    service = "lambda"
    attributes = frozenset({"Version", "FunctionArn"})
    allowed = frozenset(
        {
            "FunctionName",
            "Description",
            "CodeSha256",
            "ProvisionedConcurrencyConfig",
            "RuntimePolicy",
            "FunctionScalingConfig",
        }
    )
    required = ("FunctionName",)
    replace_on = ("FunctionName", "Description", "CodeSha256")

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        request = {k: properties[k] for k in ("FunctionName", "Description", "CodeSha256") if k in properties}
        published = ctx.call("lambda", "publish_version", **request)
        name = published["FunctionName"]
        _provision(ctx, name, published["Version"], properties.get("ProvisionedConcurrencyConfig"))
        arn = published["FunctionArn"]
        return Created(arn, {"Version": published["Version"], "FunctionArn": arn.rsplit(":", 1)[0]})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        name, version = split_function_arn(resource.physical_id)
        _provision(
            ctx,
            name,
            version or "",
            properties.get("ProvisionedConcurrencyConfig"),
            resource.properties.get("ProvisionedConcurrencyConfig"),
        )
        return Created(resource.physical_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        name, version = split_function_arn(resource.physical_id)
        self.tolerant(ctx, "lambda", "delete_function", FunctionName=name, Qualifier=version)


def _routing(properties: dict[str, Any]) -> dict[str, Any]:
    weights = (properties.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or []
    return {"AdditionalVersionWeights": {str(w["FunctionVersion"]): float(w["FunctionWeight"]) for w in weights}}


class AliasProvider(BaseProvider):
    resource_type = "AWS::Lambda::Alias"
    service = "lambda"
    attributes = frozenset({"AliasArn"})
    allowed = frozenset(
        {"FunctionName", "FunctionVersion", "Name", "Description", "RoutingConfig", "ProvisionedConcurrencyConfig"}
    )
    required = ("FunctionName", "FunctionVersion", "Name")
    replace_on = ("FunctionName", "Name")

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        name = split_function_arn(str(properties["FunctionName"]))[0]
        request = {
            "FunctionName": name,
            "Name": properties["Name"],
            "FunctionVersion": str(properties["FunctionVersion"]),
        }
        if properties.get("Description"):
            request["Description"] = properties["Description"]
        if properties.get("RoutingConfig"):
            request["RoutingConfig"] = _routing(properties)
        alias = ctx.call("lambda", "create_alias", **request)
        _provision(ctx, name, properties["Name"], properties.get("ProvisionedConcurrencyConfig"))
        return Created(alias["AliasArn"], {"AliasArn": alias["AliasArn"]})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        self.check(ctx, properties)
        name = split_function_arn(str(properties["FunctionName"]))[0]
        ctx.call(
            "lambda",
            "update_alias",
            FunctionName=name,
            Name=properties["Name"],
            FunctionVersion=str(properties["FunctionVersion"]),
            Description=properties.get("Description", ""),
            RoutingConfig=_routing(properties),
        )
        moved = str(properties["FunctionVersion"]) != str(resource.properties.get("FunctionVersion"))
        config, previous = (
            properties.get("ProvisionedConcurrencyConfig"),
            resource.properties.get("ProvisionedConcurrencyConfig"),
        )
        if moved or config != previous:  # provisioned environments follow the alias to its new version
            _provision(ctx, name, properties["Name"], config, previous)
        return Created(resource.physical_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        name, alias = split_function_arn(resource.physical_id)
        self.tolerant(ctx, "lambda", "delete_provisioned_concurrency_config", FunctionName=name, Qualifier=alias)
        self.tolerant(ctx, "lambda", "delete_alias", FunctionName=name, Name=alias)


class UrlProvider(BaseProvider):
    resource_type = "AWS::Lambda::Url"
    service = "lambda"
    attributes = frozenset({"FunctionArn", "FunctionUrl"})
    allowed = frozenset({"TargetFunctionArn", "Qualifier", "AuthType", "Cors", "InvokeMode"})
    required = ("TargetFunctionArn", "AuthType")
    replace_on = ("TargetFunctionArn", "Qualifier")

    def _target(self, properties: dict[str, Any]) -> dict[str, Any]:
        name, qualifier = split_function_arn(str(properties["TargetFunctionArn"]))
        qualifier = properties.get("Qualifier") or qualifier
        return {"FunctionName": name, **({"Qualifier": qualifier} if qualifier else {})}

    def _config(self, properties: dict[str, Any]) -> dict[str, Any]:
        config = {"AuthType": properties["AuthType"]}
        for key in ("Cors", "InvokeMode"):
            if key in properties:
                config[key] = properties[key]
        return config

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        url = ctx.call("lambda", "create_function_url_config", **self._target(properties), **self._config(properties))
        return Created(url["FunctionArn"], {"FunctionArn": url["FunctionArn"], "FunctionUrl": url["FunctionUrl"]})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        self.check(ctx, properties)
        ctx.call("lambda", "update_function_url_config", **self._target(properties), **self._config(properties))
        return Created(resource.physical_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(ctx, "lambda", "delete_function_url_config", **self._target(resource.properties))


class PermissionProvider(BaseProvider):
    resource_type = "AWS::Lambda::Permission"
    service = "lambda"
    attributes = frozenset({"Id"})
    allowed = frozenset(
        {
            "Action",
            "FunctionName",
            "Principal",
            "SourceArn",
            "SourceAccount",
            "EventSourceToken",
            "FunctionUrlAuthType",
            "PrincipalOrgID",
            "InvokedViaFunctionUrl",
        }
    )
    required = ("Action", "FunctionName", "Principal")
    replace_on = tuple(sorted(allowed))

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        name, qualifier = split_function_arn(str(properties["FunctionName"]))
        statement = ctx.physical_name(100)
        request = {k: properties[k] for k in self.allowed if k in properties and k != "FunctionName"}
        ctx.call(
            "lambda",
            "add_permission",
            FunctionName=name,
            StatementId=statement,
            **({"Qualifier": qualifier} if qualifier else {}),
            **request,
        )
        return Created(statement, {"Id": statement})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        return None  # every property of a permission requires a replacement

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        name, qualifier = split_function_arn(str(resource.properties["FunctionName"]))
        self.tolerant(
            ctx,
            "lambda",
            "remove_permission",
            FunctionName=name,
            StatementId=resource.physical_id,
            **({"Qualifier": qualifier} if qualifier else {}),
        )


class EventSourceMappingProvider(BaseProvider):
    resource_type = "AWS::Lambda::EventSourceMapping"
    service = "lambda"
    attributes = frozenset({"Id", "EventSourceMappingArn"})
    allowed = frozenset(
        {
            "FunctionName",
            "EventSourceArn",
            "BatchSize",
            "Enabled",
            "MaximumBatchingWindowInSeconds",
            "FunctionResponseTypes",
            "ScalingConfig",
            "FilterCriteria",
            "StartingPosition",
            "StartingPositionTimestamp",
            "MaximumRetryAttempts",
            "MaximumRecordAgeInSeconds",
            "BisectBatchOnFunctionError",
            "DestinationConfig",
            "ParallelizationFactor",
            "TumblingWindowInSeconds",
            "Tags",
            "Queues",
            "Topics",
            "MetricsConfig",
            "KmsKeyArn",
            "ProvisionedPollerConfig",
        }
    )
    required = ("FunctionName",)
    replace_on = ("EventSourceArn", "StartingPosition", "StartingPositionTimestamp", "Queues", "Topics")
    _UPDATABLE = (
        "FunctionName",
        "BatchSize",
        "Enabled",
        "MaximumBatchingWindowInSeconds",
        "FunctionResponseTypes",
        "ScalingConfig",
        "FilterCriteria",
        "MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds",
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "ParallelizationFactor",
        "TumblingWindowInSeconds",
    )

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        request = {k: v for k, v in properties.items() if k in self.allowed and k not in ("Tags",)}
        if properties.get("Tags"):
            request["Tags"] = _tags(properties)
        mapping = ctx.call("lambda", "create_event_source_mapping", **request)
        return Created(
            mapping["UUID"], {"Id": mapping["UUID"], "EventSourceMappingArn": mapping.get("EventSourceMappingArn", "")}
        )

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        self.check(ctx, properties)
        request = {k: properties[k] for k in self._UPDATABLE if k in properties}
        ctx.call("lambda", "update_event_source_mapping", UUID=resource.physical_id, **request)
        return Created(resource.physical_id, dict(resource.attributes))

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(ctx, "lambda", "delete_event_source_mapping", UUID=resource.physical_id)


class LayerVersionProvider(BaseProvider):
    resource_type = "AWS::Lambda::LayerVersion"
    service = "lambda"
    attributes = frozenset({"LayerVersionArn"})
    allowed = frozenset(
        {"Content", "LayerName", "CompatibleRuntimes", "CompatibleArchitectures", "Description", "LicenseInfo"}
    )
    required = ("Content",)

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        request = {k: properties[k] for k in self.allowed if k in properties}
        request["LayerName"] = properties.get("LayerName") or ctx.logical_id
        content = dict(request["Content"])
        request["Content"] = {k: content[k] for k in ("S3Bucket", "S3Key", "S3ObjectVersion") if k in content}
        published = ctx.call("lambda", "publish_layer_version", **request)
        return Created(published["LayerVersionArn"], {"LayerVersionArn": published["LayerVersionArn"]})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        return None  # a layer version is immutable: any change publishes a new one

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        arn = resource.physical_id
        layer, version = arn.split(":")[6], arn.split(":")[7]
        self.tolerant(ctx, "lambda", "delete_layer_version", LayerName=layer, VersionNumber=int(version))


class EventInvokeConfigProvider(BaseProvider):
    resource_type = "AWS::Lambda::EventInvokeConfig"
    service = "lambda"
    attributes = frozenset()
    allowed = frozenset(
        {"FunctionName", "Qualifier", "MaximumEventAgeInSeconds", "MaximumRetryAttempts", "DestinationConfig"}
    )
    required = ("FunctionName", "Qualifier")
    replace_on = ("FunctionName", "Qualifier")

    def _request(self, properties: dict[str, Any]) -> dict[str, Any]:
        request = {k: properties[k] for k in self.allowed if k in properties}
        if isinstance(request.get("DestinationConfig"), dict):
            request["DestinationConfig"] = {k: v for k, v in request["DestinationConfig"].items() if v}
        return request

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> Created:
        self.check(ctx, properties)
        ctx.call("lambda", "put_function_event_invoke_config", **self._request(properties))
        return Created(ctx.physical_name(64), {})

    def update(self, ctx: ProviderContext, resource: ResourceState, properties: dict[str, Any]) -> Created | None:
        if self.needs_replacement(resource, properties):
            return None
        ctx.call("lambda", "put_function_event_invoke_config", **self._request(properties))
        return Created(resource.physical_id, {})

    def delete(self, ctx: ProviderContext, resource: ResourceState) -> None:
        self.tolerant(
            ctx,
            "lambda",
            "delete_function_event_invoke_config",
            FunctionName=resource.properties["FunctionName"],
            Qualifier=resource.properties["Qualifier"],
        )


PROVIDERS = (
    FunctionProvider,
    VersionProvider,
    AliasProvider,
    UrlProvider,
    PermissionProvider,
    EventSourceMappingProvider,
    LayerVersionProvider,
    EventInvokeConfigProvider,
)
