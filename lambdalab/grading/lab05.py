"""Lesson 05's lab: an HTTP API handler that refuses bad JSON, CORS done by hand, a signed request, and the
two grants that open a public function URL.

Every check puts the learner's code behind the real front doors of the sandbox — an HTTP API, a REST API,
an ``AWS_IAM`` function URL, an ``AuthType NONE`` function URL — and talks to it over HTTP with requests
drawn fresh each time (malformed bodies, origins, tokens the learner has not seen), then compares status
codes, headers and bodies with what the exercise asks for.
"""

from __future__ import annotations

import json
import random
import string
import uuid
from pathlib import Path

from lambdalab.grading import checker, exercise, failed, passed
from lambdalab.grading.fixtures import deploy_answer, deploy_with_probe, describe_failure, probe_source
from lambdalab.grading.probes import FUNCTION_PROBE
from lambdalab.grading.results import CheckResult

check = checker("05")

ORDERS_FILE = "lab05/ex1/app.py"
CORS_FILE = "lab05/ex2/app.py"
SIGN_FILE = "lab05/ex3/client.py"
GRANT_FILE = "lab05/ex4/grant.py"
BAD_JSON = {"message": "Bad Request: the body is not a JSON object"}


def _word(rng: random.Random, n: int = 6) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def _deploy_answer(answer: Path, relative: str, environment: dict[str, str] | None = None):
    return deploy_answer(answer, relative, timeout=5, environment=environment)


def _describe(response: object) -> str:
    body = response.content[:200].decode(errors="replace")
    return f"HTTP {response.status_code} with body {body!r}"


@exercise(lab="05", number=1, title="Answer bad JSON with 400", files=[ORDERS_FILE])
def orders(answer: Path) -> CheckResult:
    import requests

    import lambdalab

    rng = random.Random()
    fn = _deploy_answer(answer, ORDERS_FILE)
    box = lambdalab.sandbox()
    api_id = box.client("apigatewayv2").create_api(Name=f"check-{fn.name}", ProtocolType="HTTP", Target=fn.arn)["ApiId"]
    base = lambdalab.api_url(api_id)
    good = [
        ({"item": _word(rng), "quantity": rng.randrange(1, 50)}, "application/json"),
        ({"item": _word(rng, 9), "quantity": rng.randrange(51, 999)}, "application/octet-stream"),
    ]
    bad = rng.sample(
        [
            b"",
            b"{",
            b'{"item": "x", ',
            b"null",
            b"[1, 2]",
            b'"just a string"',
            b"42",
            b"\xff\xfe\x00garbage",
            b"item=x&quantity=2",
            b'{"item": "x"}}',
        ],
        5,
    )
    try:
        for order, content_type in good:
            response = requests.post(
                f"{base}/orders", data=json.dumps(order).encode(), headers={"content-type": content_type}, timeout=60
            )
            want = {"item": order["item"], "quantity": order["quantity"]}
            if response.status_code != 201 or _json(response) != want:
                hint = (
                    "the body arrives base64-encoded when its content type is not text: check event['isBase64Encoded']"
                    if content_type != "application/json"
                    else "return {'statusCode': 201, 'body': json.dumps(order)}"
                )
                return failed(
                    expected=f"HTTP 201 with body {json.dumps(want)} for a {content_type} body",
                    got=_describe(response),
                    hint=hint,
                )
        for body in bad:
            response = requests.post(
                f"{base}/orders", data=body, headers={"content-type": "application/json"}, timeout=60
            )
            if response.status_code != 400 or _json(response) != BAD_JSON:
                return failed(
                    expected=f"HTTP 400 with body {json.dumps(BAD_JSON)} for the body {body!r}",
                    got=_describe(response),
                    hint="a 500 means the handler raised: catch the parse error (and a body that is "
                    "valid JSON but not an object) and return the 400 yourself",
                )
    finally:
        box.client("apigatewayv2").delete_api(ApiId=api_id)
        fn.delete()
    return passed(got=f"{len(good)} orders and {len(bad)} malformed bodies answered correctly through an HTTP API")


