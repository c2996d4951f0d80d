"""Deploying a stack as CloudFormation does: in dependency order, with events, rollback and cleanup.

Create: every resource in dependency order (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``DependsOn``), each with
``CREATE_IN_PROGRESS`` → ``CREATE_COMPLETE`` events; the first failure stops the deployment and rolls it
back (``ROLLBACK_IN_PROGRESS`` "The following resource(s) failed to create: [X]. Rollback requested by
user." → every created resource deleted → ``ROLLBACK_COMPLETE``), unless rollback is disabled
(``CREATE_FAILED``). Update: new and changed resources in dependency order (in place, or a replacement
created first), then ``UPDATE_COMPLETE_CLEANUP_IN_PROGRESS`` deletes what was replaced or removed;
a failure reverts the changes (``UPDATE_ROLLBACK_COMPLETE``). Delete: reverse dependency order, skipping
``DeletionPolicy: Retain``, tolerating resources already gone.
"""

from __future__ import annotations

import copy
import graphlib
from collections.abc import Callable
from typing import Any

from moto.cloudformation.models import Event
from moto.core.utils import utcnow

from lambdalab.cloudformation.intrinsics import (
    PSEUDO_PARAMETERS,
    Scope,
    TemplateError,
    evaluate_conditions,
    references,
    resolve,
)
from lambdalab.cloudformation.providers import provider_for
from lambdalab.cloudformation.resources import ProviderContext, ResourceFailure, ResourceState
from lambdalab.cloudformation.template import Template

ClientFactory = Callable[[str], Any]


def dependencies(resources: dict[str, Any]) -> dict[str, set[str]]:
    """Each resource's direct dependencies on other resources of the template."""
    graph: dict[str, set[str]] = {}
    for logical_id, definition in resources.items():
        needs = {name for name in references(definition.get("Properties") or {}) if name in resources}
        depends_on = definition.get("DependsOn") or []
        needs |= {depends_on} if isinstance(depends_on, str) else set(depends_on)
        unknown = needs - set(resources)
        if unknown:
            raise TemplateError(
                f"Template format error: Unresolved resource dependencies [{', '.join(sorted(unknown))}] "
                "in the Resources block of the template"
            )
        graph[logical_id] = needs - {logical_id}
    return graph


def creation_order(resources: dict[str, Any]) -> list[str]:
    """A dependency order (template order among equals), or CloudFormation's circular-dependency error."""
    sorter = graphlib.TopologicalSorter(dependencies(resources))
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = sorted(set(exc.args[1]))
        raise TemplateError(f"Circular dependency between resources: [{', '.join(cycle)}]") from None
    return order


def check_conditions(template: Template, parameters: dict[str, Any], pseudo: dict[str, Any]) -> None:
    """Conditions may use parameters and other conditions only; CloudFormation evaluates them up front."""

    def no_resources(name: str, *_: Any) -> Any:
        raise TemplateError(
            f"Template format error: Unresolved dependencies [{name}]. Cannot reference resources "
            "in the Conditions block of the template"
        )

    scope = Scope(
        parameters={**pseudo, **parameters},
        mappings=template.processed.get("Mappings") or {},
        conditions={},
        ref=no_resources,
        get_att=no_resources,
    )
    evaluate_conditions(template.processed.get("Conditions") or {}, scope)


