"""HTTP events are built as AWS builds them: Powertools parses them, and their keys are AWS's samples' keys.

The samples below are AWS's published example events (API Gateway developer guide: "Lambda proxy
integration input format" and "HTTP API payload format versions"; Lambda developer guide: function URL
"Request payload format"), as Powertools keeps them in ``tests/events/apiGatewayProxyEvent.json``,
``apiGatewayProxyV2Event.json`` and ``lambdaFunctionUrlEvent.json``. Only their key structure is kept here.
"""

from __future__ import annotations

import base64

from aws_lambda_powertools.utilities.data_classes import (
    APIGatewayProxyEvent,
    APIGatewayProxyEventV2,
    LambdaFunctionUrlEvent,
)

from lambdalab.events.apigateway import HttpRequest, http_api_event, rest_event
from lambdalab.events.function_url import IamCaller, function_url_event

# Top-level keys and requestContext keys of AWS's samples (optional blocks — authorizer, client
# certificates — are left out: they appear only with an authorizer or mutual TLS configured).
REST_SAMPLE_KEYS = {"resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
                    "multiValueQueryStringParameters", "requestContext", "pathParameters", "stageVariables",
                    "body", "isBase64Encoded"}
REST_SAMPLE_CONTEXT = {"accountId", "apiId", "domainName", "domainPrefix", "extendedRequestId", "httpMethod",
                       "identity", "path", "protocol", "requestId", "requestTime", "requestTimeEpoch",
                       "resourceId", "resourcePath", "stage"}
V2_SAMPLE_KEYS = {"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers",
                  "queryStringParameters", "requestContext", "body", "pathParameters", "isBase64Encoded",
                  "stageVariables"}
V2_SAMPLE_CONTEXT = {"accountId", "apiId", "domainName", "domainPrefix", "http", "requestId", "routeKey",
                     "stage", "time", "timeEpoch"}
URL_SAMPLE_KEYS = {"version", "routeKey", "rawPath", "rawQueryString", "headers", "requestContext",
                   "isBase64Encoded"}

REQUEST = HttpRequest.of(
    "post", "/items/42", query="a=1&a=2&b=x",
    headers=[("Content-Type", "application/json"), ("X-Multi", "one"), ("X-Multi", "two"),
             ("Cookie", "session=abc; theme=dark"), ("User-Agent", "pytest")],
    body='{"name": "Ada"}', source_ip="127.0.0.1", received_at=1_700_000_000.5)


def test_rest_event_has_the_samples_keys_and_parses_with_powertools():
    event = rest_event(REQUEST, resource="/items/{id}", stage="prod", path_parameters={"id": "42"})
    assert set(event) == REST_SAMPLE_KEYS
    assert set(event["requestContext"]) == REST_SAMPLE_CONTEXT
    parsed = APIGatewayProxyEvent(event)
    assert parsed.http_method == "POST" and parsed.path == "/items/42" and parsed.resource == "/items/{id}"
    assert parsed.path_parameters == {"id": "42"}
    assert parsed.multi_value_headers["X-Multi"] == ["one", "two"]
    assert parsed.headers["X-Multi"] == "two"  # 1.0's headers keep the last value
    assert parsed.multi_value_query_string_parameters == {"a": ["1", "2"], "b": ["x"]}
    assert parsed.json_body == {"name": "Ada"}
    assert parsed.request_context.stage == "prod" and parsed.request_context.path == "/prod/items/42"
    assert parsed.request_context.identity.source_ip == "127.0.0.1"
    assert event["requestContext"]["requestTime"] == "14/Nov/2023:22:13:20 +0000"


def test_http_api_event_has_the_samples_keys_and_parses_with_powertools():
    event = http_api_event(REQUEST, route_key="POST /items/{id}", path_parameters={"id": "42"},
                           stage_variables={"env": "dev"})
    assert set(event) == V2_SAMPLE_KEYS
    assert set(event["requestContext"]) == V2_SAMPLE_CONTEXT
    parsed = APIGatewayProxyEventV2(event)
    assert parsed.route_key == "POST /items/{id}" and parsed.raw_path == "/items/42"
    assert parsed.cookies == ["session=abc", "theme=dark"]
    assert "cookie" not in parsed.headers and parsed.headers["x-multi"] == "one,two"
    assert parsed.query_string_parameters == {"a": "1,2", "b": "x"}
    assert parsed.request_context.http.method == "POST" and parsed.json_body == {"name": "Ada"}


def test_v2_leaves_absent_fields_out_and_v1_sets_them_to_null():
    bare = HttpRequest.of("GET", "/")
    assert {"cookies", "queryStringParameters", "body", "pathParameters"}.isdisjoint(http_api_event(bare))
    v1 = rest_event(bare, stage="prod")
    assert v1["queryStringParameters"] is None and v1["pathParameters"] is None and v1["body"] is None


def test_binary_bodies_arrive_base64_encoded():
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    request = HttpRequest.of("PUT", "/img", headers={"content-type": "image/png"}, body=png)
    for event in (http_api_event(request), rest_event(request), function_url_event(request, url_id="abc")):
        assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == png


def test_function_url_event_matches_the_sample_and_parses_with_powertools():
    event = function_url_event(HttpRequest.of("GET", "/"), url_id="a1b2c3")
    assert set(event) == URL_SAMPLE_KEYS
    parsed = LambdaFunctionUrlEvent(event)
    assert parsed.request_context.account_id == "anonymous"
    assert parsed.request_context.domain_name == "a1b2c3.lambda-url.us-east-1.on.aws"
    assert parsed.route_key == "$default" and parsed.request_context.stage == "$default"


def test_function_url_event_carries_the_iam_caller():
    event = function_url_event(REQUEST, url_id="a1b2c3", caller=IamCaller(access_key="testing"))
    parsed = LambdaFunctionUrlEvent(event)
    iam = parsed.request_context.authorizer.iam
    assert iam.access_key == "testing" and iam.account_id == "123456789012"
    assert iam.user_arn == "arn:aws:iam::123456789012:user/lambdalab"
    assert parsed.request_context.account_id == "123456789012"
