"""API Gateway's front door: REST and HTTP APIs, configured through boto3, served on 127.0.0.1.

moto stores the APIs (resources, methods, integrations, routes, stages) but serves none of them. This
trigger gives each API its own listener on 127.0.0.1 — ``http://127.0.0.1:PORT/{stage}/path`` stands
for ``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/path`` — and does what API Gateway
does with a request: route it (:mod:`.routes`), apply the stage's throttling
(:mod:`.throttle`), build the proxy event (:mod:`lambdalab.events.apigateway`), invoke the function
synchronously through the sandbox's Lambda service, map the result to HTTP (:mod:`lambdalab.triggers.http.responses`),
and publish its ``AWS/ApiGateway`` metrics (:mod:`.metrics`). API Gateway's own answers when that
fails (docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html, checked December 2026)::

    REST API (payload 1.0)                      HTTP API (payload 1.0 or 2.0)
    no route          403 Missing Authentication Token     404 Not Found
    stage throttle    429 Too Many Requests                429 Too Many Requests
    Lambda refuses    500 Internal server error            500 Internal Server Error
      (throttled, …)
    function error    502 Internal server error            500 Internal Server Error
    bad result        502 Internal server error            500 Internal Server Error
    too slow          504 Endpoint request timed out       504 Gateway Timeout  (29 s / 30 s, TimeoutInMillis)

A 429 therefore always means API Gateway's own limit, never Lambda's: a throttled function is a 500.

Notebook use: ``lambdalab.api_url(api_id)`` is the base URL to call. From a terminal, an HTTP API's
``ApiEndpoint`` (``get_api``) is its local address, and a REST API answers on the sandbox's own port at
``{endpoint}/restapis/{api-id}/{stage}/_user_request_/{path}`` (:mod:`.control`).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

from lambdalab.aws_facts import Arn
from lambdalab.events.apigateway import HttpRequest, http_api_event, rest_event
from lambdalab.service.in_process_cloudwatch import InProcessCloudWatch
from lambdalab.triggers.apigateway import control as apigateway_control
from lambdalab.triggers.apigateway.metrics import ApiGatewayMetrics, RequestOutcome
from lambdalab.triggers.apigateway.routes import NoRoute, Route, http_route, rest_route
from lambdalab.triggers.apigateway.throttle import Throttle, http_limits, rest_limits
from lambdalab.triggers.http.listener import Listener, ListeningTrigger, Reply
from lambdalab.triggers.http.responses import HttpResponse, MalformedResponse, from_v1, from_v2

_ERRORS = {  # API Gateway's answers when the integration fails, by kind of API
    "rest": {
        "error": (502, "Internal server error"),
        "timeout": (504, "Endpoint request timed out"),
        "refused": (500, "Internal server error"),
    },
    "http": {
        "error": (500, "Internal Server Error"),
        "timeout": (504, "Gateway Timeout"),
        "refused": (500, "Internal Server Error"),
    },
}
TOO_MANY_REQUESTS = (429, "Too Many Requests")  # API Gateway's THROTTLED gateway response, both kinds of API


def _backends(account_id: str, region: str) -> tuple[Any, Any]:
    from moto.apigateway.models import apigateway_backends
    from moto.apigatewayv2.models import apigatewayv2_backends

    return apigateway_backends[account_id][region], apigatewayv2_backends[account_id][region]


def split_function_arn(arn: str) -> tuple[str, str | None]:
    """``arn:aws:lambda:r:acct:function:name[:qualifier]`` → (name, qualifier)."""
    return Arn.name_and_qualifier(arn)


class ApiGatewayFrontDoor(ListeningTrigger):
    """The sandbox trigger that serves every API moto holds, each on its own loopback port."""

    def __init__(self) -> None:
        super().__init__()
        self.throttle = Throttle()
        self.metrics: ApiGatewayMetrics | None = None

    def start(self, box: Any) -> None:
        super().start(box)
        service = box.lambda_service  # its CloudWatch backend, in this process (service.in_process_cloudwatch)
        self.metrics = ApiGatewayMetrics(lambda: InProcessCloudWatch(service.account_id, service.region))
        self.metrics.clock = box.clock  # stamped on the clock alarms are evaluated on
        # Local ApiEndpoint addresses, UpdateStage for HTTP APIs and REST APIs at .../_user_request_/...
        box.gateway.answer_requests(lambda app, environ, start_response: apigateway_control.answer(
            self, app, environ, start_response))

    def reset(self) -> None:
        super().reset()
        self.throttle.reset()

    @property
    def account_id(self) -> str:
        return self._box.info.account_id

    @property
    def region(self) -> str:
        return self._box.region

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until the metrics of every request so far are in CloudWatch."""
        return self.metrics.flush(timeout) if self.metrics is not None else True

    # --- addresses -----------------------------------------------------------------------------------
    def url(self, api_id: str, stage: str | None = None) -> str:
        """The local base URL of an API's stage (the listener starts on first use)."""
        rest, http = self._find(api_id)
        base = self.endpoint(api_id)
        if stage is None:
            stages = list((rest or http).stages)
            if http is not None and "$default" in stages:
                stage = "$default"
            else:
                stage = stages[0] if len(stages) == 1 else None
        if stage in (None, "$default"):
            return base
        return f"{base}/{stage}"

    def endpoint(self, api_id: str) -> str:
        """The local address standing for ``https://{api_id}.execute-api.{region}.amazonaws.com``."""
        if not self.knows(api_id):
            raise LookupError(f"Invalid API identifier specified {self._box.info.account_id}:{api_id}")
        with self._lock:
            listener = self._listeners.get(api_id)
            if listener is None:
                listener = self._listeners[api_id] = Listener(lambda r, w: self._serve(api_id, r, w))
        return listener.base_url

    def knows(self, api_id: str) -> bool:
        rest, http = self._find(api_id)
        return rest is not None or http is not None

    def _find(self, api_id: str) -> tuple[Any, Any]:
        rest_backend, http_backend = _backends(self._box.info.account_id, self._box.region)
        return rest_backend.apis.get(api_id), http_backend.apis.get(api_id)

    # --- one request -----------------------------------------------------------------------------------
    def _serve(self, api_id: str, request: HttpRequest, reply: Reply) -> None:
        reply.send(self.respond(api_id, request))

    def respond(self, api_id: str, request: HttpRequest) -> HttpResponse:
        """API Gateway's whole answer to one request (``request.path`` starts with the stage, unless the API
        has a ``$default`` stage), with the request's metrics published."""
        started = time.perf_counter()
        rest, http = self._find(api_id)
        api = rest if rest is not None else http
        kind = "rest" if rest is not None else "http"
        if rest is not None:
            route = rest_route(rest, request.method, request.path)
        elif http is not None:
            route = http_route(http, request.method, request.path)
        else:
            route = NoRoute(404, "Not Found")
        integration_ms: float | None = None
        if isinstance(route, NoRoute):
            response = HttpResponse.message(route.status, route.message)
        elif not self.throttle.admit(*self._throttle_key(api_id, api, route, request.method)):
            response = HttpResponse.message(*TOO_MANY_REQUESTS)
        else:
            invoked = time.perf_counter()
            response = self._integrate(api_id, route, request)
            integration_ms = (time.perf_counter() - invoked) * 1000.0
        if api is not None and self.metrics is not None:
            self.metrics.record(
                RequestOutcome(
                    kind=kind,
                    api_id=api_id,
                    api_name=str(getattr(api, "name", api_id)),
                    stage=_stage_of(api, request.path) if isinstance(route, NoRoute) else route.stage,
                    status=response.status,
                    latency_ms=(time.perf_counter() - started) * 1000.0,
                    integration_latency_ms=integration_ms,
                    bytes_processed=len(request.body) + len(response.body),
                )
            )
        return response

    @staticmethod
    def _throttle_key(api_id: str, api: Any, route: Route, method: str) -> tuple[tuple[str, ...], Any]:
        """Each method (REST) or route (HTTP API) of a stage has its own bucket, with its own limits."""
        stage = api.stages.get(route.stage)
        if route.kind == "rest":
            return (api_id, route.stage, route.resource, method), rest_limits(stage, route.resource, method)
        return (api_id, route.stage, route.resource), http_limits(stage, route.resource)

    def _event(self, api_id: str, route: Route, request: HttpRequest) -> dict[str, object]:
        at = HttpRequest(
            request.method,
            route.path,
            request.query,
            request.headers,
            request.body,
            request.source_ip,
            request.protocol,
            request.received_at,
        )
        common = {
            "stage": route.stage,
            "path_parameters": route.path_parameters,
            "stage_variables": route.stage_variables,
            "api_id": api_id,
            "account_id": self._box.info.account_id,
            "region": self._box.region,
        }
        if route.payload_version == "2.0":
            return http_api_event(at, route_key=route.resource, **common)
        return rest_event(
            at,
            resource=route.resource if route.kind == "rest" else route.path,
            version="1.0" if route.kind == "http" else None,
            **common,
        )

    def _integrate(self, api_id: str, route: Route, request: HttpRequest) -> HttpResponse:
        errors = _ERRORS[route.kind]
        payload = json.dumps(self._event(api_id, route, request)).encode()
        outcome, invocation = self._invoke(route, payload)
        if outcome in ("throttled", "missing"):  # Lambda refused the Invoke call: API Gateway's 500
            return HttpResponse.message(*errors["refused"])
        if outcome == "timeout":
            return HttpResponse.message(*errors["timeout"])
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


def _stage_of(api: Any, path: str) -> str | None:
    """The stage a request that matched no route was for, if it names one (its 403/404 counts there)."""
    stages = getattr(api, "stages", None) or {}
    if "$default" in stages and getattr(api, "protocol_type", None) == "HTTP":
        return "$default"
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in stages else None
