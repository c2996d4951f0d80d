"""Fixtures for CloudFormation on the sandbox: one sandbox per module, code packaged into the local S3."""

from __future__ import annotations

import io
import uuid
import zipfile

import pytest
from botocore.config import Config

import lambdalab

NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=300)


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture(scope="module")
def aws(box):
    """boto3 clients for the sandbox, by service name."""
    made: dict[str, object] = {}

    def client(service: str) -> object:
        if service not in made:
            made[service] = box.client(service, config=NO_RETRY)
        return made[service]

    return client


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def artifacts(aws):
    """A bucket for packaged code (what ``sam package`` uploads); ``upload(files) -> s3://… URI``."""
    bucket = f"artifacts-{uuid.uuid4().hex[:8]}"
    aws("s3").create_bucket(Bucket=bucket)

    def upload(files: dict[str, str]) -> str:
        key = f"{uuid.uuid4().hex}.zip"
        aws("s3").put_object(Bucket=bucket, Key=key, Body=zipped(files))
        return f"s3://{bucket}/{key}"

    return upload


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
