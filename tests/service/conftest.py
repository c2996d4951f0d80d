"""Fixtures for the Lambda service tests: a clean sandbox and boto3 clients that do not retry.

botocore retries throttles by default (which is exactly right for production callers); these tests want
to see every 429 themselves.
"""

from __future__ import annotations

import io
import zipfile

import boto3
import pytest
from botocore.config import Config

import lambdalab


@pytest.fixture
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture
def lam(box):
    return boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}, read_timeout=120,
                                                max_pool_connections=600))


def zipped(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def make_zip():
    return zipped
