"""Function URLs obey the function's resource-based policy, read at request time, as Lambda does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import lambdalab

HELLO = """
def handler(event, context):
    return {"statusCode": 200, "body": "hello"}
"""
FORBIDDEN = (403, {"Message": "Forbidden"})
URL_STATEMENT = {
    "StatementId": "FunctionURLAllowPublicAccess",
    "Action": "lambda:InvokeFunctionUrl",
    "Principal": "*",
    "FunctionUrlAuthType": "NONE",
}
INVOKE_STATEMENT = {
    "StatementId": "FunctionURLInvokeAllowPublicAccess",
    "Action": "lambda:InvokeFunction",
    "Principal": "*",
    "InvokedViaFunctionUrl": True,
}


def answer(url: str) -> tuple[int, object]:
    response = requests.get(url)
    return response.status_code, (response.json() if response.status_code == 403 else response.text)


@pytest.fixture()
def public_url(clients, request):
    name = f"policy-{request.node.name[-20:].replace('[', '-').replace(']', '')}"
    lambdalab.deploy(name, code=HELLO)
    url = clients["lambda"].create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    return name, url


def test_a_none_url_is_forbidden_until_the_policy_grants_both_actions(clients, public_url):
    lam, (name, url) = clients["lambda"], public_url
    assert answer(url) == FORBIDDEN
    lam.add_permission(FunctionName=name, **URL_STATEMENT)
    assert answer(url) == FORBIDDEN  # InvokeFunctionUrl alone is not enough for URLs made since October 2025
    lam.add_permission(FunctionName=name, **INVOKE_STATEMENT)
    assert answer(url) == (200, "hello")


def test_invoke_function_alone_is_not_enough_either(clients, public_url):
    lam, (name, url) = clients["lambda"], public_url
    lam.add_permission(FunctionName=name, **INVOKE_STATEMENT)
    assert answer(url) == FORBIDDEN


def test_removing_a_permission_closes_the_url_again(clients, public_url):
    lam, (name, url) = clients["lambda"], public_url
    lam.add_permission(FunctionName=name, **URL_STATEMENT)
    lam.add_permission(FunctionName=name, **INVOKE_STATEMENT)
    assert answer(url)[0] == 200
    lam.remove_permission(FunctionName=name, StatementId="FunctionURLInvokeAllowPublicAccess")
    assert answer(url) == FORBIDDEN


def test_a_grant_conditioned_on_aws_iam_does_not_open_a_none_url(clients, public_url):
    lam, (name, url) = clients["lambda"], public_url
    lam.add_permission(FunctionName=name, **{**URL_STATEMENT, "FunctionUrlAuthType": "AWS_IAM"})
    lam.add_permission(FunctionName=name, **INVOKE_STATEMENT)
    assert answer(url) == FORBIDDEN


def test_a_grant_to_another_account_does_not_open_a_none_url(clients, public_url):
    lam, (name, url) = clients["lambda"], public_url
    lam.add_permission(FunctionName=name, **{**URL_STATEMENT, "Principal": "111122223333"})
    lam.add_permission(FunctionName=name, **INVOKE_STATEMENT)
    assert answer(url) == FORBIDDEN


def test_the_aws_cli_add_permission_calls_open_the_url(box, clients, public_url, tmp_path: Path):
    name, url = public_url
    aws = [
        sys.executable,
        "-m",
        "awscli",
        "lambda",
        "add-permission",
        "--function-name",
        name,
        "--principal",
        "*",
        "--output",
        "json",
    ]
    env = {**os.environ, **box.environment}
    for extra in (
        ["--statement-id", "url", "--action", "lambda:InvokeFunctionUrl", "--function-url-auth-type", "NONE"],
        ["--statement-id", "invoke", "--action", "lambda:InvokeFunction", "--invoked-via-function-url"],
    ):
        done = subprocess.run([*aws, *extra], env=env, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
    assert answer(url) == (200, "hello")


def test_an_aws_iam_url_needs_no_policy_for_the_sandboxs_own_identity(clients):
    lambdalab.deploy("policy-iam", code=HELLO)
    url = clients["lambda"].create_function_url_config(FunctionName="policy-iam", AuthType="AWS_IAM")["FunctionUrl"]
    assert answer(url) == FORBIDDEN  # unsigned
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials("testing", "testing", "testing"), "lambda", "us-east-1").add_auth(request)
    prepared = request.prepare()
    response = requests.get(prepared.url, headers=dict(prepared.headers))
    assert (response.status_code, response.text) == (200, "hello")
