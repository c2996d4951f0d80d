"""The rules Lambda applies beyond its model's constraints, each answered with AWS's code and words.

Every rule is a plain function of the operation's parameters (boto3's member names) and a :class:`Scope`
(this sandbox's Region and account, and — for rules that need state — moto's Lambda backend). They raise
:class:`~lambdalab.controlplane.errors.LambdaError`; the gateway turns that into AWS's HTTP answer and the
CloudFormation providers into a failed resource.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lambdalab.aws_facts import MAX_CONTROL_PLANE_REQUEST_BYTES, MAX_MEMORY_MB, MAX_TIMEOUT_S
from lambdalab.controlplane import names
from lambdalab.controlplane.errors import (
    LambdaError,
    conflict,
    invalid_parameter,
    not_found,
    too_large,
    validation_exception,
)
from lambdalab.controlplane.model import service_model
from lambdalab.controlplane.shapes import violation

LATEST = "$LATEST"
MAX_ENVIRONMENT_BYTES = 4096  # "The total size of the set [of environment variables] does not exceed 4 KB"
# A .zip uploaded directly through the API may be 50 MB; AWS caps the whole request at this many bytes.
MAX_TAGS = 50
_SERVICE_PRINCIPAL = re.compile(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?")
_ACCOUNT = re.compile(r"\d{12}")
_IAM_ARN = re.compile(r"arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:\S+")


@dataclass(frozen=True)
class Scope:
    """Where a request is checked: this sandbox's Region and account, and moto's Lambda backend (or
    ``None`` for the checks that need no state)."""

    region: str
    account: str
    backend: Any = None
    service: Any = None

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return names.function_arn(self.region, self.account, name, qualifier)


@dataclass(frozen=True)
class Answer:
    """A request the rules answer themselves (status and JSON document, ``None`` for no body)."""

    status: int
    document: Any = None


# --- helpers -----------------------------------------------------------------------------------------
def _ref(params: dict[str, Any]) -> names.FunctionRef | None:
    value = params.get("FunctionName")
    return names.parse(value) if isinstance(value, str) else None


def _latest(scope: Scope, name: str) -> Any:
    """moto's $LATEST of a function, or ``None``."""
    if scope.backend is None:
        return None
    try:
        return scope.backend.get_function(name)
    except Exception:  # moto raises several types for an unknown function
        return None


def _version_exists(scope: Scope, name: str, version: str) -> bool:
    try:
        return any(str(v.version) == version for v in scope.backend.list_versions_by_function(name))
    except Exception:
        return False


def _aliases(scope: Scope, name: str) -> dict[str, Any]:
    try:
        return dict(scope.backend._lambdas._get_function_aliases(name))
    except Exception:
        return {}


def _action(operation: str) -> str:
    return {"Invoke": "InvokeFunction", "InvokeAsync": "InvokeFunction"}.get(operation, operation)


# --- every operation that names a function -------------------------------------------------------------
def check_function_name(operation: str, params: dict[str, Any], scope: Scope) -> None:
    """Another Region or account; a qualifier in the name that contradicts ``Qualifier``."""
    ref = _ref(params)
    if ref is None:
        return
    names.reachable(ref, region=scope.region, account=scope.account, action=_action(operation))
    names.agree(ref, params.get("Qualifier"))


# --- functions ---------------------------------------------------------------------------------------
def check_runtime(params: dict[str, Any]) -> None:
    runtime = params.get("Runtime")
    allowed = service_model().shape_for("Runtime").enum
    if isinstance(runtime, str) and runtime not in allowed:
        raise invalid_parameter(
            f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy "
            f"enum value set: [{', '.join(allowed)}] or be a valid ARN"
        )


def _environment(params: dict[str, Any]) -> None:
    variables = (params.get("Environment") or {}).get("Variables")
    if not isinstance(variables, dict):
        return
    measured = json.dumps(variables, separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) > MAX_ENVIRONMENT_BYTES:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided exceeded the 4KB limit. String measured: " + measured
        )


def request_size(operation: str, size: int) -> None:
    """A direct upload's request (the zip, base64-encoded, in JSON) is capped: 50 MB of zip plus room for the
    rest of the request."""
    if size > MAX_CONTROL_PLANE_REQUEST_BYTES:
        raise too_large(
            f"Request must be smaller than {MAX_CONTROL_PLANE_REQUEST_BYTES} bytes for the {operation} operation"
        )


def _zip_size(operation: str, zipped: Any) -> None:
    if isinstance(zipped, str):
        request_size(operation, len(zipped))


