"""Reading a template as CloudFormation does: YAML or JSON, the SAM transform, the checks made up front.

CloudFormation refuses some templates before it creates anything (``ValidationError`` from the API call, or
a FAILED change set): a body that is not YAML or JSON, no ``Resources``, a resource type it does not know,
a reference to nothing, a missing parameter, a transform that fails, missing capabilities. Those checks live
here, worded as CloudFormation words them; what fails later fails per resource, in :mod:`engine`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from lambdalab.cloudformation.intrinsics import PSEUDO_PARAMETERS, TemplateError, references
from lambdalab.cloudformation.transform import SAM_TRANSFORM, transforms_of, translate

IAM_TYPES = frozenset(
    {
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::User",
        "AWS::IAM::Group",
        "AWS::IAM::AccessKey",
        "AWS::IAM::InstanceProfile",
        "AWS::IAM::UserToGroupAddition",
    }
)
_NAMED_IAM = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
}


class InsufficientCapabilities(ValueError):
    """CloudFormation's ``InsufficientCapabilitiesException``."""


@dataclass(frozen=True)
class Template:
    """A parsed template: the body as sent (what GetTemplate returns) and the processed one that deploys."""

    body: str
    original: dict[str, Any]
    processed: dict[str, Any]

    @property
    def resources(self) -> dict[str, Any]:
        return self.processed.get("Resources") or {}

    @property
    def outputs(self) -> dict[str, Any]:
        return self.processed.get("Outputs") or {}

    @property
    def description(self) -> str | None:
        return self.processed.get("Description")


def parse(body: str) -> dict[str, Any]:
    """A template body (YAML, with CloudFormation's short ``!Ref`` forms, or JSON) as a dict."""
    from samtranslator.yaml_helper import yaml_parse

    try:
        document = yaml_parse(body)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        try:
            document = json.loads(body)
        except ValueError:
            raise TemplateError(f"Template format error: YAML not well-formed.{where}") from None
    if not isinstance(document, dict):
        raise TemplateError("Template format error: unsupported structure.")
    return document


def load(
    body: str,
    *,
    parameters: dict[str, str],
    stack_name: str,
    stack_id: str,
    region: str,
    account_id: str,
    capabilities: list[str],
    via_change_set: bool,
) -> Template:
    """Parse, transform and check a template; raise :class:`TemplateError` or
    :class:`InsufficientCapabilities` the way CloudFormation refuses it."""
    original = parse(body)
    if not isinstance(original.get("Resources"), dict) or not original["Resources"]:
        raise TemplateError("Template format error: At least one Resources member must be defined.")
    processed = original
    names = transforms_of(original)
    if names:
        unknown = [n for n in names if n != SAM_TRANSFORM]
        if unknown:
            raise TemplateError(
                f"Template format error: Unsupported transform(s): {unknown}. The sandbox runs only {SAM_TRANSFORM}."
            )
        if not via_change_set and "CAPABILITY_AUTO_EXPAND" not in capabilities:
            raise InsufficientCapabilities("Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
        processed = translate(
            original,
            parameters=parameters,
            stack_name=stack_name,
            stack_id=stack_id,
            region=region,
            account_id=account_id,
        )
    check(processed, parameters)
    needed = required_capabilities(processed)
    missing = [
        c
        for c in needed
        if c not in capabilities and not (c == "CAPABILITY_IAM" and "CAPABILITY_NAMED_IAM" in capabilities)
    ]
    if missing:
        raise InsufficientCapabilities(f"Requires capabilities : [{missing[0]}]")
    return Template(body=body, original=original, processed=processed)


def check(template: dict[str, Any], parameters: dict[str, str]) -> None:
    """The checks CloudFormation makes before creating anything."""
    resources = template.get("Resources") or {}
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateError(
                f"Template format error: [/Resources/{logical_id}] Every Resources object must contain a Type member."
            )
        if not isinstance(resource.get("Properties", {}), dict):
            raise TemplateError(
                f"Template format error: [/Resources/{logical_id}/Properties] Properties must be an object."
            )
    unknown = sorted({r["Type"] for r in resources.values() if not known_type(r["Type"])})
    if unknown:
        raise TemplateError(f"Template format error: Unrecognized resource types: [{', '.join(unknown)}]")
    declared = template.get("Parameters") or {}
    missing = [name for name, spec in declared.items() if name not in parameters and "Default" not in (spec or {})]
    if missing:
        raise TemplateError(f"Parameters: [{', '.join(missing)}] must have values")
    undeclared = [name for name in parameters if name not in declared]
    if undeclared:
        raise TemplateError(f"Parameters: [{', '.join(undeclared)}] do not exist in the template")
    known = set(resources) | set(declared) | set(PSEUDO_PARAMETERS)
    for block in ("Resources", "Outputs"):
        unresolved = sorted({name for name in references(template.get(block) or {}) if name not in known})
        if unresolved:
            raise TemplateError(
                f"Template format error: Unresolved resource dependencies [{', '.join(unresolved)}] "
                f"in the {block} block of the template"
            )


def required_capabilities(template: dict[str, Any]) -> list[str]:
    """``CAPABILITY_NAMED_IAM`` for IAM resources with names, else ``CAPABILITY_IAM`` for any IAM resource."""
    needed: list[str] = []
    for resource in (template.get("Resources") or {}).values():
        kind = resource.get("Type")
        if kind in IAM_TYPES:
            if _NAMED_IAM.get(kind) in (resource.get("Properties") or {}):
                return ["CAPABILITY_NAMED_IAM"]
            needed = ["CAPABILITY_IAM"]
    return needed


def known_type(kind: str) -> bool:
    """Whether AWS knows the resource type (custom resources always count)."""
    if kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource":
        return True
    return kind in _aws_resource_types()


@lru_cache(maxsize=1)
def _aws_resource_types() -> frozenset[str]:
    """Every resource type AWS publishes in us-east-1, from cfn-lint's bundled copy of the registry (read
    without importing cfn-lint, which takes seconds)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - cfn-lint is a dependency
        raise RuntimeError("cfn-lint is not installed: reinstall the course (python3 course.py test)")
    index = Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas" / "providers" / "us-east-1.json"
    return frozenset(json.loads(index.read_text(encoding="utf-8")))
