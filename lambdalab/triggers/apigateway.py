"""API Gateway's front door: REST and HTTP APIs, configured through boto3, served on 127.0.0.1.

moto stores the APIs (resources, methods, integrations, routes, stages) but serves none of them. This
trigger gives each API its own listener on 127.0.0.1 — ``http://127.0.0.1:PORT/{stage}/path`` stands
for ``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/path`` — and does what API Gateway
does with a request: route it (:mod:`apigateway_routes`), build the proxy event
(:mod:`lambdalab.events.apigateway`), invoke the function synchronously through the sandbox's Lambda
service, and map the result to HTTP (:mod:`apigateway_responses`), with API Gateway's own answers when
that fails::

    REST API (payload 1.0)             HTTP API (payload 1.0 or 2.0)
    no route     403 Missing Authentication Token   404 Not Found
    bad result   502 Internal server error          500 Internal Server Error
    function error  502                             500
    throttled    429 Too Many Requests              429 Too Many Requests
    too slow     504 Endpoint request timed out     504 Gateway Timeout  (29 s / 30 s, TimeoutInMillis)

Notebook use: ``lambdalab.api_url(api_id)`` is the base URL to call.
"""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

from lambdalab.events.apigateway import HttpRequest, http_api_event, rest_event
from lambdalab.triggers.apigateway_http import Listener, ListeningTrigger, Reply
from lambdalab.triggers.apigateway_responses import HttpResponse, MalformedResponse, from_v1, from_v2
from lambdalab.triggers.apigateway_routes import NoRoute, Route, http_route, rest_route

_ERRORS = {  # API Gateway's answers when the integration fails, by kind of API
    "rest": {"error": (502, "Internal server error"), "timeout": (504, "Endpoint request timed out"),
             "missing": (500, "Internal server error")},
    "http": {"error": (500, "Internal Server Error"), "timeout": (504, "Gateway Timeout"),
             "missing": (500, "Internal Server Error")},
}


def _backends(account_id: str, region: str) -> tuple[Any, Any]:
    from moto.apigateway.models import apigateway_backends
    from moto.apigatewayv2.models import apigatewayv2_backends

    return apigateway_backends[account_id][region], apigatewayv2_backends[account_id][region]


def split_function_arn(arn: str) -> tuple[str, str | None]:
    """``arn:aws:lambda:r:acct:function:name[:qualifier]`` → (name, qualifier)."""
    parts = arn.split(":")
    return parts[6], (parts[7] if len(parts) > 7 else None)