def check_limits(params: dict[str, Any]) -> list[str]:
    """Memory and timeout beyond what Lambda allows today (botocore's model is wider than the service)."""
    found = []
    memory, timeout = params.get("MemorySize"), params.get("Timeout")
    if isinstance(memory, int) and memory > MAX_MEMORY_MB:
        found.append(violation(memory, "memorySize", f"Member must have value less than or equal to {MAX_MEMORY_MB}"))
    if isinstance(timeout, int) and timeout > MAX_TIMEOUT_S:
        found.append(violation(timeout, "timeout", f"Member must have value less than or equal to {MAX_TIMEOUT_S}"))
    return found


def _tags(count: int) -> None:
    if count > MAX_TAGS:
        raise invalid_parameter("Number of tags exceeds resource tag limit.")


def create_function(params: dict[str, Any], scope: Scope) -> None:
    ref = _ref(params)
    if ref is not None:
        if ref.qualifier is not None:
            pattern = service_model().operation_model("CreateFunction").input_shape.members["FunctionName"]
            raise validation_exception(
                [
                    violation(
                        params["FunctionName"],
                        "functionName",
                        "Member must satisfy regular expression pattern: " + pattern.metadata["pattern"],
                    )
                ]
            )
        if len(ref.name) > names.MAX_NAME_LENGTH:
            raise invalid_parameter(
                violation_sentence(ref.name, "functionName", "Member must have length less than or equal to 64")
            )
    _environment(params)
    _zip_size("CreateFunction", (params.get("Code") or {}).get("ZipFile"))
    _tags(len(params.get("Tags") or {}))
    if ref is not None and _latest(scope, ref.name) is not None:
        raise conflict(f"Function already exist: {ref.name}")


def violation_sentence(value: Any, path: str, constraint: str) -> str:
    return "1 validation error detected: " + violation(value, path, constraint)


def update_function_configuration(params: dict[str, Any], scope: Scope) -> None:
    _environment(params)


def update_function_code(params: dict[str, Any], scope: Scope) -> None:
    _zip_size("UpdateFunctionCode", params.get("ZipFile"))


def publish_version(params: dict[str, Any], scope: Scope) -> None:
    ref, wanted = _ref(params), params.get("CodeSha256")
    fn = _latest(scope, ref.name) if ref is not None else None
    if fn is None or not wanted:
        return
    current = fn.code_sha_256
    if wanted != current:
        raise invalid_parameter(
            f"CodeSHA256 ({wanted}) is different from current CodeSHA256 in $LATEST ({current}). "
            "Please try again with the CodeSHA256 in $LATEST."
        )


def tag_resource(params: dict[str, Any], scope: Scope) -> None:
    ref = names.parse(params.get("Resource") or "")
    if ref is not None and ref.qualifier is not None:
        raise invalid_parameter(
            "Tags on function aliases and versions are not supported. Please specify a function ARN."
        )
    existing = {}
    if ref is not None and (fn := _latest(scope, ref.name)) is not None:
        existing = dict(getattr(fn, "tags", None) or {})
    _tags(len(existing | dict(params.get("Tags") or {})))


