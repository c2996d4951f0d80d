"""Lesson 05's lab: an HTTP API handler that refuses bad JSON, CORS done by hand, a public relay that signs its
requests to a private function URL, and closing a function URL a review found open to everyone.

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
from typing import Any

from lambdalab.aws_facts import DEFAULT_ACCOUNT_ID
from lambdalab.grading import checker, exercise, failed, passed
from lambdalab.grading.fixtures import deploy_answer, deploy_with_probe, describe_failure, probe_source
from lambdalab.grading.probes import FUNCTION_PROBE
from lambdalab.grading.results import CheckResult

check = checker("05")

ORDERS_FILE = "lab05/ex1/app.py"
CORS_FILE = "lab05/ex2/app.py"
SIGN_FILE = "lab05/ex3/relay.py"
GRANT_FILE = "lab05/ex4/close.py"
BAD_JSON = {"message": "Bad Request: the body is not a JSON object"}


def _word(rng: random.Random, n: int = 6) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def _deploy_answer(answer: Path, relative: str, environment: dict[str, str] | None = None):
    return deploy_answer(answer, relative, timeout=5, environment=environment)


def _describe(response: object) -> str:
    body = response.content[:200].decode(errors="replace")
    return f"HTTP {response.status_code} with body {body!r}"


def _bad_bodies(rng: random.Random) -> list[tuple[str, bytes]]:
    """One malformed body of every kind the exercise names, each drawn at random from its kind, and JSON of every
    type that is not an object (values random): whatever the draw, a handler that forgets one kind meets it, and
    one that turns away only ``null`` meets an array, a string, a number and a boolean too."""
    word = _word(rng)
    kinds = {
        "not JSON at all": [f"item={word}&quantity=2".encode(), f"<order>{word}</order>".encode(), word.encode()],
        "truncated JSON": [f'{{"item": "{word}", '.encode(), b"{", f'{{"item": "{word}"'.encode()],
        "an empty body": [b""],
        "JSON that is not an object": [
            b"null",
            f"[1, {rng.randrange(99)}]".encode(),
            f'"{word}"'.encode(),
            str(rng.randrange(10**6)).encode(),
            b"true",
        ],
    }
    not_objects = kinds.pop("JSON that is not an object")
    return [(kind, rng.choice(bodies)) for kind, bodies in kinds.items()] + [
        ("JSON that is not an object", body) for body in not_objects
    ]


@exercise(lab="05", number=1, title="Answer bad JSON with 400", files=[ORDERS_FILE])
def orders(answer: Path) -> CheckResult:
    import requests

    import lambdalab

    rng = random.Random()
    fn = _deploy_answer(answer, ORDERS_FILE)
    box = lambdalab.sandbox()
    api_id = box.client("apigatewayv2").create_api(Name=f"check-{fn.name}", ProtocolType="HTTP", Target=fn.arn)["ApiId"]
    base = lambdalab.api_url(api_id)
    good = [  # always a text body and a base64-encoded one, always a field the answer must leave out
        ({"item": _word(rng), "quantity": rng.randrange(1, 50), "note": _word(rng, 4)}, "application/json"),
        ({"item": _word(rng, 9), "quantity": rng.randrange(51, 999), "gift": True}, "application/octet-stream"),
    ]
    rng.shuffle(good)
    bad = _bad_bodies(rng)
    rng.shuffle(bad)
    try:
        for order, content_type in good:
            response = requests.post(
                f"{base}/orders", data=json.dumps(order).encode(), headers={"content-type": content_type}, timeout=60
            )
            want = {"item": order["item"], "quantity": order["quantity"]}
            if response.status_code != 201 or _json(response) != want:
                seen = _json(response)
                hint = (
                    "answer 201 with the item and the quantity alone: json.dumps({'item': ..., 'quantity': ...})"
                    if response.status_code == 201 and isinstance(seen, dict) and set(seen) > set(want)
                    else "the body arrives base64-encoded when its content type is not text: check "
                    "event['isBase64Encoded']"
                    if content_type != "application/json"
                    else "return {'statusCode': 201, 'body': json.dumps({'item': ..., 'quantity': ...})}"
                )
                return failed(
                    expected=f"HTTP 201 with body {json.dumps(want)} for the {content_type} body {json.dumps(order)}",
                    got=_describe(response),
                    hint=hint,
                )
        for kind, body in bad:
            response = requests.post(
                f"{base}/orders", data=body, headers={"content-type": "application/json"}, timeout=60
            )
            if response.status_code != 400 or _json(response) != BAD_JSON:
                return failed(
                    expected=f"HTTP 400 with body {json.dumps(BAD_JSON)} for {kind}: {body!r}",
                    got=_describe(response),
                    hint="a 500 means the handler raised: catch the parse error, treat a missing or empty body "
                    "as bad, and check that what parsed is a dict",
                )
    finally:
        box.client("apigatewayv2").delete_api(ApiId=api_id)
        fn.delete()
    return passed(
        got=f"{len(good)} orders and {len(bad)} malformed bodies (every kind, and JSON of every type but an object) "
        "answered correctly through an HTTP API"
    )


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
    # always two or more origins, and the requests come from ones that are not the first: an answer that
    # sends the whole variable, or only its first origin, meets a request it gets wrong on every run
    allowed = [f"https://{_word(rng)}.example" for _ in range(rng.randrange(2, 5))]
    stranger = f"https://{_word(rng)}.example"
    preflight_origin, origin = rng.choice(allowed[1:]), rng.choice(allowed[1:])
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
        pre = requests.options(
            f"{base}/{_word(rng)}",
            timeout=60,
            headers={
                "Origin": preflight_origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        wanted = {
            "access-control-allow-origin": preflight_origin,
            "access-control-allow-methods": "GET,POST,OPTIONS",
            "access-control-allow-headers": "content-type",
        }
        got = {k: pre.headers.get(k) for k in wanted}
        if pre.status_code != 204 or got != wanted:
            return failed(
                expected=f"a preflight from {preflight_origin} (allowed: {', '.join(allowed)}) answered 204 with "
                f"{wanted}",
                got=f"HTTP {pre.status_code} with {got}",
                hint="echo the request's Origin when it is allowed (a list of origins cannot be '*') and "
                "name exactly these methods and headers"
                if pre.status_code == 204
                else "a REST API proxy passes OPTIONS to your function: answer it yourself, with 204",
            )
        if "origin" not in pre.headers.get("vary", "").lower():
            return failed(
                expected="Vary: Origin on the preflight's answer too",
                got=f"Vary {pre.headers.get('vary')!r}",
                hint="every response says Vary: Origin, the preflight's included: a cache keeps preflights too",
            )
        for who, expect in ((origin, origin), (stranger, None)):
            response = requests.get(f"{base}/{_word(rng)}", headers={"Origin": who}, timeout=60)
            seen = response.headers.get("access-control-allow-origin")
            vary = response.headers.get("vary", "")
            if response.status_code != 200 or seen != expect or "origin" not in vary.lower():
                return failed(
                    expected=f"HTTP 200, Access-Control-Allow-Origin {expect!r} and Vary: Origin for Origin {who} "
                    f"(allowed: {', '.join(allowed)})",
                    got=f"HTTP {response.status_code}, Access-Control-Allow-Origin {seen!r}, Vary {vary!r}",
                    hint="echo the request's Origin only when it is in ALLOWED_ORIGINS (never '*' "
                    "for a list), and always say Vary: Origin",
                )
    finally:
        rest.delete_rest_api(restApiId=api_id)
        fn.delete()
    return passed(
        got="preflight and responses right for unseen allowed origins (a list of 2 to 4 drawn fresh) and for a stranger"
    )


def _relay_requests(rng: random.Random) -> list[dict]:
    """Requests for the relay, random in their words and numbers, always one of each kind the exercise names:
    a GET whose query repeats a name, a JSON POST sent as text, a POST whose non-text body arrives
    base64-encoded, a DELETE, and a request the private function answers 404. Returned in that order, which is
    the order the verdict judges them in; the caller sends them shuffled."""
    word, other = _word(rng), _word(rng, 4)
    requests_ = [
        {
            "method": "GET",
            "path": f"/orders/{rng.randrange(10**4)}",
            "query": f"tag={word}&tag={other}&limit={rng.randrange(1, 99)}",
            "body": None,
            "type": None,
        },
        {
            "method": "POST",
            "path": f"/orders/{word}",
            "query": "",
            "body": json.dumps({"item": other, "n": rng.randrange(10**6), "note": "crème brûlée"}),
            "type": "application/json",
        },
        {
            "method": "POST",
            "path": f"/uploads/{word}",
            "query": f"name={other}.bin",
            "body": f"raw:{uuid.uuid4().hex}",
            "type": "application/octet-stream",
        },
        {
            "method": "DELETE",
            "path": f"/orders/{rng.randrange(10**4)}",
            "query": f"reason={word}",
            "body": None,
            "type": None,
        },
        {"method": rng.choice(["GET", "POST"]), "path": f"/missing/{word}", "query": "", "body": None, "type": None},
    ]
    return requests_


def _relay_hint(sent: dict, seen: dict) -> str:
    if seen.get("method") != sent["method"]:
        return "send (and sign) the method the client used: event['requestContext']['http']['method']"
    if seen.get("path") != sent["path"] or seen.get("query") != sent["query"]:
        return (
            "append event['rawPath'] and, when there is one, '?' + event['rawQueryString'] to PRIVATE_URL, as they came"
        )
    return "send the body as it came: decode it with base64 first when event['isBase64Encoded'] is true"


@exercise(lab="05", number=3, title="A public front for a private function URL", files=[SIGN_FILE])
def relay(answer: Path) -> CheckResult:
    import requests

    import lambdalab

    rng = random.Random()
    box = lambdalab.sandbox()
    lam = box.client("lambda")
    target = lambdalab.deploy(f"check-private-{uuid.uuid4().hex[:8]}", code=probe_source("lab05_iam_echo"))
    private_url = lam.create_function_url_config(FunctionName=target.name, AuthType="AWS_IAM")["FunctionUrl"]
    fn = _deploy_answer(answer, SIGN_FILE, environment={"PRIVATE_URL": private_url})
    fn_timeout = 30
    lam.update_function_configuration(FunctionName=fn.name, Timeout=fn_timeout)
    api_id = box.client("apigatewayv2").create_api(Name=f"check-{fn.name}", ProtocolType="HTTP", Target=fn.arn)["ApiId"]
    base = lambdalab.api_url(api_id)
    kinds = _relay_requests(rng)
    answered: dict[int, requests.Response] = {}
    try:
        for index in rng.sample(range(len(kinds)), len(kinds)):
            sent = kinds[index]
            url = base + sent["path"] + (f"?{sent['query']}" if sent["query"] else "")
            headers = {"content-type": sent["type"]} if sent["type"] else {}
            body = sent["body"].encode() if sent["body"] is not None else None
            answered[index] = requests.request(sent["method"], url, data=body, headers=headers, timeout=60)
    finally:
        box.client("apigatewayv2").delete_api(ApiId=api_id)
        fn.delete()
        target.delete()
    return _relay_verdict([(sent, answered[index]) for index, sent in enumerate(kinds)])


def _refused_by_private_url(response: Any) -> bool:
    """Whether the AWS_IAM URL refused what the relay sent, so the private function never ran: that function
    answers only 200 or 404 (probes/lab05_iam_echo.py), so a 403 -- or the relay's 5xx carrying the URL's
    "Forbidden" -- can only come from the URL's authorization."""
    return response.status_code == 403 or (response.status_code >= 500 and "Forbidden" in response.text)


