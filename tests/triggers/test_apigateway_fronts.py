"""API Gateway as production sees it: its own throttle is the only 429, its metrics show failures, its address
is local, a terminal reaches REST APIs through the sandbox's port, and no handler can split a response."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import requests

import lambdalab
from tests.triggers.conftest import raw_http

HANDLER = """
import json
def handler(event, context):
    path = event.get("rawPath") or event.get("path") or ""
    if path.endswith("/raise"):
        raise RuntimeError("boom")
    if path.endswith("/inject"):
        smuggled = "1\\r\\nContent-Length: 0\\r\\n\\r\\nHTTP/1.1 200 OK\\r\\nx-evil: 1"
        return {"statusCode": 200, "headers": {"x-a": smuggled}, "body": "first"}
    if path.endswith("/inject-multi"):
        return {"statusCode": 200, "multiValueHeaders": {"x-a": ["ok", "2\\nx-evil: 1"]}, "body": "first"}
    if path.endswith("/inject-cookie"):
        return {"statusCode": 200, "cookies": ["a=1\\r\\nx-evil: 1"], "body": "first"}
    if path.endswith("/inject-name"):
        return {"statusCode": 200, "headers": {"x-evil: 1\\r\\nx-b": "1"}, "body": "first"}
    if path.endswith("/unicode"):
        return {"statusCode": 200, "headers": {"x-name": "名前 café"}, "body": "ok"}
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"path": path, "pathParameters": event.get("pathParameters")})}
"""


@pytest.fixture(scope="module")
def fn(box):
    return lambdalab.deploy("apigw-fronts", code=HANDLER, timeout=10)


def make_rest_api(clients, fn, name: str | None = None) -> str:
    rest = clients["apigateway"]
    api_id = rest.create_rest_api(name=name or f"shop-{uuid.uuid4().hex[:6]}")["id"]
    root = next(r["id"] for r in rest.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn.arn}/invocations"
    proxy = rest.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    rest.put_method(restApiId=api_id, resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
    rest.put_integration(
        restApiId=api_id, resourceId=proxy, httpMethod="ANY", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri
    )
    rest.create_deployment(restApiId=api_id, stageName="prod")
    return api_id


def make_http_api(clients, fn) -> str:
    return clients["apigatewayv2"].create_api(Name=f"quick-{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=fn.arn)[
        "ApiId"
    ]


# --- 429 comes only from API Gateway's own throttle -------------------------------------------------------
def test_when_a_rest_stage_allows_a_burst_of_two_then_the_third_request_is_429(clients, fn):
    api_id = make_rest_api(clients, fn)
    base = lambdalab.api_url(api_id, "prod")
    assert [requests.get(f"{base}/a").status_code for _ in range(3)] == [200, 200, 200]  # account limits only
    clients["apigateway"].update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.01"},
        ],
    )
    answers = [requests.get(f"{base}/a") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json() == {"message": "Too Many Requests"}


def test_when_an_http_api_default_route_burst_is_one_then_the_second_request_is_429(clients, fn):
    v2 = clients["apigatewayv2"]
    api_id = make_http_api(clients, fn)
    base = lambdalab.api_url(api_id)
    updated = v2.update_stage(
        ApiId=api_id,
        StageName="$default",
        DefaultRouteSettings={"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.01},
    )
    assert updated["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 1
    assert v2.get_stage(ApiId=api_id, StageName="$default")["DefaultRouteSettings"]["ThrottlingRateLimit"] == 0.01
    first, second = requests.get(f"{base}/x"), requests.get(f"{base}/x")
    assert (first.status_code, second.status_code, second.json()) == (200, 429, {"message": "Too Many Requests"})


def test_a_route_setting_overrides_the_stage_default_for_that_route_only(clients, fn):
    v2 = clients["apigatewayv2"]
    api_id = v2.create_api(Name="routes-throttle", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=fn.arn, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    for key in ("GET /busy", "GET /free"):
        v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")
    v2.create_stage(
        ApiId=api_id,
        StageName="$default",
        AutoDeploy=True,
        DefaultRouteSettings={"ThrottlingBurstLimit": 0, "ThrottlingRateLimit": 0},
        RouteSettings={"GET /free": {"ThrottlingBurstLimit": 50, "ThrottlingRateLimit": 50}},
    )
    base = lambdalab.api_url(api_id)
    assert requests.get(f"{base}/busy").status_code == 429
    assert [requests.get(f"{base}/free").status_code for _ in range(3)] == [200, 200, 200]


def test_update_stage_on_an_unknown_stage_is_not_found(clients, fn):
    from botocore.exceptions import ClientError

    api_id = make_http_api(clients, fn)
    with pytest.raises(ClientError) as caught:
        clients["apigatewayv2"].update_stage(ApiId=api_id, StageName="nope", Description="x")
    assert caught.value.response["Error"]["Code"] == "NotFoundException"


# --- metrics ----------------------------------------------------------------------------------------------
def _sum(box, name: str, dimensions: dict[str, str]) -> float:
    now = dt.datetime.now(dt.UTC)
    points = box.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/ApiGateway",
        MetricName=name,
        StartTime=now - dt.timedelta(minutes=10),
        EndTime=now + dt.timedelta(minutes=10),
        Period=60,
        Statistics=["Sum"],
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
    )["Datapoints"]
    return sum(p["Sum"] for p in points)


def test_rest_api_failures_show_in_5xxerror_by_api_name_and_stage(box, clients, fn):
    name = f"metered-{uuid.uuid4().hex[:6]}"
    base = lambdalab.api_url(make_rest_api(clients, fn, name), "prod")
    statuses = [requests.get(f"{base}/{p}").status_code for p in ("ok", "raise", "raise", "ok", "ok")]
    assert statuses == [200, 502, 502, 200, 200]
    lambdalab.flush_logs()
    by_stage = {"ApiName": name, "Stage": "prod"}
    assert (_sum(box, "Count", by_stage), _sum(box, "5XXError", by_stage), _sum(box, "4XXError", by_stage)) == (5, 2, 0)
    assert _sum(box, "5XXError", {"ApiName": name}) == 2
    assert _sum(box, "IntegrationLatency", by_stage) > 0 and _sum(box, "Latency", by_stage) > 0


def test_http_api_failures_show_in_5xx_by_api_id(box, clients, fn):
    api_id = make_http_api(clients, fn)
    base = lambdalab.api_url(api_id)
    assert [requests.get(f"{base}/{p}").status_code for p in ("raise", "ok")] == [500, 200]
    lambdalab.flush_logs()
    assert (_sum(box, "Count", {"ApiId": api_id}), _sum(box, "5xx", {"ApiId": api_id})) == (2, 1)
    assert _sum(box, "5xx", {"ApiId": api_id, "Stage": "$default"}) == 1


# --- addresses --------------------------------------------------------------------------------------------
def test_create_get_and_get_apis_return_the_local_api_endpoint(clients, fn):
    v2 = clients["apigatewayv2"]
    created = v2.create_api(Name=f"addr-{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=fn.arn)
    endpoint = created["ApiEndpoint"]
    assert endpoint.startswith("http://127.0.0.1:") and endpoint == lambdalab.api_url(created["ApiId"])
    assert v2.get_api(ApiId=created["ApiId"])["ApiEndpoint"] == endpoint
    assert all(api["ApiEndpoint"].startswith("http://127.0.0.1:") for api in v2.get_apis()["Items"])
    assert requests.get(f"{endpoint}/hello").json()["path"] == "/hello"


def test_a_rest_api_answers_on_the_sandbox_port_under_user_request(box, clients, fn):
    api_id = make_rest_api(clients, fn)
    url = f"{box.endpoint_url}/restapis/{api_id}/prod/_user_request_/items/a%20b?q=1"
    response = requests.get(url)
    assert response.status_code == 200
    assert response.json() == {"path": "/items/a%20b", "pathParameters": {"proxy": "items/a b"}}
    assert requests.get(f"{box.endpoint_url}/restapis/{api_id}/prod/_user_request_/raise").status_code == 502
    missing = requests.get(f"{box.endpoint_url}/restapis/{api_id}/nostage/_user_request_/x")
    assert (missing.status_code, missing.json()) == (403, {"message": "Missing Authentication Token"})
    assert requests.get(f"{box.endpoint_url}/restapis/nosuchapi/prod/_user_request_/x").status_code == 403


# --- no response splitting --------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["inject", "inject-multi", "inject-name"])
def test_a_rest_result_with_crlf_in_a_header_is_a_502_and_nothing_is_smuggled(clients, fn, path):
    base = lambdalab.api_url(make_rest_api(clients, fn), "prod")
    answer = raw_http(base, f"GET /prod/{path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 502 ")
    assert answer.count(b"HTTP/1.1") == 1 and b"x-evil" not in answer and b"first" not in answer
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == {"message": "Internal server error"}


@pytest.mark.parametrize("path", ["inject", "inject-cookie"])
def test_an_http_api_result_with_crlf_in_a_header_or_cookie_is_a_500_and_nothing_is_smuggled(clients, fn, path):
    base = lambdalab.api_url(make_http_api(clients, fn))
    answer = raw_http(base, f"GET /{path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 500 ")
    assert answer.count(b"HTTP/1.1") == 1 and b"x-evil" not in answer and b"first" not in answer


def test_the_sandbox_port_path_refuses_crlf_headers_too(box, clients, fn):
    api_id = make_rest_api(clients, fn)
    url = f"{box.endpoint_url}/restapis/{api_id}/prod/_user_request_/inject"
    response = requests.get(url)
    assert response.status_code == 502 and "x-evil" not in response.headers


def test_a_header_value_outside_latin_1_arrives_as_utf_8_and_the_connection_survives(clients, fn):
    base = lambdalab.api_url(make_http_api(clients, fn))
    answer = raw_http(base, b"GET /unicode HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert "x-name: 名前 café".encode() in answer and answer.endswith(b"ok")


def test_a_request_for_no_resource_counts_as_a_4xxerror_of_its_stage(box, clients, fn):
    rest = clients["apigateway"]
    name = f"noroute-{uuid.uuid4().hex[:6]}"
    api_id = rest.create_rest_api(name=name)["id"]
    root = next(r["id"] for r in rest.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    rest.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    rest.put_integration(
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn.arn}/invocations",
    )
    rest.create_deployment(restApiId=api_id, stageName="prod")
    response = requests.get(f"{lambdalab.api_url(api_id, 'prod')}/nothing")
    assert (response.status_code, response.json()) == (403, {"message": "Missing Authentication Token"})
    lambdalab.flush_logs()
    assert _sum(box, "4XXError", {"ApiName": name, "Stage": "prod"}) == 1


def test_a_method_setting_on_an_any_method_throttles_requests_of_every_verb_to_it(clients, fn):
    api_id = make_rest_api(clients, fn)
    clients["apigateway"].update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/~1{proxy+}/ANY/throttling/burstLimit", "value": "0"},
            {"op": "replace", "path": "/~1{proxy+}/ANY/throttling/rateLimit", "value": "0"},
        ],
    )
    response = requests.get(f"{lambdalab.api_url(api_id, 'prod')}/anything")
    assert (response.status_code, response.json()) == (429, {"message": "Too Many Requests"})
