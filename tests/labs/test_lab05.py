"""Lab 05's checks judge answers through the real front doors: right answers pass, wrong ones are told why."""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest

import lambdalab
from lambdalab.grading import Status
from lambdalab.grading.lab05 import CORS_FILE, GRANT_FILE, ORDERS_FILE, SIGN_FILE, check

SOLUTIONS = Path(__file__).parents[2] / "solutions" / "05-function-urls.ipynb"


def solution(relative: str) -> str:
    """The solution notebook's ``%%writefile`` cell for a file, without the magic line."""
    for cell in nbformat.read(SOLUTIONS, as_version=4).cells:
        first, _, body = cell.source.partition("\n")
        if cell.cell_type == "code" and first == f"%%writefile {relative}":
            return body
    raise LookupError(relative)


def write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))


@pytest.fixture(scope="module", autouse=True)
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.mark.parametrize("number, relative", [(1, ORDERS_FILE), (2, CORS_FILE), (3, SIGN_FILE), (4, GRANT_FILE)])
def test_the_solutions_pass(tmp_path, number, relative):
    write(tmp_path, relative, solution(relative))
    result = check(number, tmp_path)
    assert result.status is Status.PASSED, result.render()


def test_a_handler_that_lets_bad_json_raise_is_told_it_answered_500(tmp_path):
    write(
        tmp_path,
        ORDERS_FILE,
        """
        import json
        def handler(event, context):
            order = json.loads(event["body"])
            return {"statusCode": 201, "body": json.dumps({"item": order["item"], "quantity": order["quantity"]})}
    """,
    )
    result = check(1, tmp_path)
    assert result.status is Status.FAILED
    assert "HTTP 500" in result.got or "base64" in result.hint


def test_cors_with_a_wildcard_origin_fails(tmp_path):
    write(
        tmp_path,
        CORS_FILE,
        """
        def handler(event, context):
            headers = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
                       "Access-Control-Allow-Headers": "content-type", "Vary": "Origin"}
            return {"statusCode": 204 if event["httpMethod"] == "OPTIONS" else 200, "headers": headers, "body": ""}
    """,
    )
    result = check(2, tmp_path)
    assert result.status is Status.FAILED and "'*'" in result.got and "Origin" in result.hint


def test_an_unsigned_client_is_told_it_got_403(tmp_path):
    write(
        tmp_path,
        SIGN_FILE,
        """
        import urllib.error, urllib.request
        def call(url, body):
            try:
                with urllib.request.urlopen(urllib.request.Request(url, data=body.encode(), method="POST")) as r:
                    return r.status, r.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode()
    """,
    )
    result = check(3, tmp_path)
    assert result.status is Status.FAILED and "403" in result.got and "lambda" in result.hint


def test_the_placeholder_is_not_yet_solved(tmp_path):
    write(tmp_path, SIGN_FILE, "def call(url, body):\n    # YOUR CODE HERE\n    raise NotImplementedError\n")
    assert check(3, tmp_path).status is Status.NOT_YET_SOLVED


def test_granting_only_invoke_function_url_is_told_the_url_still_answers_403(tmp_path):
    write(
        tmp_path,
        GRANT_FILE,
        """
        import boto3
        def open_to_public(function_name):
            boto3.client("lambda").add_permission(FunctionName=function_name, StatementId="url",
                                                  Action="lambda:InvokeFunctionUrl", Principal="*",
                                                  FunctionUrlAuthType="NONE")
    """,
    )
    result = check(4, tmp_path)
    assert result.status is Status.FAILED and "403" in result.got and "lambda:InvokeFunctionUrl" in result.got
    assert "lambda:InvokeFunction," in result.hint


def test_a_grant_that_raises_is_told_what_went_wrong(tmp_path):
    write(
        tmp_path,
        GRANT_FILE,
        """
        import boto3
        def open_to_public(function_name):
            boto3.client("lambda").add_permission(FunctionName=function_name + "-nope", StatementId="x",
                                                  Action="lambda:InvokeFunction", Principal="*")
    """,
    )
    result = check(4, tmp_path)
    assert result.status is Status.FAILED and "ResourceNotFoundException" in result.got