def _relay_verdict(answers: list[tuple[dict, Any]]) -> CheckResult:
    """Judge the answers rule by rule in a fixed order, whatever order the requests went in, so the verdict names
    the rule the relay broke rather than the rule of whichever request happened to go first. Signing comes first:
    a request the private URL refuses never reaches the private function, so no other rule can be seen in it."""

    def what(sent: dict) -> str:
        return f"{sent['method']} {sent['path']}" + (f"?{sent['query']}" if sent["query"] else "")

    for sent, response in answers:
        if _refused_by_private_url(response):
            wanted_status = 404 if sent["path"].startswith("/missing") else 200
            return failed(
                expected=f"HTTP {wanted_status} for {what(sent)}, relayed to the AWS_IAM function URL",
                got=_describe(response),
                hint="the private URL refuses what is not signed with Signature Version 4: sign for the service "
                "'lambda' in boto3.Session().region_name with its credentials, and send exactly what you signed",
            )
    for sent, response in answers:
        if sent["path"].startswith("/missing") and response.status_code != 404:
            return failed(
                expected=f"HTTP 404 for {what(sent)}: the private function's answer, passed on",
                got=_describe(response),
                hint="urllib raises HTTPError for a 4xx or 5xx answer: catch it and return its code and "
                "body, or the client sees a 500 of yours"
                if response.status_code in (500, 502)
                else "return the private function's status code as your statusCode",
            )
    for sent, response in answers:
        if sent["path"].startswith("/missing"):
            continue
        seen = _json(response)
        if response.status_code != 200 or not isinstance(seen, dict):
            return failed(
                expected=f"HTTP 200 for {what(sent)} and the private function's JSON answer",
                got=_describe(response),
                hint="return {'statusCode': <the private answer's status>, 'body': <its text>}",
            )
        received = {k: seen.get(k) for k in ("method", "path", "query", "body")}
        wanted = {
            "method": sent["method"],
            "path": sent["path"],
            "query": sent["query"],
            "body": sent["body"] or "",
        }
        if received != wanted:
            return failed(
                expected=f"the private function to receive {wanted}",
                got=f"it received {received}",
                hint=_relay_hint(wanted, received),
            )
    return passed(
        got="GET, POST (text and base64-encoded), DELETE and a 404 relayed through an HTTP API to an AWS_IAM "
        "function URL, signed, exactly as they came"
    )


