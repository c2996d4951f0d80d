"""Fixtures for CloudFormation on the sandbox: one sandbox per module, code packaged into the local S3."""

from __future__ import annotations

import uuid

import pytest
from botocore.config import Config
from cfn_helpers import zipped

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
