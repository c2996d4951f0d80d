"""Web pages the learner visits cannot reach the sandbox; boto3, the CLI and curl still can.

Plain HTTP, the way a browser (or an attacker's page) reaches the sandbox: ``Origin`` and
``Sec-Fetch-Site`` are what a browser sends; plain clients send neither.
"""

from __future__ import annotations

import http.client

import boto3
import pytest


def request(box, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""):
    connection = http.client.HTTPConnection(box.info.host, box.info.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def bucket(box):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="survives-cross-site")
    return s3


def still_there(s3) -> bool:
    return "survives-cross-site" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://localhost:8888", "Sec-Fetch-Site": "same-site"},  # another local page, not ours
    ],
)
def test_when_a_web_page_posts_to_moto_api_reset_then_403_and_nothing_is_reset(box, bucket, headers):
    status, response_headers, body = request(box, "POST", "/moto-api/reset", headers)

    assert status == 403
    assert b"/moto-api" in body
    assert "Access-Control-Allow-Origin" not in response_headers
    assert still_there(bucket)


def test_when_a_browser_preflights_moto_api_from_elsewhere_then_no_cors_grant(box):
    status, headers, _ = request(
        box, "OPTIONS", "/moto-api/reset", {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )

    assert status == 403
    assert not any(k.lower().startswith("access-control-") for k in headers)


def test_when_a_foreign_page_calls_an_aws_api_then_403_without_cors_headers(box, bucket):
    status, headers, _ = request(box, "GET", "/", {"Origin": "https://evil.example"})
    status_get, _, _ = request(box, "GET", "/?Action=ListQueues", {"Sec-Fetch-Site": "cross-site"})

    assert (status, status_get) == (403, 403)
    assert "Access-Control-Allow-Origin" not in headers


def test_when_jupyterlab_on_localhost_calls_an_aws_api_then_cors_names_that_origin_never_star(box, bucket):
    status, headers, body = request(
        box, "GET", "/", {"Origin": "http://localhost:8888", "Sec-Fetch-Site": "cross-site"}
    )

    assert status == 200 and b"survives-cross-site" in body
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:8888"
    assert "Origin" in headers["Vary"]


def test_when_dns_rebinding_sends_a_foreign_host_then_403(box, bucket):
    status, _, _ = request(
        box, "POST", "/moto-api/reset", {"Host": f"evil.example:{box.info.port}", "Sec-Fetch-Site": "same-origin"}
    )

    assert status == 403 and still_there(bucket)


def test_plain_clients_without_origin_keep_working_reset_included(box, bucket):
    assert still_there(bucket)  # boto3 through the guard
    status, headers, _ = request(box, "POST", "/moto-api/reset")  # what curl -X POST sends

    assert status == 200
    assert headers.get("Access-Control-Allow-Origin") != "*"
    assert not still_there(bucket)


def test_the_sandbox_own_pages_may_call_moto_api_same_origin(box):
    origin = f"http://{box.info.host}:{box.info.port}"
    status, _, _ = request(box, "GET", "/moto-api/data.json", {"Origin": origin, "Sec-Fetch-Site": "same-origin"})

    assert status == 200
