"""moto's CloudFormation API, with lambdalab's engine doing the work behind it.

moto keeps the wire format (every CloudFormation call boto3, the AWS CLI and the SAM CLI make) and the
backend that stores stacks and change sets; this module replaces what happens inside: the backend's
``create_stack``, ``update_stack``, ``delete_stack``, ``create_change_set`` and ``execute_change_set``
parse and transform the template (:mod:`template`), then :mod:`engine` deploys it. Stacks are
:class:`SandboxStack` objects — moto's ``Stack`` with the engine's resources, outputs and status reason —
so moto's DescribeStacks, DescribeStackEvents, DescribeStackResources, GetTemplate and ListStacks answer
unchanged. A stack operation finishes before its API call returns (AWS's run in the background), so a
waiter sees the final status on its first poll.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.cloudformation.exceptions import AlreadyExistsException, ValidationError
from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Export, Stack
from moto.cloudformation.utils import generate_changeset_id, generate_stack_id, validate_create_change_set
from moto.core.exceptions import ServiceException
from moto.core.utils import utcnow

from lambdalab.cloudformation.engine import Deployment, check_attributes, check_conditions, creation_order
from lambdalab.cloudformation.intrinsics import TemplateError
from lambdalab.cloudformation.resources import ResourceState
from lambdalab.cloudformation.template import InsufficientCapabilities, Template, load
from lambdalab.service.moto_patching import original, replace

ClientFactory = Callable[[str], Any]
_client_factory: ClientFactory | None = None
_request = threading.local()
_NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."


class InsufficientCapabilitiesException(ServiceException):
    code = "InsufficientCapabilitiesException"


class InvalidChangeSetStatusException(ServiceException):
    code = "InvalidChangeSetStatus"


class ChangeSetNotFoundException(ServiceException):
    code = "ChangeSetNotFound"


@dataclass(frozen=True)
class RequestOptions:
    """What moto's response layer reads but does not pass to the backend."""

    capabilities: list[str] = field(default_factory=list)
    disable_rollback: bool = False
    on_failure: str | None = None


def _options() -> RequestOptions:
    return getattr(_request, "options", None) or RequestOptions()


class SandboxStack(Stack):
    """moto's Stack, with the engine's resources, outputs and parameters."""

    def __init__(
        self,
        stack_id: str,
        name: str,
        account_id: str,
        region_name: str,
        *,
        parameters: dict[str, Any],
        tags: dict[str, str] | None,
        notification_arns: list[str] | None,
        role_arn: str | None,
        backend: CloudFormationBackend,
        capabilities: list[str],
    ) -> None:
        # moto's __init__ would build its own resource map: set its attributes without it.
        self.stack_id, self.name, self.account_id, self.region_name = stack_id, name, account_id, region_name
        self.template: str | dict[str, Any] = ""
        self.template_dict: dict[str, Any] = {}
        self.description: str | None = None
        self.parameters = parameters
        self.notification_arns = notification_arns or []
        self.role_arn = role_arn
        self.tags = tags or {}
        self.events: list[Any] = []
        self.timeout_in_minutes = None
        self.policy = ""
        self.cross_stack_resources: dict[str, Export] = backend.exports
        self.enable_termination_protection = False
        self.custom_resources: dict[str, Any] = {}
        self.creation_time = utcnow()
        self.last_updated_time = None
        self.status = "CREATE_PENDING"
        self.status_reason: str | None = None
        self.disable_rollback = False
        self.capabilities = capabilities
        self.resources: dict[str, ResourceState] = {}
        self.deployed_template: Template | None = None
        self.deployed_parameters: dict[str, Any] = {}
        self._outputs: list[dict[str, Any]] = []
        self._backend = backend

    # --- what moto's responses read (its serializer also finds Stack* fields by the class name "Stack") ----
    @property
    def stack_name(self) -> str:
        return self.name

    @property
    def stack_status(self) -> str:
        return self.status

    @property
    def stack_status_reason(self) -> str | None:
        return self.status_reason

    @property
    def parameter_list(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in self.stack_parameters.items()]

    @property
    def stack_parameters(self) -> dict[str, Any]:  # type: ignore[override]
        template = self.deployed_template
        declared = (template.processed.get("Parameters") or {}) if template else {}
        values = {k: spec.get("Default") for k, spec in declared.items() if "Default" in (spec or {})}
        values.update(self.deployed_parameters or self.parameters)
        return values

    @property
    def stack_resources(self) -> list[ResourceState]:  # type: ignore[override]
        return list(self.resources.values())

    @property
    def outputs(self) -> list[dict[str, Any]] | None:  # type: ignore[override]
        return self._outputs or None

    @property
    def exports(self) -> list[Export]:  # type: ignore[override]
        return [Export(self.stack_id, o["ExportName"], o["OutputValue"]) for o in self._outputs if o.get("ExportName")]

    @property
    def template_description(self) -> str | None:
        return self.description

    def set_outputs(self, outputs: list[dict[str, Any]]) -> None:
        for export in self.exports:
            self._backend.exports.pop(export.name, None)
        self._outputs = outputs
        for export in self.exports:
            self._backend.exports[export.name] = export

    def imports(self) -> dict[str, str]:
        return {name: export.value for name, export in self._backend.exports.items()}

    # --- the operations --------------------------------------------------------------------------
    def deploy(self, template: Template, parameters: dict[str, Any], *, disable_rollback: bool = False) -> bool:
        self.template, self.template_dict = template.body, template.original
        self.description = template.description
        if self.deployed_template is not None:
            self.last_updated_time = utcnow()
        self.disable_rollback = disable_rollback
        ok = Deployment(self, _client()).deploy(template, parameters, disable_rollback=disable_rollback)
        if not ok and self.deployed_template is not None:  # an update rolled back: the old template stays
            self.template, self.template_dict = self.deployed_template.body, self.deployed_template.original
        return ok

    def delete(self) -> None:  # type: ignore[override]
        Deployment(self, _client()).delete()