def _statement(lam: object, function_name: str, **grant: object) -> dict:
    """Add one statement to the function's policy; returns it as get_policy will show it."""
    return json.loads(lam.add_permission(FunctionName=function_name, **grant)["Statement"])


def _is_public(statement: dict) -> bool:
    principal = statement.get("Principal")
    return principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*")


def _policy(lam: object, function_name: str) -> list[dict]:
    try:
        return json.loads(lam.get_policy(FunctionName=function_name)["Policy"]).get("Statement", [])
    except lam.exceptions.ResourceNotFoundException:  # no statement left: no policy at all
        return []


def _grant_everything(lam: object, function_name: str, rng: random.Random) -> tuple[list[str], list[dict]]:
    """A function's policy as a review found it: the two public grants (under ids whoever made them chose) and
    grants to an S3 bucket and to another account that must survive. Returns the public ids and the others."""
    public_ids = [f"{_word(rng)}-{uuid.uuid4().hex[:4]}" for _ in range(2)]
    invoke_grant: dict = {"Action": "lambda:InvokeFunction", "Principal": "*", "StatementId": public_ids[1]}
    if rng.random() < 0.5:
        invoke_grant["InvokedViaFunctionUrl"] = True
    grants = [
        {
            "Action": "lambda:InvokeFunctionUrl",
            "Principal": "*",
            "FunctionUrlAuthType": "NONE",
            "StatementId": public_ids[0],
        },
        invoke_grant,
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "s3.amazonaws.com",
            "StatementId": f"s3-{_word(rng)}",
            "SourceArn": f"arn:aws:s3:::{_word(rng)}-uploads",
            "SourceAccount": DEFAULT_ACCOUNT_ID,
        },
        {
            "Action": "lambda:InvokeFunction",
            "Principal": str(rng.randrange(10**11, 10**12)),
            "StatementId": f"partner-{_word(rng)}",
        },
    ]
    rng.shuffle(grants)
    added = [_statement(lam, function_name, **grant) for grant in grants]
    return public_ids, [statement for statement in added if statement["Sid"] not in public_ids]


