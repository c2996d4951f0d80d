"""The API Gateway calls answered in front of moto, and REST APIs reached through the sandbox's own port.

Three things moto does not do, each small:

- **Addresses.** An HTTP API's ``ApiEndpoint`` (``create_api``, ``get_api``, ``get_apis``, ``update_api``) is
  its local listener (``http://127.0.0.1:PORT``) instead of ``https://{id}.execute-api.{region}.amazonaws.com``,
  an address on real AWS that a learner copying it would leave the machine for.
- **UpdateStage for HTTP APIs** (``PATCH /v2/apis/{id}/stages/{name}``), which moto lacks: it is how
  ``DefaultRouteSettings`` and ``RouteSettings`` (throttling) and stage variables change after creation.
- **REST APIs from a terminal**, at ``{sandbox endpoint}/restapis/{api-id}/{stage}/_user_request_/{path}``:
  the path convention local-AWS tools use, served by the sandbox's own port, so ``curl`` reaches an API
  without knowing its listener's port. Such a request goes through exactly what the listener does.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from lambdalab.events.apigateway import HttpRequest
from lambdalab.service.wsgi import StartResponse, call_app, read_body
from lambdalab.triggers.http.responses import HttpResponse, MalformedResponse, check_header

if TYPE_CHECKING:
    from lambdalab.triggers.apigateway import ApiGatewayFrontDoor

_APIS = re.compile(r"^/v2/apis/?$")
_API = re.compile(r"^/v2/apis/(?P<api_id>[^/]+)/?$")
_STAGE = re.compile(r"^/v2/apis/(?P<api_id>[^/]+)/stages/(?P<stage>[^/]+)/?$")
_USER_REQUEST = re.compile(r"^/restapis/(?P<api_id>[^/]+)/(?P<stage>[^/]+)/_user_request_(?P<path>/.*)?$")


def user_request_url(endpoint_url: str, api_id: str, stage: str) -> str:
    """Where a terminal reaches an API's stage through the sandbox's own port (append the path)."""
    return f"{endpoint_url}/restapis/{api_id}/{stage}/_user_request_"


def answer(
    door: ApiGatewayFrontDoor, app: Any, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes] | None:
    """Answer the request if it is one of this module's, else None (the caller passes it on to moto).

    ``door`` is the sandbox's API Gateway trigger, which registered this answer when it started."""
    path = environ.get("PATH_INFO", "")
    if not path.startswith(("/v2/apis", "/restapis/")):
        return None
    account_id, region = door.account_id, door.region
    method = environ.get("REQUEST_METHOD", "GET")
    if match := _USER_REQUEST.match(path):
        return _user_request(door, environ, start_response, match)
    if "/apigateway/aws4_request" not in environ.get("HTTP_AUTHORIZATION", ""):
        return None
    if _APIS.match(path) and method == "POST":  # with quick create, which moto skips
        return _with_local_endpoint(
            door, lambda env, start: answer_create_api(app, env, start, account_id, region), environ, start_response
        )
    if (_APIS.match(path) and method == "GET") or (_API.match(path) and method in ("GET", "PATCH")):
        return _with_local_endpoint(door, app, environ, start_response)
    if (match := _STAGE.match(path)) and method == "PATCH":
        return _update_stage(
            environ, start_response, account_id, region, match["api_id"], urllib.parse.unquote(match["stage"])
        )
    return None


# --- ApiEndpoint ----------------------------------------------------------------------------------------
def _with_local_endpoint(
    door: ApiGatewayFrontDoor, app: Any, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    status, headers, body = call_app(app, environ)
    try:
        document = json.loads(body or b"null")
    except ValueError:
        document = None
    if isinstance(document, dict) and status.startswith("2"):
        for api in document.get("items", [document]):
            _localize(door, api)
        body = json.dumps(document).encode()
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


def _localize(door: ApiGatewayFrontDoor, api: object) -> None:
    if not isinstance(api, dict) or api.get("protocolType") != "HTTP" or "apiId" not in api:
        return
    try:
        api["apiEndpoint"] = door.endpoint(api["apiId"])
    except LookupError:
        pass


# --- UpdateStage (HTTP APIs) ----------------------------------------------------------------------------
def _update_stage(
    environ: dict[str, Any], start_response: StartResponse, account_id: str, region: str, api_id: str, stage_name: str
) -> Iterable[bytes]:
    from moto.apigatewayv2.exceptions import APIGatewayV2Error
    from moto.apigatewayv2.models import apigatewayv2_backends

    try:
        spec = json.loads(read_body(environ) or b"{}")
    except ValueError:
        return _error(start_response, 400, "BadRequestException", "Invalid request body: not JSON")
    if not isinstance(spec, dict):
        return _error(start_response, 400, "BadRequestException", "Invalid request body: not a JSON object")
    try:
        stage = apigatewayv2_backends[account_id][region].get_api(api_id).get_stage(stage_name)
    except APIGatewayV2Error as exc:
        return _error(start_response, exc.code, "NotFoundException", json.loads(exc.get_body())["message"])
    for key, current in (
        ("defaultRouteSettings", stage.default_route_settings),
        ("stageVariables", stage.stage_variables),
    ):
        if isinstance(spec.get(key), dict):
            current.update(spec[key])
    for route_key, settings in (spec.get("routeSettings") or {}).items():
        if isinstance(settings, dict):
            stage.route_settings.setdefault(route_key, {}).update(settings)
    for key, attribute in (
        ("autoDeploy", "auto_deploy"),
        ("description", "description"),
        ("accessLogSettings", "access_log_settings"),
    ):
        if key in spec:
            setattr(stage, attribute, spec[key])
    return _json(start_response, 200, stage.to_json())


def _json(start_response: StartResponse, status: int, document: object) -> Iterable[bytes]:
    body = json.dumps(document).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _error(start_response: StartResponse, status: int, code: str, message: str) -> Iterable[bytes]:
    body = json.dumps({"message": message}).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), ("Content-Length", str(len(body)))],
    )
    return [body]