class ApiGatewayFrontDoor(ListeningTrigger):
    """The sandbox trigger that serves every API moto holds, each on its own loopback port."""

    # --- addresses -----------------------------------------------------------------------------------
    def url(self, api_id: str, stage: str | None = None) -> str:
        """The local base URL of an API's stage (the listener starts on first use)."""
        rest, http = self._find(api_id)
        if rest is None and http is None:
            raise LookupError(f"Invalid API identifier specified {self._box.info.account_id}:{api_id}")
        with self._lock:
            listener = self._listeners.get(api_id)
            if listener is None:
                listener = self._listeners[api_id] = Listener(lambda r, w: self._serve(api_id, r, w))
        if stage is None:
            stages = list((rest or http).stages)
            stage = "$default" if http is not None and "$default" in stages else (stages[0] if len(stages) == 1
                                                                                  else None)
        if stage in (None, "$default"):
            return listener.base_url
        return f"{listener.base_url}/{stage}"

    def _find(self, api_id: str) -> tuple[Any, Any]:
        rest_backend, http_backend = _backends(self._box.info.account_id, self._box.region)
        return rest_backend.apis.get(api_id), http_backend.apis.get(api_id)

    # --- one request -----------------------------------------------------------------------------------
    def _serve(self, api_id: str, request: HttpRequest, reply: Reply) -> None:
        rest, http = self._find(api_id)
        if rest is not None:
            route = rest_route(rest, request.method, request.path)
        elif http is not None:
            route = http_route(http, request.method, request.path)
        else:
            route = NoRoute(404, "Not Found")
        if isinstance(route, NoRoute):
            reply.send(HttpResponse.message(route.status, route.message))
            return
        reply.send(self._integrate(api_id, route, request))

    def _event(self, api_id: str, route: Route, request: HttpRequest) -> dict[str, object]:
        at = HttpRequest(request.method, route.path, request.query, request.headers, request.body,
                         request.source_ip, request.protocol, request.received_at)
        common = {"stage": route.stage, "path_parameters": route.path_parameters,
                  "stage_variables": route.stage_variables, "api_id": api_id,
                  "account_id": self._box.info.account_id, "region": self._box.region}
        if route.payload_version == "2.0":
            return http_api_event(at, route_key=route.resource, **common)
        return rest_event(at, resource=route.resource if route.kind == "rest" else route.path,
                          version="1.0" if route.kind == "http" else None, **common)

    def _integrate(self, api_id: str, route: Route, request: HttpRequest) -> HttpResponse:
        errors = _ERRORS[route.kind]
        payload = json.dumps(self._event(api_id, route, request)).encode()
        outcome, invocation = self._invoke(route, payload)
        if outcome == "throttled":
            return HttpResponse.message(429, "Too Many Requests")
        if outcome in ("timeout", "missing"):
            return HttpResponse.message(*errors[outcome])
        if outcome != "ok" or invocation.error is not None:
            return HttpResponse.message(*errors["error"])
        try:
            if route.payload_version == "2.0":
                return from_v2(invocation.payload, invocation.raw_payload)
            return from_v1(invocation.payload)
        except MalformedResponse:
            return HttpResponse.message(*errors["error"])

    def _invoke(self, route: Route, payload: bytes) -> tuple[str, Any]:
        """Invoke synchronously, but stop waiting at the integration timeout (the function runs on, as on
        AWS, where the client's 504 does not stop the invocation)."""
        from lambdalab.service.concurrency import TooManyRequests
        from lambdalab.service.lambda_service import ResourceNotFound

        name, qualifier = split_function_arn(route.function_arn)
        answer: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)

        def run() -> None:
            try:
                answer.put(("ok", self._box.lambda_service.invoke(name, payload, qualifier=qualifier)))
            except TooManyRequests as exc:
                answer.put(("throttled", exc))
            except ResourceNotFound as exc:
                answer.put(("missing", exc))
            except Exception as exc:  # noqa: BLE001 - any failure is API Gateway's 5xx, never a crash
                answer.put(("error", exc))

        threading.Thread(target=run, name="lambdalab-apigateway-invoke", daemon=True).start()
        try:
            return answer.get(timeout=route.timeout_ms / 1000.0)
        except queue.Empty:
            return "timeout", None


def answer_create_api(app: Any, environ: dict[str, Any], start_response: Any, account_id: str,
                      region: str) -> Any:
    """``POST /v2/apis`` through moto, then the quick-create part moto ignores when ``Target`` is given."""
    from lambdalab.service.gateway import call_app, read_body

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
    _, http_backend = _backends(account_id, region)
    api = http_backend.get_api(api_id)
    integration = api.create_integration(connection_type="INTERNET", description="", integration_method="POST",
                                         integration_type="AWS_PROXY", integration_uri=spec["Target"],
                                         payload_format_version="2.0")
    api.create_route(api_key_required=False, authorization_scopes=[], route_key=spec.get("RouteKey") or "$default",
                     target=f"integrations/{integration.id}")
    api.create_stage({"stageName": "$default", "autoDeploy": True})


def front_door() -> ApiGatewayFrontDoor:
    """The running sandbox's API Gateway trigger."""
    from lambdalab.aws_sandbox import sandbox

    for trigger in sandbox().triggers:
        if isinstance(trigger, ApiGatewayFrontDoor):
            return trigger
    raise RuntimeError("the API Gateway trigger is not running in this sandbox")


def api_url(api_id: str, stage: str | None = None) -> str:
    """The local base URL of an API (REST or HTTP) and stage: call it with any HTTP client.

    For an HTTP API's ``$default`` stage it is the bare ``http://127.0.0.1:PORT``; for a named stage
    ``http://127.0.0.1:PORT/{stage}`` — as ``https://{api_id}.execute-api.{region}.amazonaws.com[/{stage}]``.
    """
    return front_door().url(api_id, stage)