def _json(response: object) -> object:
    try:
        return response.json()
    except ValueError:
        return None


@exercise(lab="05", number=2, title="CORS by hand behind a REST API", files=[CORS_FILE])
def cors(answer: Path) -> CheckResult:
    import requests

    import lambdalab

    rng = random.Random()
    allowed = [f"https://{_word(rng)}.example" for _ in range(rng.randrange(1, 4))]
    stranger = f"https://{_word(rng)}.example"
    fn = _deploy_answer(answer, CORS_FILE, environment={"ALLOWED_ORIGINS": ",".join(allowed)})
    box = lambdalab.sandbox()
    rest = box.client("apigateway")
    api_id = rest.create_rest_api(name=f"check-{fn.name}")["id"]
    try:
        root = next(r["id"] for r in rest.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
        proxy = rest.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
        rest.put_method(restApiId=api_id, resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
        rest.put_integration(
            restApiId=api_id,
            resourceId=proxy,
            httpMethod="ANY",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:{box.region}:lambda:path/2015-03-31/functions/{fn.arn}/invocations",
        )
        rest.create_deployment(restApiId=api_id, stageName="api")
        base = lambdalab.api_url(api_id, "api")
        origin = rng.choice(allowed)
        pre = requests.options(
            f"{base}/{_word(rng)}",
            timeout=60,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        wanted = {
            "access-control-allow-origin": origin,
            "access-control-allow-methods": "GET,POST,OPTIONS",
            "access-control-allow-headers": "content-type",
        }
        got = {k: pre.headers.get(k) for k in wanted}
        if pre.status_code != 204 or got != wanted:
            return failed(
                expected=f"a preflight from an allowed origin answered 204 with {wanted}",
                got=f"HTTP {pre.status_code} with {got}",
                hint="echo the request's Origin when it is allowed (a list of origins cannot be '*') and "
                "name exactly these methods and headers"
                if pre.status_code == 204
                else "a REST API proxy passes OPTIONS to your function: answer it yourself, with 204",
            )
        for who, expect in ((origin, origin), (stranger, None)):
            response = requests.get(f"{base}/{_word(rng)}", headers={"Origin": who}, timeout=60)
            seen = response.headers.get("access-control-allow-origin")
            vary = response.headers.get("vary", "")
            if response.status_code != 200 or seen != expect or "origin" not in vary.lower():
                return failed(
                    expected=f"HTTP 200, Access-Control-Allow-Origin {expect!r} and Vary: Origin for Origin {who}",
                    got=f"HTTP {response.status_code}, Access-Control-Allow-Origin {seen!r}, Vary {vary!r}",
                    hint="echo the request's Origin only when it is in ALLOWED_ORIGINS (never '*' "
                    "for a list), and always say Vary: Origin",
                )
    finally:
        rest.delete_rest_api(restApiId=api_id)
        fn.delete()
    return passed(got="preflight and responses right for allowed origins and for a stranger")


@exercise(lab="05", number=3, title="Sign a request for an AWS_IAM function URL", files=[SIGN_FILE])
def signed_call(answer: Path) -> CheckResult:
    import lambdalab

    rng = random.Random()
    target = lambdalab.deploy(f"check-iam-{uuid.uuid4().hex[:8]}", code=probe_source("lab05_http_echo"))
    box = lambdalab.sandbox()
    lam = box.client("lambda")
    url = lam.create_function_url_config(FunctionName=target.name, AuthType="AWS_IAM")["FunctionUrl"]
    body = json.dumps({"token": uuid.uuid4().hex, "n": rng.randrange(10**6)})
    path = f"{url}{_word(rng)}?q={_word(rng, 4)}"
    client = deploy_with_probe(answer, SIGN_FILE, FUNCTION_PROBE, function="call", timeout=60)
    try:
        result = client.invoke({"calls": [{"url": path, "body": body}]})
    finally:
        client.delete()
        target.delete()
    if not result.ok:
        return failed(
            expected="call(url, body) to return (status, text)",
            got=describe_failure(result),
            hint="botocore.auth.SigV4Auth(credentials, 'lambda', region).add_auth(request)",
        )
    outcome = result.payload[0]
    if not isinstance(outcome, list | tuple) or len(outcome) != 2:
        return failed(expected="a (status, text) pair", got=repr(outcome)[:200], hint="return status, text")
    status, text = outcome
    if status == 403:
        return failed(
            expected="HTTP 200 from the AWS_IAM function URL",
            got=f"HTTP 403 {text!r}",
            hint="sign for the service 'lambda' in the sandbox's region, with the session's "
            "credentials, and send exactly the body, path and headers you signed",
        )
    try:
        echoed = json.loads(text)
    except (TypeError, ValueError):
        echoed = None
    if status != 200 or not isinstance(echoed, dict) or echoed.get("body") != body:
        return failed(
            expected=f"HTTP 200 and the function receiving the body {body}",
            got=f"HTTP {status} {str(text)[:200]!r}",
            hint="POST the body you were given, unchanged",
        )
    return passed(
        got=f"a signed POST with its body accepted by an AWS_IAM function URL, as caller {echoed.get('caller')}"
    )


def _public_grants(lam: object, function_name: str) -> list[str]:
    """The actions the function's policy grants to everyone (``*``), for the hint."""
    try:
        policy = json.loads(lam.get_policy(FunctionName=function_name)["Policy"])
    except Exception:  # noqa: BLE001 - no policy at all: nothing is granted
        return []
    granted = []
    for statement in policy.get("Statement", []):
        principal = statement.get("Principal")
        if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*"):
            granted.append(str(statement.get("Action")))
    return sorted(granted)


@exercise(lab="05", number=4, title="Open a function URL to the public", files=[GRANT_FILE])
def open_url(answer: Path) -> CheckResult:
    import requests

    import lambdalab

    token = uuid.uuid4().hex
    target = lambdalab.deploy(
        f"check-public-{uuid.uuid4().hex[:8]}", code=probe_source("lab05_token"), environment={"TOKEN": token}
    )
    box = lambdalab.sandbox()
    lam = box.client("lambda")
    url = lam.create_function_url_config(FunctionName=target.name, AuthType="NONE")["FunctionUrl"]
    grant = deploy_with_probe(answer, GRANT_FILE, FUNCTION_PROBE, function="open_to_public", timeout=60)
    try:
        before = requests.get(url, timeout=60)
        if before.status_code != 403:
            return failed(
                expected="HTTP 403 from a fresh AuthType NONE URL (no policy yet)",
                got=_describe(before),
                hint="this is the sandbox's fault, not yours: restart the kernel",
            )
        result = grant.invoke({"calls": [{"function_name": target.name}]})
        if not result.ok:
            return failed(
                expected="open_to_public(function_name) to add the permissions and return",
                got=describe_failure(result),
                hint="boto3.client('lambda').add_permission(FunctionName=..., StatementId=..., "
                "Action=..., Principal='*', ...)",
            )
        after = requests.get(url, timeout=60)
        if after.status_code != 200 or after.text != token:
            granted = _public_grants(lam, target.name)
            return failed(
                expected="HTTP 200 from the URL once open_to_public has run",
                got=f"{_describe(after)}; the policy grants to '*': {granted or 'nothing'}",
                hint="AuthType NONE needs two statements for principal '*': lambda:InvokeFunctionUrl "
                "with FunctionUrlAuthType='NONE', and (for URLs made since October 2025) "
                "lambda:InvokeFunction, e.g. with InvokedViaFunctionUrl=True",
            )
    finally:
        grant.delete()
        target.delete()
    return passed(got="a NONE function URL answered 403 before open_to_public ran and 200 after")
