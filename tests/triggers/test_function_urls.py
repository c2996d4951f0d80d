"""Function URLs: the URL boto3 returns answers on 127.0.0.1 with Lambda's auth, CORS and invoke modes."""

from __future__ import annotations

import datetime as dt
import json
import time

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import lambdalab

ECHO = """
import json
def handler(event, context):
    if event["rawPath"] == "/raise":
        raise ValueError("boom")
    return {"statusCode": 200, "headers": {"access-control-allow-origin": "https://evil.example"},
            "cookies": ["session=1"], "body": json.dumps(event)}
"""
STREAM = """
import time
def handler(event, response_stream, context):
    response_stream.start_http_response(200, {"content-type": "text/event-stream"})
    for i in range(4):
        response_stream.write(f"data: {i}\\n\\n")
        time.sleep(0.25)
    if event["rawPath"] == "/fail":
        raise RuntimeError("mid-stream")
    print("handler finished at", time.time())
"""
SEED_GENERATOR = """
def handler(event, context):
    def generate():
        yield "data: a\\n\\n"
    return {"statusCode": 200, "headers": {"Content-Type": "text/event-stream"}, "body": generate()}
"""
BUFFERED_PYTHON = """
def handler(event, context):
    return {"statusCode": 201, "body": "hello"}
"""
FORBIDDEN = (403, {"Message": "Forbidden"})


def make_public(lam, name: str) -> None:
    """The two statements AuthType NONE needs since October 2025, as ``aws lambda add-permission`` adds them."""
    lam.add_permission(
        FunctionName=name,
        StatementId="FunctionURLAllowPublicAccess",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="FunctionURLInvokeAllowPublicAccess",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )


@pytest.fixture(scope="module")
def urls(box, clients):
    lam = clients["lambda"]
    lambdalab.deploy("url-echo", code=ECHO)
    lambdalab.deploy("url-iam", code=ECHO)
    lambdalab.deploy("url-stream", code=STREAM, runtime_client="streaming", timeout=10)
    lambdalab.deploy("url-generator", code=SEED_GENERATOR)
    lambdalab.deploy("url-buffered", code=BUFFERED_PYTHON)
    cors = {
        "AllowOrigins": ["https://app.example"],
        "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["content-type", "x-custom"],
        "ExposeHeaders": ["x-request"],
        "MaxAge": 300,
        "AllowCredentials": True,
    }
    made = {
        "none": lam.create_function_url_config(FunctionName="url-echo", AuthType="NONE", Cors=cors),
        "iam": lam.create_function_url_config(FunctionName="url-iam", AuthType="AWS_IAM"),
        "stream": lam.create_function_url_config(
            FunctionName="url-stream", AuthType="NONE", InvokeMode="RESPONSE_STREAM"
        ),
        "generator": lam.create_function_url_config(
            FunctionName="url-generator", AuthType="NONE", InvokeMode="RESPONSE_STREAM"
        ),
        "buffered": lam.create_function_url_config(
            FunctionName="url-buffered", AuthType="NONE", InvokeMode="RESPONSE_STREAM"
        ),
    }
    for name in ("url-echo", "url-stream", "url-generator", "url-buffered"):
        make_public(lam, name)
    return {key: config["FunctionUrl"] for key, config in made.items()}


def signed(
    method: str,
    url: str,
    body: bytes = b"",
    *,
    service: str = "lambda",
    region: str = "us-east-1",
    secret: str = "testing",
    headers: dict[str, str] | None = None,
) -> AWSRequest:
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(Credentials("testing", secret, "testing"), service, region).add_auth(request)
    return request


def send(request: AWSRequest, **changes: object) -> requests.Response:
    prepared = request.prepare()
    return requests.request(
        prepared.method,
        changes.get("url", prepared.url),
        data=changes.get("body", prepared.body),
        headers=changes.get("headers", dict(prepared.headers)),
    )


def status(response: requests.Response) -> tuple[int, object]:
    return response.status_code, response.json()


