"""Which function a request to an API reaches: API Gateway's routing, read from the APIs moto stores.

REST APIs (``apigateway``): the first path segment names a deployed stage; the rest is matched against the
API's resources (``/items/{id}``, ``/{proxy+}``) and the method against the resource's methods (``ANY``
matches all), whose ``AWS_PROXY`` integration names the function. HTTP APIs (``apigatewayv2``): the path
(after the stage name, unless the stage is ``$default``) is matched against route keys
(``GET /items/{id}``, ``ANY /{proxy+}``, ``$default``), whose target integration names the function and
its payload format version. The most specific match wins, as on AWS: literal segments over ``{param}``
over ``{greedy+}``, a method over ``ANY``, anything over ``$default``.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field

REST_TIMEOUT_MS = 29_000  # REST APIs' integration timeout (the default, and the most for most APIs)
HTTP_API_TIMEOUT_MS = 30_000  # HTTP APIs' integration timeout (the default, and the most)
#: What ``ANY`` stands for, and all a route can name; API Gateway routes no other method.
HTTP_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})
_FUNCTION_IN_URI = re.compile(r"(arn:aws[\w-]*:lambda:[^/]+:function:[^/]+?)(?:/invocations)?$")


@dataclass(frozen=True)
class Route:
    """Where one request goes, and everything its event and its response mapping need to know."""

    kind: str  # "rest" | "http"
    function_arn: str
    payload_version: str  # "1.0" | "2.0"
    timeout_ms: int
    stage: str
    path: str  # the path after the stage
    resource: str  # REST: the resource path; HTTP API: the route key
    path_parameters: dict[str, str] = field(default_factory=dict)
    stage_variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NoRoute:
    """No route matched: API Gateway's own answer (status and message)."""

    status: int
    message: str


def function_of(uri: str | None) -> str | None:
    """The function ARN in an integration URI (``arn:aws:apigateway:…:lambda:path/…/functions/ARN/invocations``
    or a bare function ARN), or None for an integration that is not a Lambda one."""
    if not uri:
        return None
    match = _FUNCTION_IN_URI.search(uri)
    return match.group(1) if match else None


def match_template(template: str, path: str) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """Match a resource path or route path against a request path: (specificity, path parameters)."""
    wanted = [s for s in template.split("/") if s]
    given = [s for s in path.split("/") if s]
    parameters: dict[str, str] = {}
    rank: list[int] = []
    for index, segment in enumerate(wanted):
        if segment.startswith("{") and segment.endswith("+}"):
            rest = given[index:]
            if not rest or index != len(wanted) - 1:
                return None
            parameters[segment[1:-2]] = urllib.parse.unquote("/".join(rest))
            rank.append(0)
            return tuple(rank), parameters
        if index >= len(given):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            parameters[segment[1:-1]] = urllib.parse.unquote(given[index])
            rank.append(1)
        elif segment == given[index]:
            rank.append(2)
        else:
            return None
    if len(given) != len(wanted):
        return None
    return tuple(rank), parameters


def _best(candidates: Iterable[tuple[tuple[int, ...], bool, object, dict[str, str]]]
          ) -> tuple[object, dict[str, str]] | None:
    ranked = sorted(candidates, key=lambda c: (c[0], c[1]), reverse=True)
    return (ranked[0][2], ranked[0][3]) if ranked else None


def _split_stage(path: str) -> tuple[str, str]:
    stage, _, rest = path.lstrip("/").partition("/")
    return stage, "/" + rest


def rest_route(api: object, method: str, path: str) -> Route | NoRoute:
    """Route a request to a REST API (moto's ``RestAPI``); ``path`` begins with the stage name."""
    missing = NoRoute(403, "Missing Authentication Token")  # what REST APIs answer for no such resource
    stage_name, rest = _split_stage(path)
    stage = api.stages.get(stage_name)
    if stage is None or method not in HTTP_METHODS:
        return missing
    candidates = []
    for resource in api.resources.values():
        matched = match_template(resource.get_path(), rest)
        if matched is None:
            continue
        methods = resource.resource_methods
        chosen = methods.get(method) or methods.get("ANY")
        if chosen is not None:
            candidates.append((matched[0], method in methods, (resource, chosen), matched[1]))
    best = _best(candidates)
    if best is None:
        return missing
    (resource, chosen), parameters = best
    integration = chosen.method_integration
    function_arn = function_of(getattr(integration, "uri", None))
    if integration is None or integration.integration_type != "AWS_PROXY" or function_arn is None:
        return NoRoute(500, "Internal server error")
    timeout = int(integration.timeout_in_millis or REST_TIMEOUT_MS)
    return Route("rest", function_arn, "1.0", timeout, stage_name, rest, resource.get_path(), parameters,
                 dict(stage.variables or {}))


def http_route(api: object, method: str, path: str) -> Route | NoRoute:
    """Route a request to an HTTP API (moto's ``apigatewayv2`` ``Api``)."""
    not_found = NoRoute(404, "Not Found")
    if method not in HTTP_METHODS:
        return not_found
    if "$default" in api.stages:
        stage_name, rest = "$default", path
    else:
        stage_name, rest = _split_stage(path)
        if stage_name not in api.stages:
            return not_found
    stage = api.stages[stage_name]
    candidates = []
    default_route = None
    for route in api.routes.values():
        if route.route_key == "$default":
            default_route = route
            continue
        route_method, _, template = route.route_key.partition(" ")
        if route_method not in (method, "ANY"):
            continue
        matched = match_template(template, rest)
        if matched is not None:
            candidates.append((matched[0], route_method == method, route, matched[1]))
    best = _best(candidates)
    if best is None and default_route is None:
        return not_found
    route, parameters = best if best is not None else (default_route, {})
    integration_id = (route.target or "").removeprefix("integrations/")
    integration = api.integrations.get(integration_id)
    function_arn = function_of(getattr(integration, "integration_uri", None))
    if integration is None or function_arn is None:
        return NoRoute(500, "Internal Server Error")
    version = integration.payload_format_version or "2.0"
    timeout = int(integration.timeout_in_millis or HTTP_API_TIMEOUT_MS)
    return Route("http", function_arn, version, timeout, stage_name, rest, route.route_key, parameters,
                 dict(getattr(stage, "stage_variables", None) or {}))