def check_attributes(template: Template) -> None:
    """``Fn::GetAtt`` may only name attributes the resource type has (CloudFormation refuses the template)."""
    from lambdalab.cloudformation.providers.moto_models import MotoModelProvider

    def walk(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, argument in value.items():
                if (
                    key == "Fn::GetAtt"
                    and isinstance(argument, list)
                    and len(argument) == 2
                    and isinstance(argument[1], str)
                ):
                    _check_one(str(argument[0]), argument[1])
                walk(argument)

    def _check_one(logical_id: str, attribute: str) -> None:
        definition = template.resources.get(logical_id)
        if definition is None:
            return
        provider = provider_for(definition["Type"])
        if provider is None or isinstance(provider, MotoModelProvider):
            return
        if attribute not in provider.attributes:
            raise TemplateError(
                f"Template error: resource {logical_id} does not support attribute type {attribute} in Fn::GetAtt"
            )

    walk(template.resources)
    walk(template.outputs)


class Deployment:
    """One stack operation (create, update or delete) on a stack's resources, recording its events."""

    def __init__(self, stack: Any, client: ClientFactory) -> None:
        self.stack = stack
        self.client = client

    # --- events ----------------------------------------------------------------------------------
    def stack_event(self, status: str, reason: str | None = None) -> None:
        self.stack.status = status
        self.stack.status_reason = reason
        self._event(self.stack.name, self.stack.stack_id, "AWS::CloudFormation::Stack", status, reason)

    def resource_event(self, resource: ResourceState, status: str, reason: str | None = None) -> None:
        resource.status, resource.status_reason, resource.updated_at = status, reason, utcnow()
        self._event(resource.logical_id, resource.physical_id, resource.resource_type, status, reason)

    def _event(self, logical_id: str, physical_id: str, kind: str, status: str, reason: str | None) -> None:
        self.stack.events.append(
            Event(
                stack_id=self.stack.stack_id,
                stack_name=self.stack.name,
                logical_resource_id=logical_id,
                physical_resource_id=physical_id,
                resource_type=kind,
                resource_status=status,
                resource_status_reason=reason,
                resource_properties=None,
            )
        )

    # --- resolving -------------------------------------------------------------------------------
    def scope(self, template: Template, parameters: dict[str, Any]) -> Scope:
        resources: dict[str, ResourceState] = self.stack.resources

        def ref(logical_id: str) -> Any:
            resource = resources.get(logical_id)
            if resource is None or not resource.physical_id:
                raise TemplateError(
                    f"Template format error: Unresolved resource dependencies [{logical_id}] in "
                    "the Resources block of the template"
                )
            return resource.physical_id

        def get_att(logical_id: str, attribute: str) -> Any:
            resource = resources.get(logical_id)
            if resource is None:
                raise TemplateError(
                    f"Template error: instance of Fn::GetAtt references undefined resource {logical_id}"
                )
            if attribute in resource.attributes:
                return resource.attributes[attribute]
            getter = getattr(resource.handle, "get_cfn_attribute", None)
            if getter is not None:
                return getter(attribute)
            raise TemplateError(
                f"Template error: resource {logical_id} does not support attribute type {attribute} in Fn::GetAtt"
            )

        scope = Scope(
            parameters={**self.pseudo_parameters(), **parameters},
            mappings=template.processed.get("Mappings") or {},
            conditions={},
            ref=ref,
            get_att=get_att,
            imports=self.stack.imports(),
            region=self.stack.region_name,
        )
        evaluate_conditions(template.processed.get("Conditions") or {}, scope)
        return scope

    def pseudo_parameters(self) -> dict[str, Any]:
        values = {
            "AWS::AccountId": self.stack.account_id,
            "AWS::Region": self.stack.region_name,
            "AWS::StackId": self.stack.stack_id,
            "AWS::StackName": self.stack.name,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Partition": "aws",
            "AWS::NotificationARNs": list(self.stack.notification_arns or []),
        }
        assert set(values) <= set(PSEUDO_PARAMETERS)
        return values

    def context(self, logical_id: str) -> ProviderContext:
        return ProviderContext(
            stack_name=self.stack.name,
            stack_id=self.stack.stack_id,
            logical_id=logical_id,
            region=self.stack.region_name,
            account_id=self.stack.account_id,
            client=self.client,
        )

    # --- create and update -------------------------------------------------------------------------
    def deploy(self, template: Template, parameters: dict[str, Any], *, disable_rollback: bool = False) -> bool:
        """Create or update the stack to ``template``; True when it succeeded."""
        updating = self.stack.deployed_template is not None
        order = creation_order(template.resources)
        check_attributes(template)
        previous = {k: copy.copy(v) for k, v in self.stack.resources.items()}
        self.stack_event("UPDATE_IN_PROGRESS" if updating else "CREATE_IN_PROGRESS", "User Initiated")
        scope = self.scope(template, parameters)
        touched: list[tuple[str, ResourceState | None]] = []  # (logical id, its state before) in order
        retired: list[ResourceState] = []  # replaced resources, deleted in the cleanup phase
        for logical_id in order:
            definition = template.resources[logical_id]
            condition = definition.get("Condition")
            if condition and not scope.conditions.get(condition, False):
                continue
            current = self.stack.resources.get(logical_id)
            try:
                properties = resolve(definition.get("Properties") or {}, scope)
            except (TemplateError, KeyError) as exc:
                failed = current or self._placeholder(logical_id, definition)
                self.resource_event(failed, "UPDATE_FAILED" if current else "CREATE_FAILED", str(exc))
                return self._fail(template, logical_id, touched, previous, updating, disable_rollback)
            if (
                current is not None
                and current.status not in ("DELETE_COMPLETE",)
                and current.definition == definition
                and current.properties == properties
            ):
                continue
            try:
                if current is None or current.status == "DELETE_COMPLETE":
                    touched.append((logical_id, None))
                    self._create(logical_id, definition, properties)
                else:
                    touched.append((logical_id, copy.copy(current)))
                    replaced = self._update(current, definition, properties)
                    if replaced is not None:
                        retired.append(replaced)
            except ResourceFailure:
                return self._fail(template, logical_id, touched, previous, updating, disable_rollback)
        removed = [
            r
            for k, r in self.stack.resources.items()
            if k not in template.resources
            or (
                template.resources[k].get("Condition")
                and not scope.conditions.get(template.resources[k]["Condition"], False)
            )
        ]
        if updating:
            self.stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            old_order = self._deletion_order(self.stack.deployed_template, removed)
            for resource in [*retired, *old_order]:
                self._delete(resource, cleanup=True)
            for resource in removed:
                self.stack.resources.pop(resource.logical_id, None)
        try:
            outputs = self._outputs(template, scope)
        except TemplateError as exc:  # an output that cannot be resolved fails the operation like a resource
            self._event(
                self.stack.name,
                self.stack.stack_id,
                "AWS::CloudFormation::Stack",
                "UPDATE_FAILED" if updating else "CREATE_FAILED",
                str(exc),
            )
            return self._fail(template, self.stack.name, touched, previous, updating, disable_rollback)
        self.stack.deployed_template = template
        self.stack.deployed_parameters = parameters
        self.stack.set_outputs(outputs)
        self.stack_event("UPDATE_COMPLETE" if updating else "CREATE_COMPLETE")
        return True

    def _placeholder(self, logical_id: str, definition: dict[str, Any]) -> ResourceState:
        resource = ResourceState(logical_id, definition["Type"], {}, definition=definition)
        self.stack.resources[logical_id] = resource
        return resource

    def _create(self, logical_id: str, definition: dict[str, Any], properties: dict[str, Any]) -> ResourceState:
        resource = ResourceState(logical_id, definition["Type"], properties, definition=definition)
        self.stack.resources[logical_id] = resource
        self.resource_event(resource, "CREATE_IN_PROGRESS")
        provider = provider_for(definition["Type"])
        try:
            if provider is None:
                raise ResourceFailure(unsupported(definition["Type"]))
            created = provider.create(self.context(logical_id), properties)
        except ResourceFailure as exc:
            self.resource_event(resource, "CREATE_FAILED", str(exc))
            raise
        except Exception as exc:  # noqa: BLE001 - whatever goes wrong fails the resource, never the API call
            self.resource_event(resource, "CREATE_FAILED", f"Internal Failure: {type(exc).__name__}: {exc}")
            raise ResourceFailure(str(exc)) from exc
        resource.physical_id, resource.attributes = created.physical_id, dict(created.attributes)
        resource.handle = getattr(created, "handle", None)
        self.resource_event(resource, "CREATE_COMPLETE")
        return resource

    def _update(
        self, current: ResourceState, definition: dict[str, Any], properties: dict[str, Any]
    ) -> ResourceState | None:
        """Update in place, or create a replacement; returns the replaced (old) state, if any."""
        provider = provider_for(definition["Type"])
        ctx = self.context(current.logical_id)
        self.resource_event(current, "UPDATE_IN_PROGRESS")
        try:
            if provider is None:
                raise ResourceFailure(unsupported(definition["Type"]))
            if current.resource_type != definition["Type"]:
                raise ResourceFailure(
                    f"Update of resource type is not permitted. The new template modifies "
                    f"resource type of the following resources: [{current.logical_id}]"
                )
            updated = provider.update(ctx, current, properties)
            old = copy.copy(current)
            if updated is None:
                self.resource_event(
                    current,
                    "UPDATE_IN_PROGRESS",
                    "Requested update requires the creation of a new physical resource; hence creating one.",
                )
                updated = provider.create(ctx, properties)
            else:
                old = None
        except ResourceFailure as exc:
            self.resource_event(current, "UPDATE_FAILED", str(exc))
            raise
        except Exception as exc:  # noqa: BLE001
            self.resource_event(current, "UPDATE_FAILED", f"Internal Failure: {type(exc).__name__}: {exc}")
            raise ResourceFailure(str(exc)) from exc
        current.physical_id, current.attributes = updated.physical_id, dict(updated.attributes)
        current.properties, current.definition = properties, definition
        current.handle = getattr(updated, "handle", current.handle)
        self.resource_event(current, "UPDATE_COMPLETE")
        return old

    def _fail(
        self,
        template: Template,
        failed: str,
        touched: list[tuple[str, ResourceState | None]],
        previous: dict[str, ResourceState],
        updating: bool,
        disable_rollback: bool,
    ) -> bool:
        if not updating:
            reason = f"The following resource(s) failed to create: [{failed}]. "
            if disable_rollback:
                self.stack_event("CREATE_FAILED", reason)
                return False
            self.stack_event("ROLLBACK_IN_PROGRESS", reason + "Rollback requested by user.")
            for resource in reversed(list(self.stack.resources.values())):
                self._delete(resource, cleanup=False)
            self.stack_event("ROLLBACK_COMPLETE")
            return False
        verb = "create" if dict(touched).get(failed) is None else "update"
        self.stack_event("UPDATE_ROLLBACK_IN_PROGRESS", f"The following resource(s) failed to {verb}: [{failed}]. ")
        for logical_id, before in reversed(touched):
            now = self.stack.resources.get(logical_id)
            if now is None:
                continue
            if before is None:
                self._delete(now, cleanup=False)
                self.stack.resources.pop(logical_id, None)
                continue
            if now.status == "UPDATE_FAILED" or (
                now.physical_id == before.physical_id and now.properties == before.properties
            ):
                # nothing (or only a failed attempt) changed it: it is as it was
                self.stack.resources[logical_id] = previous.get(logical_id, before)
                self.resource_event(self.stack.resources[logical_id], "UPDATE_COMPLETE")
                continue
            self._revert(now, before)
        self.stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        self.stack_event("UPDATE_ROLLBACK_COMPLETE")
        return False

    def _revert(self, now: ResourceState, before: ResourceState) -> None:
        provider = provider_for(before.resource_type)
        self.resource_event(now, "UPDATE_IN_PROGRESS")
        try:
            if now.physical_id != before.physical_id:  # a replacement was created: remove it, keep the old one
                assert provider is not None
                provider.delete(self.context(now.logical_id), now)
            elif provider is not None:
                provider.update(self.context(now.logical_id), now, before.properties)
        except Exception as exc:  # noqa: BLE001 - a rollback records its failure and goes on
            self.resource_event(now, "UPDATE_FAILED", str(exc))
            return
        self.stack.resources[now.logical_id] = before
        self.resource_event(before, "UPDATE_COMPLETE")

    def _outputs(self, template: Template, scope: Scope) -> list[dict[str, Any]]:
        outputs = []
        for key, spec in template.outputs.items():
            condition = spec.get("Condition")
            if condition and not scope.conditions.get(condition, False):
                continue
            output: dict[str, Any] = {"OutputKey": key, "OutputValue": _text(resolve(spec.get("Value"), scope))}
            if spec.get("Description"):
                output["Description"] = spec["Description"]
            if spec.get("Export"):
                output["ExportName"] = _text(resolve(spec["Export"].get("Name"), scope))
            outputs.append(output)
        return outputs

    # --- delete ------------------------------------------------------------------------------------
    def _deletion_order(self, template: Template | None, resources: list[ResourceState]) -> list[ResourceState]:
        """Dependents before what they depend on."""
        if template is None:
            return list(reversed(resources))
        wanted = {r.logical_id: r for r in resources}
        definitions = {
            **{k: v for k, v in template.resources.items() if k in wanted},
            **{k: r.definition for k, r in wanted.items() if k not in template.resources},
        }
        try:
            order = creation_order({k: _only(v, set(definitions)) for k, v in definitions.items()})
        except TemplateError:
            order = list(definitions)
        return [wanted[k] for k in reversed(order) if k in wanted]

    def _delete(self, resource: ResourceState, *, cleanup: bool) -> bool:
        if resource.status == "DELETE_COMPLETE" or (not resource.physical_id and resource.status == "CREATE_FAILED"):
            if resource.status == "CREATE_FAILED":
                self.resource_event(resource, "DELETE_COMPLETE")
            return True
        if resource.definition.get("DeletionPolicy") == "Retain" or (
            cleanup and resource.definition.get("UpdateReplacePolicy") == "Retain"
        ):
            self.resource_event(resource, "DELETE_SKIPPED")
            return True
        self.resource_event(resource, "DELETE_IN_PROGRESS")
        provider = provider_for(resource.resource_type)
        try:
            if provider is not None and resource.physical_id:
                provider.delete(self.context(resource.logical_id), resource)
        except Exception as exc:  # noqa: BLE001 - the resource fails; the stack operation reports it
            self.resource_event(resource, "DELETE_FAILED", str(exc))
            return False
        self.resource_event(resource, "DELETE_COMPLETE")
        return True

    def delete(self) -> bool:
        """Delete every resource (dependents first); True when the stack is gone."""
        self.stack_event("DELETE_IN_PROGRESS", "User Initiated")
        failed = []
        live = [r for r in self.stack.resources.values() if r.status != "DELETE_COMPLETE"]
        for resource in self._deletion_order(self.stack.deployed_template, live):
            if not self._delete(resource, cleanup=False):
                failed.append(resource.logical_id)
        if failed:
            self.stack_event("DELETE_FAILED", f"The following resource(s) failed to delete: [{', '.join(failed)}]. ")
            return False
        self.stack_event("DELETE_COMPLETE")
        return True


def unsupported(resource_type: str) -> str:
    return (
        f"Resource type {resource_type} is not supported by the lambdalab sandbox: it deploys Lambda, "
        "API Gateway, SQS, S3, IAM, DynamoDB, Scheduler and the types moto models. Remove the resource or "
        "deploy it to AWS."
    )


def _only(definition: dict[str, Any], names: set[str]) -> dict[str, Any]:
    """A definition whose DependsOn keeps only resources being deleted (for ordering a partial set)."""
    trimmed = dict(definition)
    depends_on = trimmed.get("DependsOn") or []
    depends_on = [depends_on] if isinstance(depends_on, str) else list(depends_on)
    trimmed["DependsOn"] = [d for d in depends_on if d in names]
    properties = trimmed.get("Properties") or {}
    trimmed["DependsOn"] += sorted({r for r in references(properties) if r in names} - set(trimmed["DependsOn"]))
    trimmed["Properties"] = {}
    return trimmed


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