@exercise(lab="05", number=4, title="Close a public function URL", files=[GRANT_FILE])
def close_url(answer: Path) -> CheckResult:
    import requests

    import lambdalab

    rng = random.Random()
    token = uuid.uuid4().hex
    target = lambdalab.deploy(
        f"check-public-{uuid.uuid4().hex[:8]}", code=probe_source("lab05_token"), environment={"TOKEN": token}
    )
    box = lambdalab.sandbox()
    lam = box.client("lambda")
    url = lam.create_function_url_config(FunctionName=target.name, AuthType="NONE")["FunctionUrl"]
    public_ids, kept = _grant_everything(lam, target.name, rng)
    closer = deploy_with_probe(answer, GRANT_FILE, FUNCTION_PROBE, function="close_to_public", timeout=60)
    try:
        before = requests.get(url, timeout=60)
        if before.status_code != 200 or before.text != token:
            return failed(
                expected="HTTP 200 from the public URL before close_to_public runs",
                got=_describe(before),
                hint="this is the sandbox's fault, not yours: restart the kernel",
            )
        result = closer.invoke({"calls": [{"function_name": target.name}]})
        if not result.ok:
            return failed(
                expected="close_to_public(function_name) to remove the public grants and return",
                got=describe_failure(result),
                hint="the statement ids are whatever whoever granted chose: read them from "
                "json.loads(lam.get_policy(FunctionName=...)['Policy'])['Statement'], then remove_permission",
            )
        after = requests.get(url, timeout=60)
        left = _policy(lam, target.name)
    finally:
        closer.delete()
        target.delete()
    still_public = sorted(s.get("Action") for s in left if _is_public(s))
    if after.status_code != 403:
        return failed(
            expected="HTTP 403 from the URL once close_to_public has run",
            got=f"{_describe(after)}; the policy still grants to '*': {still_public or 'nothing'}",
            hint="a NONE URL is open while the policy grants lambda:InvokeFunctionUrl and lambda:InvokeFunction "
            "to principal '*': find those statements by their Principal, not by their id",
        )
    if still_public:
        return failed(
            expected="no statement left that grants anything to principal '*'",
            got=f"the URL answers 403, but the policy still grants {still_public} to '*'",
            hint="remove both public statements: one left behind reopens the URL as soon as someone adds the "
            "other again",
        )
    by_id = {s.get("Sid"): s for s in left}
    for statement in kept:
        if by_id.get(statement["Sid"]) != statement:
            return failed(
                expected=f"the statement {statement['Sid']} (for {statement['Principal']}) kept as it was",
                got="it is gone" if statement["Sid"] not in by_id else f"it changed to {by_id[statement['Sid']]}",
                hint="remove only the statements whose Principal is '*': other grants (an S3 bucket's, another "
                "account's) are someone's working integration",
            )
    return passed(
        got=f"the URL answered 200, then 403; both public grants (unseen ids) removed, {len(kept)} other grants kept"
    )