class SandboxChangeSet(ChangeSet):
    """A change set holding the processed template, or the reason it FAILED."""

    def __init__(
        self,
        change_set_type: str,
        change_set_id: str,
        change_set_name: str,
        stack: SandboxStack,
        body: str,
        parameters: dict[str, Any],
        description: str | None,
        notification_arns: list[str] | None,
        tags: dict[str, str] | None,
        role_arn: str | None,
    ) -> None:
        self.change_set_type, self.change_set_id, self.change_set_name = change_set_type, change_set_id, change_set_name
        self.stack, self.stack_id, self.stack_name = stack, stack.stack_id, stack.name
        self.notification_arns, self.description, self.tags, self.role_arn = (
            notification_arns,
            description,
            tags,
            role_arn,
        )
        self.template, self.parameters = body, parameters
        self.template_dict: dict[str, Any] = {}
        self.creation_time = utcnow()
        self.changes: list[Any] = []
        self.status: str | None = "CREATE_PENDING"
        self.execution_status: str | None = "UNAVAILABLE"
        self.status_reason: str | None = None
        self.processed: Template | None = None
        self.capabilities: list[str] = []

    @property
    def parameter_list(self) -> list[dict[str, Any]]:
        return [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in self.parameters.items()]


@dataclass
class ResourceChange:
    """One row of DescribeChangeSet's ``Changes``."""

    action: str
    logical_resource_id: str
    resource_type: str
    physical_resource_id: str | None = None
    replacement: str | None = None
    scope: list[str] = field(default_factory=list)
    details: list[Any] = field(default_factory=list)


def plan_changes(stack: SandboxStack, template: Template) -> list[ResourceChange]:
    """What executing the change set would add, modify or remove (by comparing the processed templates)."""
    old = stack.deployed_template.resources if stack.deployed_template else {}
    new = template.resources
    changes = []
    for logical_id in creation_order(new):
        if logical_id not in old:
            changes.append(ResourceChange("Add", logical_id, new[logical_id]["Type"]))
        elif old[logical_id] != new[logical_id]:
            current = stack.resources.get(logical_id)
            changes.append(
                ResourceChange(
                    "Modify",
                    logical_id,
                    new[logical_id]["Type"],
                    current.physical_id if current else None,
                    "Conditional",
                    ["Properties"],
                )
            )
    for logical_id, definition in old.items():
        if logical_id not in new:
            current = stack.resources.get(logical_id)
            changes.append(
                ResourceChange("Remove", logical_id, definition["Type"], current.physical_id if current else None)
            )
    return changes


# --- the backend's operations ------------------------------------------------------------------------
def _find(backend: CloudFormationBackend, name_or_id: str) -> SandboxStack | None:
    for stack in backend.stacks.values():
        if stack.name == name_or_id or stack.stack_id == name_or_id:
            return stack  # type: ignore[return-value]
    return None


def _load(stack: SandboxStack, body: str, parameters: dict[str, Any], *, via_change_set: bool) -> Template:
    """Parse, transform and check everything CloudFormation checks before it creates anything."""
    template = load(
        body,
        parameters={k: str(v) for k, v in parameters.items()},
        stack_name=stack.name,
        stack_id=stack.stack_id,
        region=stack.region_name,
        account_id=stack.account_id,
        capabilities=_options().capabilities,
        via_change_set=via_change_set,
    )
    creation_order(template.resources)
    check_attributes(template)
    check_conditions(template, parameters, Deployment(stack, _client()).pseudo_parameters())
    return template


