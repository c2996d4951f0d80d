"""API Gateway's front door: APIs made with boto3 answer HTTP on 127.0.0.1 as API Gateway would."""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests

import lambdalab
from tests.triggers.conftest import raw_http

ECHO = """
import base64, json, time
def handler(event, context):
    path = event.get("rawPath") or event.get("path") or ""
    if path.endswith("/raise"):
        raise RuntimeError("boom")
    if path.endswith("/sleep"):
        time.sleep(2)
    if path.endswith("/malformed"):
        return {"statusCode": 200, "body": {"not": "a string"}}
    if path.endswith("/text"):
        return "plain words"
    if path.endswith("/object"):
        return {"hello": "world"}
    if path.endswith("/rich"):
        return {"statusCode": 201, "headers": {"x-one": "1"}, "multiValueHeaders": {"x-many": ["a", "b"]},
                "cookies": ["k=v", "k2=v2"], "body": base64.b64encode(b"\\x00\\x01").decode(),
                "isBase64Encoded": True}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


@pytest.fixture(scope="module")
def echo(box):
    return lambdalab.deploy("apigw-echo", code=ECHO, timeout=10)


@pytest.fixture(scope="module")
def http_api(clients, echo):
    api = clients["apigatewayv2"].create_api(Name="quick", ProtocolType="HTTP", Target=echo.arn)
    return lambdalab.api_url(api["ApiId"])


@pytest.fixture(scope="module")
def rest_api(clients, echo):
    rest = clients["apigateway"]
    api_id = rest.create_rest_api(name="shop")["id"]
    root = next(r["id"] for r in rest.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{echo.arn}/invocations"

    def method(resource_id: str, verb: str, timeout_ms: int | None = None) -> None:
        rest.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=verb, authorizationType="NONE")
        extra = {"timeoutInMillis": timeout_ms} if timeout_ms else {}
        rest.put_integration(
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod=verb,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri,
            **extra,
        )

    items = rest.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    item = rest.create_resource(restApiId=api_id, parentId=items, pathPart="{id}")["id"]
    proxy = rest.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    slow = rest.create_resource(restApiId=api_id, parentId=root, pathPart="sleep")["id"]
    method(item, "GET")
    method(proxy, "ANY")
    method(slow, "GET", timeout_ms=500)
    rest.create_deployment(restApiId=api_id, stageName="prod")
    return lambdalab.api_url(api_id, "prod")


# --- HTTP APIs --------------------------------------------------------------------------------------
def test_quick_create_makes_a_default_route_integration_and_stage(clients, http_api):
    api_id = clients["apigatewayv2"].get_apis()["Items"][0]["ApiId"]
    routes = clients["apigatewayv2"].get_routes(ApiId=api_id)["Items"]
    assert [r["RouteKey"] for r in routes] == ["$default"]
    assert clients["apigatewayv2"].get_stages(ApiId=api_id)["Items"][0]["StageName"] == "$default"


def test_http_api_sends_a_v2_event(http_api):
    response = requests.post(f"{http_api}/orders/7?x=1&x=2", json={"n": 1}, headers={"Cookie": "a=1; b=2"})
    event = response.json()
    assert response.status_code == 200
    assert event["version"] == "2.0" and event["rawPath"] == "/orders/7" and event["routeKey"] == "$default"
    assert event["cookies"] == ["a=1", "b=2"] and event["queryStringParameters"] == {"x": "1,2"}
    assert json.loads(event["body"]) == {"n": 1} and event["requestContext"]["http"]["method"] == "POST"


def test_v2_infers_a_response_when_there_is_no_status_code(http_api):
    text = requests.get(f"{http_api}/text")
    assert (text.status_code, text.text, text.headers["content-type"]) == (200, "plain words", "application/json")
    assert requests.get(f"{http_api}/object").json() == {"hello": "world"}


def test_v2_maps_cookies_headers_and_base64_bodies(http_api):
    response = requests.get(f"{http_api}/rich")
    assert response.status_code == 201 and response.content == b"\x00\x01"
    assert response.headers["x-one"] == "1"
    assert response.raw.headers.getlist("set-cookie") == ["k=v", "k2=v2"]


def test_http_api_function_error_and_malformed_result_are_500(http_api):
    for path in ("/raise", "/malformed"):
        response = requests.get(f"{http_api}{path}")
        assert (response.status_code, response.json()) == (500, {"message": "Internal Server Error"})


def test_http_api_routes_by_specificity_and_404s_the_rest(clients, echo):
    v2 = clients["apigatewayv2"]
    api_id = v2.create_api(Name="routes", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo.arn, PayloadFormatVersion="1.0"
    )["IntegrationId"]
    for key in ("GET /items/{id}", "GET /items/special", "ANY /files/{path+}"):
        v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="dev")
    base = lambdalab.api_url(api_id, "dev")
    assert base.endswith("/dev")
    by_id = requests.get(f"{base}/items/9").json()
    assert by_id["version"] == "1.0" and by_id["pathParameters"] == {"id": "9"} and by_id["path"] == "/items/9"
    assert requests.get(f"{base}/items/special").json()["pathParameters"] is None
    assert requests.delete(f"{base}/files/a/b%20c").json()["pathParameters"] == {"path": "a/b c"}
    missing = requests.post(f"{base}/items/9")
    assert (missing.status_code, missing.json()) == (404, {"message": "Not Found"})
    assert requests.get(base.removesuffix("/dev") + "/prod/items/9").status_code == 404


def test_http_api_integration_timeout_is_settable(clients, echo):
    v2 = clients["apigatewayv2"]
    api_id = v2.create_api(Name="slow", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=echo.arn,
        PayloadFormatVersion="2.0",
        TimeoutInMillis=500,
    )["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    started = time.perf_counter()
    response = requests.get(f"{lambdalab.api_url(api_id)}/sleep")
    assert response.status_code == 504 and time.perf_counter() - started < 1.8


# --- REST APIs ------------------------------------------------------------------------------------
def test_rest_api_routes_path_parameters_and_sends_a_v1_event(rest_api):
    event = requests.get(f"{rest_api}/items/42?tag=a&tag=b", headers={"X-Dup": "1"}).json()
    assert "version" not in event
    assert event["resource"] == "/items/{id}" and event["path"] == "/items/42"
    assert event["pathParameters"] == {"id": "42"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["requestContext"]["stage"] == "prod" and event["requestContext"]["path"] == "/prod/items/42"


def test_rest_api_greedy_proxy_and_any(rest_api):
    event = requests.patch(f"{rest_api}/deep/er/path", data="x", headers={"content-type": "text/plain"}).json()
    assert event["resource"] == "/{proxy+}" and event["pathParameters"] == {"proxy": "deep/er/path"}
    assert event["httpMethod"] == "PATCH" and event["body"] == "x"


def test_rest_api_answers_unknown_routes_and_stages_with_missing_authentication_token(rest_api):
    for url in (
        f"{rest_api}/items/42/more/..",
        rest_api.removesuffix("/prod") + "/beta/items/1",
        rest_api.removesuffix("/prod") + "/",
    ):
        response = requests.post(url) if "beta" not in url else requests.get(url)
        if response.status_code != 200:
            assert (response.status_code, response.json()) == (403, {"message": "Missing Authentication Token"})
    response = requests.get(rest_api.removesuffix("/prod") + "/beta/items/1")
    assert response.status_code == 403


def test_rest_api_maps_multi_value_headers_and_refuses_v2_shortcuts(rest_api):
    rich = requests.get(f"{rest_api}/rich")
    assert rich.status_code == 502  # "cookies" is not a 1.0 field: a malformed proxy response
    for path in ("/raise", "/malformed", "/text", "/object"):
        response = requests.get(f"{rest_api}{path}")
        assert (response.status_code, response.json()) == (502, {"message": "Internal server error"}), path


def test_rest_api_times_out_with_504(rest_api):
    started = time.perf_counter()
    response = requests.get(f"{rest_api}/sleep")
    assert (response.status_code, response.json()) == (504, {"message": "Endpoint request timed out"})
    assert time.perf_counter() - started < 1.8


def test_when_lambda_throttles_the_function_then_rest_api_answers_500_not_429(clients, rest_api, echo):
    clients["lambda"].put_function_concurrency(FunctionName=echo.name, ReservedConcurrentExecutions=0)
    try:
        response = requests.get(f"{rest_api}/items/1")
        assert (response.status_code, response.json()) == (500, {"message": "Internal server error"})
    finally:
        clients["lambda"].delete_function_concurrency(FunctionName=echo.name)
    assert requests.get(f"{rest_api}/items/1").status_code == 200


def test_when_lambda_throttles_the_function_then_http_api_answers_500(clients, http_api, echo):
    clients["lambda"].put_function_concurrency(FunctionName=echo.name, ReservedConcurrentExecutions=0)
    try:
        response = requests.get(f"{http_api}/anything")
        assert (response.status_code, response.json()) == (500, {"message": "Internal Server Error"})
    finally:
        clients["lambda"].delete_function_concurrency(FunctionName=echo.name)


# --- malformed requests -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data, status",
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /prod/items/1 HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST /prod/items/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n", 413),
        (b"POST /prod/items/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"GET http://elsewhere/prod/items/1 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"BREW /prod/items/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 403),
    ],
)
def test_malformed_requests_get_an_api_gateway_status_and_the_server_lives_on(rest_api, data, status):
    answer = raw_http(rest_api, data)
    assert answer.split(b" ")[1] == str(status).encode()
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1] or b"{}").get("message")
    assert requests.get(f"{rest_api}/items/1").status_code == 200


def test_a_request_without_body_bytes_it_promised_does_not_hang_the_front_door(rest_api):
    raw_http(rest_api, b"POST /prod/items/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", timeout=0.5)
    assert requests.get(f"{rest_api}/items/1").status_code == 200


def test_binary_request_bodies_reach_the_function_base64_encoded(rest_api):
    event = requests.put(f"{rest_api}/upload", data=b"\xff\x00", headers={"content-type": "image/png"}).json()
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\x00"
