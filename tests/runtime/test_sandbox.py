"""The local AWS sandbox: one line to start, loopback only, fake credentials, never real AWS."""

from __future__ import annotations

import logging
import os

import boto3
import pytest

import lambdalab
from lambdalab.aws_sandbox import NotLoopbackError, ensure_loopback


@pytest.fixture(scope="module")
def box():
    return lambdalab.sandbox()


def test_when_started_then_plain_boto3_clients_reach_the_sandbox(box):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="sandbox-test-bucket")
    assert "sandbox-test-bucket" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert os.environ["AWS_ENDPOINT_URL"] == box.endpoint_url
    assert box.endpoint_url.startswith("http://127.0.0.1:")


def test_when_started_twice_then_the_running_sandbox_is_reused(box):
    assert lambdalab.sandbox() is box


def test_when_real_credentials_are_in_the_environment_then_they_are_set_aside(box, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.eu-west-1.amazonaws.com")
    lambdalab.sandbox()
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert "AWS_PROFILE" not in os.environ and "AWS_ENDPOINT_URL_S3" not in os.environ
    credentials = boto3.session.Session().get_credentials()
    assert credentials.access_key == "testing"
    assert boto3.client("s3").meta.endpoint_url == box.endpoint_url


def test_when_any_client_targets_real_aws_then_the_request_is_refused_before_it_leaves(box):
    real = boto3.client("s3", endpoint_url="https://s3.amazonaws.com", region_name="us-east-1",
                        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x")
    with pytest.raises(NotLoopbackError, match="only loopback addresses"):
        real.list_buckets()


@pytest.mark.parametrize("host", ["10.0.0.5", "0.0.0.0", "example.com", "192.168.1.1"])
def test_when_asked_for_a_non_loopback_host_then_a_clear_refusal(host):
    with pytest.raises(NotLoopbackError, match="127.0.0.1"):
        ensure_loopback(host)
    with pytest.raises(NotLoopbackError):
        lambdalab.sandbox(host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_when_the_host_is_loopback_then_it_is_accepted(host):
    ensure_loopback(host)


def test_when_reset_then_buckets_and_functions_are_gone(box):
    boto3.client("s3").create_bucket(Bucket="reset-me")
    fn = lambdalab.deploy("reset-fn", code="def handler(e, c):\n    return 1\n")
    fn.invoke({})
    box.reset()
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert lambdalab.list_functions() == []


def test_when_requests_are_served_then_werkzeug_prints_nothing(box, capsys):
    boto3.client("sqs").list_queues()
    assert logging.getLogger("werkzeug").getEffectiveLevel() >= logging.ERROR
    captured = capsys.readouterr()
    assert "HTTP/1.1" not in captured.out + captured.err


def test_the_exports_point_the_aws_cli_at_the_sandbox(box):
    exports = box.exports()
    assert f"export AWS_ENDPOINT_URL={box.endpoint_url}" in exports
    assert "export AWS_ACCESS_KEY_ID=testing" in exports