# --- aliases -----------------------------------------------------------------------------------------
def _routing(params: dict[str, Any], scope: Scope, name: str | None, version: str | None) -> None:
    weights = (params.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    if not weights:
        return
    if len(weights) > 1:
        raise invalid_parameter("Number of items in AdditionalVersionWeights cannot be greater than 1")
    (extra,) = weights
    if version is not None and extra == version:
        raise invalid_parameter(
            f"Invalid function version {version}. Function version {version} is already "
            "included in routing configuration."
        )
    if version == LATEST:
        raise invalid_parameter("$LATEST is not supported for an alias pointing to more than 1 version")
    if name is not None and scope.backend is not None and not _version_exists(scope, name, extra):
        raise not_found(f"Function not found: {scope.arn(name, extra)}")


def create_alias(params: dict[str, Any], scope: Scope) -> None:
    ref = _ref(params)
    if ref is None:
        return
    if scope.backend is not None and _latest(scope, ref.name) is not None:
        version = params.get("FunctionVersion")
        if version != LATEST and not _version_exists(scope, ref.name, str(version)):
            raise not_found(f"Function not found: {scope.arn(ref.name, version)}")
        if params.get("Name") in _aliases(scope, ref.name):
            raise conflict(f"Alias already exists: {scope.arn(ref.name, params['Name'])}")
    _routing(params, scope, ref.name, params.get("FunctionVersion"))


def update_alias(params: dict[str, Any], scope: Scope) -> None:
    ref = _ref(params)
    if ref is None or scope.backend is None or _latest(scope, ref.name) is None:
        return
    alias = _aliases(scope, ref.name).get(params.get("Name"))
    if alias is None:
        raise not_found(f"Cannot find alias arn: {scope.arn(ref.name, params.get('Name'))}")
    _routing(params, scope, ref.name, params.get("FunctionVersion") or str(alias.function_version))


def delete_alias(params: dict[str, Any], scope: Scope) -> None:
    ref = _ref(params)
    if ref is None or scope.backend is None:
        return
    if _latest(scope, ref.name) is None:
        raise not_found(f"Function not found: {scope.arn(ref.name)}")
    if params.get("Name") not in _aliases(scope, ref.name):
        raise not_found(f"Cannot find alias arn: {scope.arn(ref.name, params.get('Name'))}")


# --- permissions -------------------------------------------------------------------------------------
def _principal_ok(principal: str) -> bool:
    return (
        principal == "*"
        or bool(_ACCOUNT.fullmatch(principal))
        or bool(_SERVICE_PRINCIPAL.fullmatch(principal))
        or bool(_IAM_ARN.fullmatch(principal))
    )


def _statements(scope: Scope, name: str) -> list[dict[str, Any]] | None:
    fn = _latest(scope, name)
    if fn is None:
        return None
    return list(getattr(getattr(fn, "policy", None), "statements", None) or [])


def add_permission(params: dict[str, Any], scope: Scope) -> None:
    ref = _ref(params)
    qualifier = params.get("Qualifier") or (ref.qualifier if ref else None)
    if qualifier == LATEST:
        raise invalid_parameter("We currently do not support adding policies for $LATEST.")
    if not _principal_ok(str(params.get("Principal", ""))):
        raise invalid_parameter("The provided principal was invalid. Please check the principal and try again.")
    if ref is None or scope.backend is None:
        return
    statements = _statements(scope, ref.name)
    if statements is None:
        raise not_found(f"Function not found: {scope.arn(ref.name)}")
    sid = params.get("StatementId")
    if any(s.get("Sid") == sid for s in statements):
        raise conflict(
            f"The statement id ({sid}) provided already exists. Please provide a new statement id, or "
            "remove the existing statement."
        )


def remove_permission(params: dict[str, Any], scope: Scope) -> None:
    ref = _ref(params)
    if ref is None or scope.backend is None:
        return
    statements = _statements(scope, ref.name)
    if statements is None:
        raise not_found(f"Function not found: {scope.arn(ref.name)}")
    if not statements:
        raise not_found("No policy is associated with the given resource.")
    sid = params.get("StatementId")
    if not any(s.get("Sid") == sid for s in statements):
        raise not_found(f"Statement {sid} is not found in resource policy.")


# --- function URLs -----------------------------------------------------------------------------------
def create_function_url_config(params: dict[str, Any], scope: Scope) -> None:
    ref = _ref(params)
    if ref is None or scope.backend is None:
        return
    fn = _latest(scope, ref.name)
    if fn is None:
        raise not_found("Function does not exist")
    qualifier = params.get("Qualifier") or ref.qualifier
    if qualifier and qualifier not in _aliases(scope, ref.name):
        raise not_found("Function does not exist")
    if getattr(fn, "url_config", None) is not None:
        raise conflict(
            f"Failed to create function url config for [functionArn = {scope.arn(ref.name, qualifier)}]. "
            "Error message:  FunctionUrlConfig exists for this Lambda function"
        )


def function_url_config(params: dict[str, Any], scope: Scope) -> None:
    """Get, update and delete: an unknown function or a function without a URL."""
    ref = _ref(params)
    if ref is None or scope.backend is None:
        return
    fn = _latest(scope, ref.name)
    if fn is None or getattr(fn, "url_config", None) is None:
        raise not_found("The resource you requested does not exist.")


# --- event source mappings -----------------------------------------------------------------------------
def _filter_ok(criteria: Any) -> bool:
    if criteria is None:
        return True
    filters = criteria.get("Filters") if isinstance(criteria, dict) else None
    if not isinstance(filters, list):
        return False
    for item in filters:
        pattern = item.get("Pattern") if isinstance(item, dict) else None
        if pattern is None:
            continue
        try:
            document = json.loads(pattern)
        except (TypeError, ValueError):
            return False
        if not isinstance(document, dict):
            return False
    return True


def create_event_source_mapping(params: dict[str, Any], scope: Scope) -> None:
    if not _filter_ok(params.get("FilterCriteria")):
        raise invalid_parameter("Invalid filter pattern definition.")
    ref = _ref(params)
    if ref is None or scope.backend is None:
        return
    if _latest(scope, ref.name) is None:
        raise invalid_parameter("Function does not exist")
    source = params.get("EventSourceArn") or ""
    if ":sqs:" in source and not _queue_exists(scope, source):
        raise invalid_parameter(
            "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService."
            "NonExistentQueue. SQS Error Message: The specified queue does not exist for this "
            "wsdl version."
        )
    wanted = scope.arn(ref.name, ref.qualifier)
    for uuid, mapping in list(getattr(scope.backend, "_event_source_mappings", {}).items()):
        if mapping.event_source_arn == source and mapping.function_arn == wanted:
            if ":sqs:" in source:
                raise conflict(
                    f'An event source mapping with SQS arn (" {source} ") and function (" {ref.name} ") '
                    f"already exists. Please update or delete the existing mapping with UUID {uuid}"
                )
            raise conflict(
                f'The event source arn (" {source} ") and function (" {ref.name} ") provided mapping '
                f"already exists. Please update or delete the existing mapping with UUID {uuid}"
            )


def event_source_mapping(params: dict[str, Any], scope: Scope) -> None:
    """Get, update and delete name a mapping by its UUID."""
    mappings = getattr(scope.backend, "_event_source_mappings", None)
    if mappings is not None and params.get("UUID") not in mappings:
        raise not_found("The resource you requested does not exist.")


def _queue_exists(scope: Scope, queue_arn: str) -> bool:
    from moto.sqs.models import sqs_backends

    parts = queue_arn.split(":")
    if len(parts) < 6:
        return False
    try:
        return parts[5] in sqs_backends[parts[4]][parts[3]].queues
    except KeyError:
        return False


# --- provisioned concurrency -----------------------------------------------------------------------------
_PUBLISHED_ONLY = "The function resource provided must be an alias or a published version."


def put_provisioned_concurrency_config(params: dict[str, Any], scope: Scope) -> None:
    if params.get("Qualifier") == LATEST:
        raise invalid_parameter("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
    _qualifier_exists(params, scope)


def _qualifier_exists(params: dict[str, Any], scope: Scope) -> None:
    ref, qualifier = _ref(params), params.get("Qualifier")
    if ref is None or scope.backend is None or not qualifier or _latest(scope, ref.name) is None:
        return
    if qualifier.isdigit():
        if not _version_exists(scope, ref.name, qualifier):
            raise not_found(f"Function not found: {scope.arn(ref.name, qualifier)}")
    elif qualifier not in _aliases(scope, ref.name):
        raise not_found(f"Cannot find alias arn: {scope.arn(ref.name, qualifier)}")


def _provisioned_config(params: dict[str, Any], scope: Scope) -> Any:
    if params.get("Qualifier") == LATEST:
        raise invalid_parameter(_PUBLISHED_ONLY)
    _qualifier_exists(params, scope)
    ref = _ref(params)
    if ref is None or scope.service is None or _latest(scope, ref.name) is None:
        return ...
    try:
        return scope.service.get_provisioned_concurrency(ref.name, params["Qualifier"])
    except LookupError:
        return None


def get_provisioned_concurrency_config(params: dict[str, Any], scope: Scope) -> None:
    if _provisioned_config(params, scope) is None:
        raise LambdaError(
            "ProvisionedConcurrencyConfigNotFoundException",
            404,
            "No Provisioned Concurrency Config found for this function",
        )


def delete_provisioned_concurrency_config(params: dict[str, Any], scope: Scope) -> Answer | None:
    if _provisioned_config(params, scope) is None:
        return Answer(204)  # deleting a config that is not there is not an error
    return None


Rule = Callable[[dict[str, Any], Scope], "Answer | None"]

RULES: dict[str, Rule] = {
    "CreateFunction": create_function,
    "UpdateFunctionConfiguration": update_function_configuration,
    "UpdateFunctionCode": update_function_code,
    "PublishVersion": publish_version,
    "TagResource": tag_resource,
    "CreateAlias": create_alias,
    "UpdateAlias": update_alias,
    "DeleteAlias": delete_alias,
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "CreateFunctionUrlConfig": create_function_url_config,
    "GetFunctionUrlConfig": function_url_config,
    "UpdateFunctionUrlConfig": function_url_config,
    "DeleteFunctionUrlConfig": function_url_config,
    "CreateEventSourceMapping": create_event_source_mapping,
    "GetEventSourceMapping": event_source_mapping,
    "UpdateEventSourceMapping": event_source_mapping,
    "DeleteEventSourceMapping": event_source_mapping,
    "PutProvisionedConcurrencyConfig": put_provisioned_concurrency_config,
    "GetProvisionedConcurrencyConfig": get_provisioned_concurrency_config,
    "DeleteProvisionedConcurrencyConfig": delete_provisioned_concurrency_config,
}