# --- {endpoint}/restapis/{id}/{stage}/_user_request_/{path} ---------------------------------------------
def _user_request(
    door: ApiGatewayFrontDoor, environ: dict[str, Any], start_response: StartResponse, match: re.Match[str]
) -> Iterable[bytes]:
    stage = urllib.parse.unquote(match["stage"])
    rest = match["path"] or "/"
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:  # keep the percent-encoding the client sent, as the listener does
        raw_path = raw.split("?", 1)[0]
        raw_match = _USER_REQUEST.match(raw_path)
        if raw_match is not None:
            rest = raw_match["path"] or "/"
    path = rest if stage == "$default" else f"/{stage}{rest}"
    headers = [(key[5:].replace("_", "-").title(), value) for key, value in environ.items() if key.startswith("HTTP_")]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers.append((name, environ[key]))
    request = HttpRequest(
        method=environ.get("REQUEST_METHOD", "GET"),
        path=path,
        query=environ.get("QUERY_STRING", ""),
        headers=tuple(headers),
        body=read_body(environ),
        source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
        protocol=environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        received_at=time.time(),
    )
    response = door.respond(match["api_id"], request) if door.knows(match["api_id"]) else None
    if response is None:  # no such API: what execute-api answers for an unknown host
        response = HttpResponse.message(403, "Forbidden")
    return _send(start_response, response)


def _send(start_response: StartResponse, response: HttpResponse) -> Iterable[bytes]:
    try:
        headers = [
            check_header(name, value)
            for name, value in response.headers
            if name.lower() not in ("content-length", "transfer-encoding", "connection")
        ]
    except MalformedResponse:  # the front door checks results already; this is the last line of defence
        response = HttpResponse.message(502, "Internal server error")
        headers = list(response.headers)
    wire = [(name, value.encode("utf-8").decode("latin-1")) for name, value in headers]
    start_response(
        f"{response.status} {_phrase(response.status)}", [*wire, ("Content-Length", str(len(response.body)))]
    )
    return [response.body]


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


# --- CreateApi with quick create ------------------------------------------------------------------------
def answer_create_api(app: Any, environ: dict[str, Any], start_response: Any, account_id: str, region: str) -> Any:
    """``POST /v2/apis`` through moto, then the quick-create part moto ignores when ``Target`` is given."""
    try:
        spec = json.loads(read_body(environ) or b"{}")
    except ValueError:
        spec = {}
    keys = {k[:1].upper() + k[1:]: v for k, v in spec.items()}  # the wire format is camelCase
    status, headers, body = call_app(app, environ)
    if keys.get("Target") and status.startswith("20"):
        quick_create(account_id, region, json.loads(body)["apiId"], keys)
    start_response(status, headers)
    return [body]


def quick_create(account_id: str, region: str, api_id: str, spec: dict[str, Any]) -> None:
    """What ``create_api(ProtocolType="HTTP", Target=function_arn)`` makes besides the API, which moto skips:
    an ``AWS_PROXY`` integration (payload 2.0), the route (``RouteKey`` or ``$default``) and the
    auto-deployed ``$default`` stage."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    api = apigatewayv2_backends[account_id][region].get_api(api_id)
    integration = api.create_integration(
        connection_type="INTERNET",
        description="",
        integration_method="POST",
        integration_type="AWS_PROXY",
        integration_uri=spec["Target"],
        payload_format_version="2.0",
    )
    api.create_route(
        api_key_required=False,
        authorization_scopes=[],
        route_key=spec.get("RouteKey") or "$default",
        target=f"integrations/{integration.id}",
    )
    api.create_stage({"stageName": "$default", "autoDeploy": True})
