"""Which Lambda operation a REST request is, and its parameters — read once from botocore's model.

botocore ships the Lambda API's model: every operation's method and URI template, and where each input
member travels (path, query string, header or JSON body). Routes are compiled from it once per process;
matching a request is then a dictionary lookup by method plus a few regular expressions.
"""

from __future__ import annotations

import functools
import re
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel, ServiceModel

_BUILDING = threading.Lock()  # the first burst of requests builds the model and routes once, not once per thread


@functools.cache
def _service_model() -> ServiceModel:
    import botocore.session

    return botocore.session.get_session().get_service_model("lambda")


def service_model() -> ServiceModel:
    with _BUILDING:
        return _service_model()


@dataclass(frozen=True)
class Route:
    """One operation's URI template, compiled: ``/2015-03-31/functions/{FunctionName}/aliases``."""

    operation: str
    method: str
    pattern: re.Pattern[str]
    labels: tuple[str, ...]  # member names bound to path segments, in order
    fixed_query: tuple[tuple[str, str], ...]  # "?List=ALL" in the template: must be present to match
    depth: int = -1  # path segments in the template, -1 when a greedy label can span several

    def match(self, raw_path: str, query: Mapping[str, list[str]]) -> dict[str, str] | None:
        found = self.pattern.fullmatch(raw_path)
        if found is None:
            return None
        for key, value in self.fixed_query:
            if value not in query.get(key, []):
                return None
        return {label: urllib.parse.unquote(found.group(i + 1)) for i, label in enumerate(self.labels)}


def routes() -> dict[str, tuple[Route, ...]]:
    """Routes by HTTP method; templates with a fixed query part first, so they win over plain ones."""
    if _ROUTES:
        return _ROUTES
    model = service_model()
    with _BUILDING:
        if not _ROUTES:
            _ROUTES.update(_build_routes(model))
    return _ROUTES


_ROUTES: dict[str, tuple[Route, ...]] = {}


def _build_routes(model: ServiceModel) -> dict[str, tuple[Route, ...]]:
    by_method: dict[str, list[Route]] = {}
    for name in model.operation_names:
        http = model.operation_model(name).http
        path, _, fixed = http["requestUri"].partition("?")
        labels: list[str] = []
        regex = ""
        for piece in re.split(r"(\{[^}]+\})", path):
            if piece.startswith("{"):
                label = piece[1:-1]
                greedy = label.endswith("+")
                labels.append(label.rstrip("+"))
                regex += "(.+)" if greedy else "([^/]+)"
            else:
                regex += re.escape(piece)
        member_labels = tuple(_member_for_label(model.operation_model(name), label) for label in labels)
        query = tuple((k, v) for k, v in urllib.parse.parse_qsl(fixed, keep_blank_values=True))
        depth = -1 if "+}" in path else path.rstrip("/").count("/")
        route = Route(name, http["method"], re.compile(regex.rstrip("/") + "/?"), member_labels, query, depth)
        by_method.setdefault(http["method"], []).append(route)
    return {method: tuple(sorted(items, key=lambda r: -len(r.fixed_query))) for method, items in by_method.items()}


def _member_for_label(operation: OperationModel, label: str) -> str:
    for member, shape in operation.input_shape.members.items():
        if shape.serialization.get("location") == "uri" and shape.serialization.get("name", member) == label:
            return member
    return label


def match(method: str, raw_path: str, query: Mapping[str, list[str]]) -> tuple[Route, dict[str, str]] | None:
    """The operation a request names, with its path parameters (percent-decoded), or ``None``."""
    for route in _candidates(method, raw_path.rstrip("/").count("/")):
        params = route.match(raw_path, query)
        if params is not None:
            return route, params
    return None


@functools.cache
def _candidates(method: str, depth: int) -> tuple[Route, ...]:
    """The routes of one method whose template has as many path segments (a greedy label: any depth)."""
    return tuple(r for r in routes().get(method, ()) if r.depth in (depth, -1))


def gather(
    route: Route, path_params: Mapping[str, str], query: Mapping[str, list[str]], headers: Mapping[str, str], body: Any,
    raw: bytes = b"",
) -> dict[str, Any]:
    """The operation's input members from path, query string, headers and (already decoded) JSON body, and the
    raw body ``raw`` for an operation whose body is one member (Invoke's ``Payload``, InvokeAsync's
    ``InvokeArgs``; an empty body is no value, as AWS reads it).

    Query-string and header values stay strings here; :mod:`shapes` converts and checks them.
    """
    params: dict[str, Any] = dict(path_params)
    lowered = {k.lower(): v for k, v in headers.items()}
    for member, location, wire, is_list in _plan(route.operation):
        if location == "querystring" and wire in query:
            values = query[wire]
            params[member] = values if is_list else values[0]
        elif location == "header" and wire in lowered:
            params[member] = lowered[wire]
        elif location == "body" and isinstance(body, dict) and member in body:
            params[member] = body[member]
        elif location == "payload" and raw:
            params[member] = raw
    return params


@functools.cache
def _plan(operation: str) -> tuple[tuple[str, str, str, bool], ...]:
    """(member, where it travels, its name there, whether it is a list) for each input member, once."""
    shape = service_model().operation_model(operation).input_shape
    if shape is None:
        return ()
    payload = shape.serialization.get("payload")
    plan = []
    for member, child in shape.members.items():
        location = child.serialization.get("location") or ("payload" if member == payload else "body")
        if location == "payload" and child.type_name != "blob":
            location = "structure payload"  # a JSON document as the whole body: not gathered here
        wire = child.serialization.get("name", member)
        plan.append((member, location, wire.lower() if location == "header" else wire, child.type_name == "list"))
    return tuple(plan)


@functools.cache
def has_json_body(operation: str) -> bool:
    """Whether the operation's body is a JSON document (Invoke's and a few others' bodies are raw bytes)."""
    shape = service_model().operation_model(operation).input_shape
    if shape is None or shape.serialization.get("payload"):
        return False
    return any(m.serialization.get("location") is None for m in shape.members.values())