# --- the config API ---------------------------------------------------------------------------------
def test_the_url_boto3_returns_is_a_local_address_that_answers(clients, urls):
    assert urls["none"].startswith("http://127.0.0.1:") and urls["none"].endswith("/")
    config = clients["lambda"].get_function_url_config(FunctionName="url-echo")
    assert config["FunctionUrl"] == urls["none"] == lambdalab.function_url("url-echo")
    assert config["InvokeMode"] == "BUFFERED" and config["AuthType"] == "NONE"
    event = requests.get(urls["none"] + "a/b?x=1").json()
    assert event["rawPath"] == "/a/b" and event["requestContext"]["accountId"] == "anonymous"


def test_update_changes_the_invoke_mode_and_a_deleted_url_is_forbidden(clients, box):
    lam = clients["lambda"]
    lambdalab.deploy("url-temp", code=BUFFERED_PYTHON)
    url = lam.create_function_url_config(FunctionName="url-temp", AuthType="NONE")["FunctionUrl"]
    make_public(lam, "url-temp")
    updated = lam.update_function_url_config(FunctionName="url-temp", InvokeMode="RESPONSE_STREAM")
    assert updated["InvokeMode"] == "RESPONSE_STREAM" and updated["FunctionUrl"] == url
    lam.delete_function_url_config(FunctionName="url-temp")
    assert status(requests.get(url)) == FORBIDDEN


# --- BUFFERED responses -----------------------------------------------------------------------------
def test_buffered_response_is_mapped_like_payload_2(urls):
    response = requests.get(urls["none"])
    assert response.status_code == 200 and response.raw.headers.getlist("set-cookie") == ["session=1"]


def test_function_error_is_502(urls):
    response = requests.get(urls["none"] + "raise")
    assert (response.status_code, response.text) == (502, "Internal Server Error")


# --- AWS_IAM ---------------------------------------------------------------------------------------
def test_signed_request_passes_and_the_function_sees_the_caller(urls):
    response = send(
        signed("POST", urls["iam"] + "orders?id=7", b'{"n": 1}', headers={"content-type": "application/json"})
    )
    event = response.json()
    assert response.status_code == 200
    assert event["requestContext"]["authorizer"]["iam"]["accessKey"] == "testing"
    assert event["body"] == '{"n": 1}' and event["queryStringParameters"] == {"id": "7"}


def test_signing_with_boto3_session_credentials_passes(urls, box):
    credentials = boto3.Session().get_credentials()
    request = AWSRequest(method="GET", url=urls["iam"])
    SigV4Auth(credentials, "lambda", box.region).add_auth(request)
    assert send(request).status_code == 200


def test_unsigned_request_is_forbidden(urls):
    assert status(requests.get(urls["iam"])) == FORBIDDEN


def test_wrong_secret_is_forbidden(urls):
    assert status(send(signed("GET", urls["iam"], secret="not-the-secret"))) == FORBIDDEN


def test_tampered_body_is_forbidden(urls):
    assert status(send(signed("POST", urls["iam"], b'{"amount": 1}'), body=b'{"amount": 1000}')) == FORBIDDEN


def test_tampered_path_and_query_are_forbidden(urls):
    request = signed("GET", urls["iam"] + "orders/1?mine=true")
    assert status(send(request, url=urls["iam"] + "orders/2?mine=true")) == FORBIDDEN
    assert status(send(request, url=urls["iam"] + "orders/1?mine=false")) == FORBIDDEN
    assert send(request).status_code == 200


def test_tampered_signed_header_is_forbidden(urls):
    request = signed("GET", urls["iam"], headers={"x-tenant": "a"})
    headers = dict(request.prepare().headers)
    headers["x-tenant"] = "b"
    assert status(send(request, headers=headers)) == FORBIDDEN


def test_request_signed_for_another_service_or_region_is_forbidden(urls):
    assert status(send(signed("GET", urls["iam"], service="execute-api"))) == FORBIDDEN
    assert status(send(signed("GET", urls["iam"], region="eu-west-1"))) == FORBIDDEN


@pytest.mark.parametrize("skew", [dt.timedelta(minutes=-6), dt.timedelta(minutes=6)])
def test_expired_or_future_request_is_forbidden(urls, monkeypatch, skew):
    import botocore.auth

    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: dt.datetime.utcnow() + skew)
    request = signed("GET", urls["iam"])
    monkeypatch.undo()
    assert status(send(request)) == FORBIDDEN


def test_a_replayed_signature_within_five_minutes_still_passes(urls, monkeypatch):
    import botocore.auth

    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: dt.datetime.utcnow() - dt.timedelta(minutes=4))
    request = signed("GET", urls["iam"])
    monkeypatch.undo()
    assert send(request).status_code == 200