def _refuse(exc: Exception) -> Exception:
    if isinstance(exc, InsufficientCapabilities):
        return InsufficientCapabilitiesException(str(exc))
    return ValidationError(message=str(exc))


def create_stack(
    backend: CloudFormationBackend,
    name: str,
    template: str,
    parameters: dict[str, Any],
    notification_arns: list[str] | None = None,
    tags: dict[str, str] | None = None,
    role_arn: str | None = None,
    enable_termination_protection: bool | None = False,
    timeout_in_mins: int | None = None,
    stack_policy_body: str | None = None,
) -> SandboxStack:
    if _find(backend, name) is not None:
        raise AlreadyExistsException(f"Stack [{name}] already exists")
    stack = SandboxStack(
        generate_stack_id(name, backend.region_name, backend.account_id),
        name,
        backend.account_id,
        backend.region_name,
        parameters=parameters,
        tags=tags,
        notification_arns=notification_arns,
        role_arn=role_arn,
        backend=backend,
        capabilities=_options().capabilities,
    )
    try:
        processed = _load(stack, template, parameters, via_change_set=False)
        creation_order(processed.resources)
    except (TemplateError, InsufficientCapabilities) as exc:
        raise _refuse(exc) from None
    stack.enable_termination_protection = bool(enable_termination_protection)
    backend.stacks[stack.stack_id] = stack
    options = _options()
    ok = stack.deploy(
        processed, parameters, disable_rollback=options.disable_rollback or options.on_failure == "DO_NOTHING"
    )
    if not ok and options.on_failure == "DELETE":
        backend.delete_stack(stack.stack_id)
    return stack


def update_stack(
    backend: CloudFormationBackend,
    name: str,
    template: str,
    role_arn: str | None,
    parameters: list[dict[str, Any]],
    tags: dict[str, str] | None,
) -> SandboxStack:
    stack = _find(backend, name)
    if stack is None:
        raise ValidationError(name)
    _check_updatable(stack)
    values = _parameters(stack, parameters)
    try:
        processed = _load(stack, template, values, via_change_set=False)
        creation_order(processed.resources)
    except (TemplateError, InsufficientCapabilities) as exc:
        raise _refuse(exc) from None
    if (
        stack.deployed_template is not None
        and stack.deployed_template.processed == processed.processed
        and stack.stack_parameters == {**stack.stack_parameters, **values}
    ):
        raise ValidationError(message="No updates are to be performed.")
    stack.role_arn = role_arn or stack.role_arn
    if tags is not None:
        stack.tags = tags
    stack.deploy(processed, {**stack.deployed_parameters, **values}, disable_rollback=_options().disable_rollback)
    return stack


def _parameters(stack: SandboxStack, incoming: list[dict[str, Any]]) -> dict[str, Any]:
    values = {}
    for parameter in incoming or []:
        key = parameter["ParameterKey"]
        if parameter.get("UsePreviousValue"):
            values[key] = stack.stack_parameters.get(key)
        elif "ParameterValue" in parameter:
            values[key] = parameter["ParameterValue"]
    return values


