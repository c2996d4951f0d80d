"""Lab 05's checks judge answers through the real front doors: a wrong answer that breaks one rule only is
caught on every run (the unseen inputs always hold a case for every rule), and told which rule it broke.
That the reference solutions pass is held by the solution notebook (``test_solution_notebooks.py``)."""

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


def breaking(relative: str, old: str, new: str) -> str:
    """The solution with one rule broken: ``old`` (which must be in it) replaced by ``new``."""
    source = solution(relative)
    assert old in source, f"{old!r} is not in the solution of {relative}"
    return source.replace(old, new)


def write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))


@pytest.fixture(scope="module", autouse=True)
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


ONE_RULE_BROKEN = {
    "ex1-non-object-accepted": (
        1,
        ORDERS_FILE,
        "    if not isinstance(order, dict):\n",
        "    if order is None:\n",
        "JSON that is not an object",
    ),
    "ex1-empty-body-raises": (
        1,
        ORDERS_FILE,
        'body = event.get("body") or ""',
        'body = event.get("body")',
        "empty body",
    ),
    "ex1-base64-ignored": (1, ORDERS_FILE, 'if event.get("isBase64Encoded"):', "if False:", "base64"),
    "ex1-whole-order-echoed": (
        1,
        ORDERS_FILE,
        'answer = {"item": order.get("item"), "quantity": order.get("quantity")}',
        "answer = order",
        "the item and the quantity alone",
    ),
    "ex2-the-whole-variable-echoed": (
        2,
        CORS_FILE,
        'cors["Access-Control-Allow-Origin"] = origin',
        'cors["Access-Control-Allow-Origin"] = os.environ["ALLOWED_ORIGINS"]',
        "echo the request's Origin",
    ),
    "ex2-first-origin-only": (
        2,
        CORS_FILE,
        "if origin in ALLOWED_ORIGINS:\n        cors[",
        'if origin == os.environ["ALLOWED_ORIGINS"].split(",")[0]:\n        cors[',
        "echo the request's Origin",
    ),
    "ex2-no-vary-on-preflight": (
        2,
        CORS_FILE,
        '        return {"statusCode": 204, "headers": cors, "body": ""}',
        '        del cors["Vary"]\n        return {"statusCode": 204, "headers": cors, "body": ""}',
        "the preflight's included",
    ),
    "ex3-unsigned": (
        3,
        SIGN_FILE,
        'SigV4Auth(session.get_credentials(), "lambda", session.region_name).add_auth(request)',
        "",
        "Signature Version 4",
    ),
    "ex3-always-post": (
        3,
        SIGN_FILE,
        '    method = event["requestContext"]["http"]["method"]\n',
        '    method = "POST"\n',
        "the method the client used",
    ),
    "ex3-query-dropped": (3, SIGN_FILE, 'url += "?" + event["rawQueryString"]', "pass", "rawQueryString"),
    "ex3-base64-not-decoded": (
        3,
        SIGN_FILE,
        'base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()',
        "body.encode()",
        "isBase64Encoded",
    ),
    "ex3-error-status-raises": (
        3,
        SIGN_FILE,
        "except urllib.error.HTTPError as error:",
        "except urllib.error.URLError as error:  # too narrow\n        raise\n    except ZeroDivisionError as error:",
        "catch it",
    ),
    "ex4-well-known-ids": (
        4,
        GRANT_FILE,
        '    policy = json.loads(lam.get_policy(FunctionName=function_name)["Policy"])\n',
        '    policy = {"Statement": [{"Sid": "FunctionURLAllowPublicAccess", "Principal": "*"},\n'
        '                            {"Sid": "FunctionURLInvokeAllowPublicAccess", "Principal": "*"}]}\n',
        "read them from",
    ),
    "ex4-one-grant-left": (
        4,
        GRANT_FILE,
        '        if principal == "*" or (',
        '        if statement["Action"] == "lambda:InvokeFunctionUrl" and (principal == "*") or (',
        "remove both public statements",
    ),
    "ex4-every-grant-removed": (
        4,
        GRANT_FILE,
        'if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*"):',
        "if True:",
        "remove only the statements whose Principal is '*'",
    ),
}


@pytest.mark.parametrize(
    ("number", "relative", "old", "new", "told"), ONE_RULE_BROKEN.values(), ids=ONE_RULE_BROKEN.keys()
)
def test_when_an_answer_breaks_one_rule_then_the_check_fails_and_names_it(tmp_path, number, relative, old, new, told):
    write(tmp_path, relative, breaking(relative, old, new))
    result = check(number, tmp_path)
    assert result.status is Status.FAILED, result.render()
    assert told in result.render(), result.render()


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


@pytest.mark.parametrize(
    ("number", "relative", "signature"),
    [(3, SIGN_FILE, "def handler(event, context):"), (4, GRANT_FILE, "def close_to_public(function_name):")],
)
def test_the_placeholder_is_not_yet_solved(tmp_path, number, relative, signature):
    write(
        tmp_path, relative, f'{signature}\n    # YOUR CODE HERE\n    raise NotImplementedError("exercise {number}")\n'
    )
    assert check(number, tmp_path).status is Status.NOT_YET_SOLVED
