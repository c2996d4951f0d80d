"""Helpers for the CloudFormation tests (and the deploy benchmark): packaging, deploying, reading events."""

from __future__ import annotations

import io
import uuid
import zipfile


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def deploy(cloudformation, stack_name: str, template: str, *, update: bool = False, **extra) -> dict:
    """Create and execute a change set, as ``sam deploy`` and ``aws cloudformation deploy`` do; the stack."""
    change_set = cloudformation.create_change_set(
        StackName=stack_name, ChangeSetName=f"cs-{uuid.uuid4().hex[:8]}", TemplateBody=template,
        ChangeSetType="UPDATE" if update else "CREATE", Capabilities=["CAPABILITY_IAM"], **extra)
    described = cloudformation.describe_change_set(ChangeSetName=change_set["Id"])
    assert described["Status"] == "CREATE_COMPLETE", described.get("StatusReason")
    cloudformation.execute_change_set(ChangeSetName=change_set["Id"])
    return cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]


def events(cloudformation, stack_name: str) -> list[tuple[str, str, str]]:
    """(logical id, status, reason) of every event, oldest first."""
    listed = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in reversed(listed)]