def _check_updatable(stack: SandboxStack) -> None:
    if stack.status in (
        "ROLLBACK_COMPLETE",
        "ROLLBACK_FAILED",
        "CREATE_FAILED",
        "DELETE_FAILED",
        "REVIEW_IN_PROGRESS",
    ) or stack.status.endswith("_IN_PROGRESS"):
        raise ValidationError(message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")


def delete_stack(backend: CloudFormationBackend, name_or_stack_id: str) -> None:
    stack = _find(backend, name_or_stack_id)
    if stack is None:
        return  # deleting a stack that does not exist succeeds, as on AWS
    if not isinstance(stack, SandboxStack):
        original(CloudFormationBackend, "delete_stack")(backend, name_or_stack_id)
        return
    stack.delete()
    if stack.status == "DELETE_COMPLETE":
        backend.stacks.pop(stack.stack_id, None)
        backend.deleted_stacks[stack.stack_id] = stack
        for export in stack.exports:
            backend.exports.pop(export.name, None)
        for change_set_id in [k for k, c in backend.change_sets.items() if c.stack_id == stack.stack_id]:
            backend.change_sets.pop(change_set_id, None)


def create_change_set(
    backend: CloudFormationBackend,
    stack_name: str,
    change_set_name: str,
    template: str,
    parameters: dict[str, str],
    description: str,
    change_set_type: str,
    notification_arns: list[str] | None = None,
    tags: dict[str, str] | None = None,
    role_arn: str | None = None,
) -> tuple[str, str]:
    validate_create_change_set(change_set_name)
    stack = _find(backend, stack_name)
    if change_set_type == "UPDATE":
        if stack is None or stack.status == "REVIEW_IN_PROGRESS":
            raise ValidationError(stack_name)
        _check_updatable(stack)
    else:
        if stack is not None and stack.status != "REVIEW_IN_PROGRESS":
            raise AlreadyExistsException(
                f"Stack [{stack_name}] already exists and cannot be created again with "
                f"the changeSet [{change_set_name}]."
            )
        if stack is None:
            stack = SandboxStack(
                generate_stack_id(stack_name, backend.region_name, backend.account_id),
                stack_name,
                backend.account_id,
                backend.region_name,
                parameters=parameters,
                tags=tags,
                notification_arns=notification_arns,
                role_arn=role_arn,
                backend=backend,
                capabilities=_options().capabilities,
            )
            backend.stacks[stack.stack_id] = stack
            Deployment(stack, _client()).stack_event("REVIEW_IN_PROGRESS", "User Initiated")
    change_set_id = generate_changeset_id(change_set_name, backend.region_name, backend.account_id)
    change_set = SandboxChangeSet(
        change_set_type,
        change_set_id,
        change_set_name,
        stack,
        template,
        parameters,
        description,
        notification_arns,
        tags,
        role_arn,
    )
    change_set.capabilities = _options().capabilities
    backend.change_sets[change_set_id] = change_set
    values = {**(stack.deployed_parameters if change_set_type == "UPDATE" else {}), **parameters}
    try:
        processed = _load(stack, template, values, via_change_set=True)
        change_set.changes = plan_changes(stack, processed)
    except (TemplateError, InsufficientCapabilities) as exc:
        change_set.status, change_set.status_reason = "FAILED", str(exc)
        return change_set_id, stack.stack_id
    change_set.processed, change_set.parameters = processed, values
    change_set.template_dict = processed.original
    if (
        change_set_type == "UPDATE"
        and not change_set.changes
        and stack.stack_parameters == {**stack.stack_parameters, **values}
        and _outputs_unchanged(stack, processed)
    ):
        change_set.status, change_set.status_reason = "FAILED", _NO_CHANGES
        return change_set_id, stack.stack_id
    change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
    return change_set_id, stack.stack_id


def _outputs_unchanged(stack: SandboxStack, template: Template) -> bool:
    return stack.deployed_template is not None and stack.deployed_template.outputs == template.outputs


def execute_change_set(backend: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
    change_set = None
    for candidate in backend.change_sets.values():
        if change_set_name in (candidate.change_set_id, candidate.change_set_name) and (
            stack_name in (None, "", candidate.stack_name, candidate.stack_id)
            or change_set_name == candidate.change_set_id
        ):
            change_set = candidate
    if change_set is None:
        raise ChangeSetNotFoundException(f"ChangeSet [{change_set_name}] does not exist")
    if not isinstance(change_set, SandboxChangeSet):
        original(CloudFormationBackend, "execute_change_set")(backend, change_set_name, stack_name)
        return
    if change_set.execution_status != "AVAILABLE" or change_set.processed is None:
        raise InvalidChangeSetStatusException(
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current status of [{change_set.status}]"
        )
    stack = change_set.stack
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    stack.capabilities = change_set.capabilities
    if change_set.tags:
        stack.tags = change_set.tags
    ok = stack.deploy(change_set.processed, change_set.parameters, disable_rollback=_options().disable_rollback)
    change_set.execution_status = "EXECUTE_COMPLETE" if ok else "EXECUTE_FAILED"
    for other in backend.change_sets.values():  # executing one change set makes the stack's others obsolete
        if other is not change_set and other.stack_id == stack.stack_id and other.execution_status == "AVAILABLE":
            other.execution_status, other.status = "OBSOLETE", other.status


# --- installing ---------------------------------------------------------------------------------------
def _with_options(method_name: str) -> Callable[[Any], Any]:
    from moto.cloudformation.responses import CloudFormationResponse

    def wrapper(self: Any) -> Any:
        _request.options = RequestOptions(
            capabilities=list(self._get_param("Capabilities", []) or []),
            disable_rollback=bool(self._get_bool_param("DisableRollback", False)),
            on_failure=self._get_param("OnFailure"),
        )
        try:
            return original(CloudFormationResponse, method_name)(self)
        finally:
            _request.options = None

    return wrapper


def _resource_dto_init(dto: Any, stack: Any, resource: Any) -> None:
    from moto.cloudformation.responses import StackResourceDTO

    original(StackResourceDTO, "__init__")(dto, stack, resource)
    if isinstance(resource, ResourceState):
        dto.resource_status = resource.status
        dto.resource_status_reason = resource.status_reason
        dto.timestamp = resource.updated_at
        dto.last_updated_timestamp = resource.updated_at


def _list_stack_resources(self: Any) -> Any:
    from moto.core.responses import ActionResult

    stack, resources = self.cloudformation_backend.list_stack_resources(self._get_param("StackName"))
    return ActionResult(
        {
            "StackResourceSummaries": [
                {
                    "ResourceStatus": getattr(r, "status", "CREATE_COMPLETE"),
                    "LogicalResourceId": r.logical_resource_id,
                    "LastUpdatedTimestamp": getattr(r, "updated_at", stack.creation_time),
                    "PhysicalResourceId": getattr(r, "physical_resource_id", ""),
                    "ResourceType": getattr(r, "cf_resource_type", ""),
                    **({"ResourceStatusReason": r.status_reason} if getattr(r, "status_reason", None) else {}),
                }
                for r in resources
            ]
        }
    )


def template_from_s3(account_id: str, template_url: str) -> str:
    """The body of a TemplateURL: ``https://s3…amazonaws.com/bucket/key``, ``https://bucket.s3…/key``, or the
    sandbox's own path-style address (``http://127.0.0.1:PORT/bucket/key``, which SAM CLI sends when
    ``AWS_ENDPOINT_URL`` points at the sandbox)."""
    import ipaddress
    import urllib.parse

    from moto.s3.models import s3_backends

    parts = urllib.parse.urlsplit(template_url)
    host = (parts.hostname or "").lower()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    path = urllib.parse.unquote(parts.path).lstrip("/")
    if loopback or (host.startswith("s3") and host.endswith("amazonaws.com")):
        bucket, _, key = path.partition("/")
    elif ".s3" in host and host.endswith("amazonaws.com"):
        bucket, key = host.split(".s3", 1)[0], path
    else:
        raise ValidationError(message="TemplateURL must be a supported URL.")
    try:
        return s3_backends[account_id]["aws"].get_object(bucket, key).value.decode("utf-8")
    except Exception:  # noqa: BLE001 - moto raises several types for a missing bucket or key
        raise ValidationError(message="S3 error: The specified key does not exist.") from None


def _get_template(self: Any) -> Any:
    """GetTemplate with ``TemplateStage``: ``Original`` (the body as sent) or ``Processed`` (after the SAM
    transform, as JSON), and the ``StagesAvailable``."""
    from moto.core.responses import ActionResult

    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    if not isinstance(stack, SandboxStack):
        return original(type(self), "get_template")(self)
    deployed = stack.deployed_template
    stage = self._get_param("TemplateStage") or "Original"
    if stage == "Processed" and deployed is not None:
        import json

        body = json.dumps(deployed.processed, indent=2)
    else:
        body = stack.template
    stages = ["Original", "Processed"] if deployed is not None else ["Original"]
    return ActionResult({"TemplateBody": body, "StagesAvailable": stages})


def _get_stack_from_s3_url(self: Any, template_url: str) -> str:
    return template_from_s3(self.current_account, template_url)


def install(client_factory: ClientFactory) -> None:
    """Put the engine behind moto's CloudFormation API (idempotent; the latest client factory wins)."""
    global _client_factory
    from moto.cloudformation.responses import CloudFormationResponse, StackResourceDTO

    _client_factory = client_factory
    replace(CloudFormationBackend, "create_stack", create_stack)
    replace(CloudFormationBackend, "update_stack", update_stack)
    replace(CloudFormationBackend, "delete_stack", delete_stack)
    replace(CloudFormationBackend, "create_change_set", create_change_set)
    replace(CloudFormationBackend, "execute_change_set", execute_change_set)
    for name in ("create_stack", "update_stack", "create_change_set", "execute_change_set"):
        replace(CloudFormationResponse, name, _with_options(name))
    replace(CloudFormationResponse, "list_stack_resources", _list_stack_resources)
    replace(CloudFormationResponse, "_get_stack_from_s3_url", _get_stack_from_s3_url)
    replace(CloudFormationResponse, "get_template", _get_template)
    replace(StackResourceDTO, "__init__", _resource_dto_init)


def _client() -> ClientFactory:
    if _client_factory is None:  # pragma: no cover - install() runs when the sandbox starts
        raise RuntimeError("lambdalab's CloudFormation engine is not installed: start the sandbox first")
    return _client_factory
