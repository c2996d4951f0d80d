"""API Gateway's Lambda proxy events: REST APIs (payload 1.0) and HTTP APIs (payload 1.0 or 2.0).

Structures follow AWS's published samples (API Gateway developer guide, "Lambda proxy integration input
format" and "HTTP API payload format versions"; the same documents are Powertools' fixtures
``tests/events/apiGatewayProxyEvent.json`` and ``apiGatewayProxyV2Event.json``). The differences a handler
meets, and a lesson teaches:

- 1.0 keeps header names as sent and gives repeated headers and query parameters in
  ``multiValueHeaders`` / ``multiValueQueryStringParameters``; absent maps are ``null``.
- 2.0 lowercases header names and joins repeated values with commas, moves cookies to ``cookies``,
  keeps the raw query string, and leaves absent fields out.
- A body that is not text arrives base64-encoded with ``isBase64Encoded: true``.
"""

from __future__ import annotations

import base64
import datetime as dt
import urllib.parse
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lambdalab.aws_facts import DEFAULT_ACCOUNT_ID, DEFAULT_REGION

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
               "application/x-www-form-urlencoded", "application/yaml", "application/graphql")


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request as it reached the front door: what every HTTP event is built from."""

    method: str
    path: str
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    received_at: float = field(default=0.0)  # epoch seconds; 0 means "now" when the event is built

    @classmethod
    def of(cls, method: str, path: str, *, query: str | Mapping[str, str] = "",
           headers: Mapping[str, str] | Iterable[tuple[str, str]] = (), body: bytes | str = b"",
           source_ip: str = "127.0.0.1", received_at: float = 0.0) -> HttpRequest:
        """A request from friendly arguments (a dict of headers or query parameters, a str body)."""
        pairs = tuple(headers.items()) if isinstance(headers, Mapping) else tuple(headers)
        raw_query = query if isinstance(query, str) else urllib.parse.urlencode(query)
        return cls(method.upper(), path, raw_query, pairs, body.encode() if isinstance(body, str) else body,
                   source_ip, received_at=received_at)

    def header(self, name: str) -> str | None:
        """The last value of a header, matched case-insensitively (None when absent)."""
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        return urllib.parse.parse_qsl(self.query, keep_blank_values=True)

    def timestamp(self) -> dt.datetime:
        when = self.received_at or dt.datetime.now(dt.UTC).timestamp()
        return dt.datetime.fromtimestamp(when, dt.UTC)


def is_text(content_type: str | None) -> bool:
    """Whether API Gateway and function URLs pass a body of this type as text rather than base64."""
    kind = (content_type or "").split(";")[0].strip().lower()
    return bool(kind) and (kind.startswith(_TEXT_TYPES) or kind.endswith(("+json", "+xml")))


def encode_body(request: HttpRequest) -> tuple[str | None, bool]:
    """The event's ``body`` and ``isBase64Encoded``: text stays text, anything else is base64."""
    if not request.body:
        return None, False
    if is_text(request.header("content-type")):
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(request.body).decode("ascii"), True


def request_time(moment: dt.datetime) -> str:
    """API Gateway's ``requestTime``/``time``: ``12/Mar/2020:19:03:58 +0000``."""
    return moment.strftime("%d/%b/%Y:%H:%M:%S +0000")


def _multi(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return grouped


def v2_headers_and_cookies(request: HttpRequest) -> tuple[dict[str, str], list[str]]:
    """Payload 2.0's headers (lowercased, repeats joined by commas) and its ``cookies`` list."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers, cookies


def rest_event(request: HttpRequest, *, resource: str | None = None, stage: str = "prod",
               path_parameters: Mapping[str, str] | None = None, stage_variables: Mapping[str, str] | None = None,
               api_id: str = "abcdef1234", account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION,
               request_id: str | None = None, version: str | None = None) -> dict[str, object]:
    """A payload 1.0 event: a REST API's Lambda proxy integration (or an HTTP API's, with ``version="1.0"``).

    ``resource`` is the matched resource path (``/items/{id}``); ``request.path`` the path after the stage.
    """
    moment = request.timestamp()
    request_id = request_id or str(uuid.uuid4())
    multi_headers = _multi(request.headers)
    multi_query = _multi(request.query_pairs)
    body, encoded = encode_body(request)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    event: dict[str, object] = {}
    if version is not None:
        event["version"] = version
    event.update({
        "resource": resource or request.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": api_id,
            "extendedRequestId": request_id,
            "httpMethod": request.method,
            "identity": {
                "accessKey": None, "accountId": None, "caller": None, "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None, "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                "principalOrgId": None, "sourceIp": request.source_ip, "user": None,
                "userAgent": request.header("user-agent"), "userArn": None,
            },
            "path": request.path if stage == "$default" else f"/{stage}{request.path}",
            "protocol": request.protocol,
            "requestId": request_id,
            "requestTime": request_time(moment),
            "requestTimeEpoch": int(moment.timestamp() * 1000),
            "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, resource or request.path).hex[:6],
            "resourcePath": resource or request.path,
            "stage": stage,
        },
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": dict(stage_variables) if stage_variables else None,
        "body": body,
        "isBase64Encoded": encoded,
    })
    return event


def http_api_event(request: HttpRequest, *, route_key: str = "$default", stage: str = "$default",
                   path_parameters: Mapping[str, str] | None = None,
                   stage_variables: Mapping[str, str] | None = None, api_id: str = "abcdef1234",
                   account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION,
                   request_id: str | None = None) -> dict[str, object]:
    """A payload 2.0 event: an HTTP API's Lambda proxy integration."""
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    event = _v2_event(request, route_key=route_key, stage=stage, domain=domain, prefix=api_id, api_id=api_id,
                      account_id=account_id, request_id=request_id)
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if stage_variables:
        event["stageVariables"] = dict(stage_variables)
    return event


def _v2_event(request: HttpRequest, *, route_key: str, stage: str, domain: str, prefix: str, api_id: str,
              account_id: str, request_id: str | None, authorizer: dict[str, object] | None = None
              ) -> dict[str, object]:
    """The 2.0 document shared by HTTP APIs and function URLs (which use the same format)."""
    moment = request.timestamp()
    headers, cookies = v2_headers_and_cookies(request)
    body, encoded = encode_body(request)
    query = {k: ",".join(v) for k, v in _multi(request.query_pairs).items()}
    context: dict[str, object] = {"accountId": account_id, "apiId": api_id}
    if authorizer is not None:
        context["authorizer"] = authorizer
    context.update({
        "domainName": domain,
        "domainPrefix": prefix,
        "http": {"method": request.method, "path": request.path, "protocol": request.protocol,
                 "sourceIp": request.source_ip, "userAgent": request.header("user-agent") or ""},
        "requestId": request_id or str(uuid.uuid4()),
        "routeKey": route_key,
        "stage": stage,
        "time": request_time(moment),
        "timeEpoch": int(moment.timestamp() * 1000),
    })
    event: dict[str, object] = {"version": "2.0", "routeKey": route_key, "rawPath": request.path,
                                "rawQueryString": request.query}
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = encoded
    return event