# --- CORS -----------------------------------------------------------------------------------------
def test_preflight_is_answered_from_the_config_without_the_function(urls):
    response = requests.options(
        urls["none"],
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, X-Custom",
        },
    )
    assert response.status_code == 200 and response.text == ""
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["access-control-allow-methods"] == "GET,POST"
    assert response.headers["access-control-allow-headers"] == "content-type,x-custom"
    assert response.headers["access-control-max-age"] == "300"
    assert response.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize(
    "origin, method, headers",
    [
        ("https://evil.example", "GET", ""),
        ("https://app.example", "DELETE", ""),
        ("https://app.example", "GET", "x-not-allowed"),
    ],
)
def test_preflight_for_what_the_config_does_not_allow_has_no_allow_origin(urls, origin, method, headers):
    response = requests.options(
        urls["none"],
        headers={"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers},
    )
    assert "access-control-allow-origin" not in response.headers


def test_responses_carry_the_urls_cors_headers_not_the_functions(urls):
    allowed = requests.get(urls["none"], headers={"Origin": "https://app.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert allowed.headers["access-control-expose-headers"] == "x-request"
    other = requests.get(urls["none"], headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers  # the function's own header is replaced


# --- RESPONSE_STREAM ------------------------------------------------------------------------------
def test_streamed_chunks_reach_the_client_before_the_handler_finishes(urls):
    requests.get(urls["stream"] + "warm")  # the cold start is not what this test measures
    started = time.time()
    arrivals = []
    with requests.get(urls["stream"], stream=True) as response:
        assert response.status_code == 200 and response.headers["content-type"] == "text/event-stream"
        assert response.headers["transfer-encoding"] == "chunked"
        for chunk in response.iter_content(chunk_size=None):
            arrivals.append((time.time(), chunk))
    finished = time.time()
    assert b"".join(c for _, c in arrivals) == b"".join(f"data: {i}\n\n".encode() for i in range(4))
    assert arrivals[0][0] - started < 0.2  # the first event, at once
    assert finished - arrivals[0][0] > 0.6  # while the handler went on writing for ~0.75 s more


def test_a_failure_mid_stream_cuts_the_connection(urls):
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(urls["stream"] + "fail").content  # noqa: B018 - reading is the point


def test_the_seeds_generator_does_not_stream_on_pythons_managed_runtime(urls):
    response = requests.get(urls["generator"])
    assert (response.status_code, response.text) == (502, "Internal Server Error")


def test_a_buffered_runtime_under_response_stream_sends_its_bytes_as_they_are(urls):
    response = requests.get(urls["buffered"])
    assert response.status_code == 200 and json.loads(response.text) == {"statusCode": 201, "body": "hello"}


INJECT = """
def handler(event, context):
    if event["rawPath"] == "/cookie":
        return {"statusCode": 200, "cookies": ["a=1\\r\\n\\r\\nHTTP/1.1 200 OK"], "body": "first"}
    if event["rawPath"] == "/unicode":
        return {"statusCode": 200, "headers": {"x-name": "名前"}, "body": "ok"}
    smuggled = "1\\r\\nContent-Length: 0\\r\\n\\r\\nHTTP/1.1 200 OK"
    return {"statusCode": 200, "headers": {"x-a": smuggled}, "body": "first"}
"""


@pytest.mark.parametrize("path", ["/header", "/cookie"])
def test_a_result_with_crlf_in_a_header_or_cookie_is_a_502_and_nothing_is_smuggled(clients, path):
    from tests.triggers.conftest import raw_http

    if "url-inject" not in {f.name for f in lambdalab.list_functions()}:
        lambdalab.deploy("url-inject", code=INJECT)
        clients["lambda"].create_function_url_config(FunctionName="url-inject", AuthType="NONE")
        make_public(clients["lambda"], "url-inject")
    url = lambdalab.function_url("url-inject")
    answer = raw_http(url, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 502 ") and answer.count(b"HTTP/1.1") == 1 and b"first" not in answer
    unicode = raw_http(url, b"GET /unicode HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert unicode.startswith(b"HTTP/1.1 200 ") and "x-name: 名前".encode() in unicode
