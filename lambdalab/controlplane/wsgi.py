"""The control plane in front of moto: every Lambda request is read, checked and, if refused, answered
in AWS's shape — and nothing moto does wrong reaches the caller as an HTML page or a traceback.

:func:`serve` wraps the gateway's own Lambda handling (``inner``): it reads the whole body (chunked
included), matches the operation in botocore's model, validates it (:func:`lambdalab.controlplane.validate`),
normalises ``name:qualifier`` paths for moto, answers the calls moto lacks, and turns any exception or
non-JSON error from below into ``ServiceException``.
"""

from __future__ import annotations

import io
import json
import logging
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lambdalab.controlplane import model, names, validate
from lambdalab.controlplane.errors import (
    LambdaError,
    invalid_request_content,
    not_found,
    serialization,
    service_exception,
)
from lambdalab.controlplane.rules import Answer, Scope, request_size

LOG = logging.getLogger("lambdalab.controlplane")
_UPLOADS = frozenset({"CreateFunction", "UpdateFunctionCode"})
StartResponse = Callable[..., Any]
Inner = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def read_whole_body(environ: dict[str, Any]) -> bytes:
    """The request body — by ``Content-Length``, or to the end for a chunked body — left readable again
    with a ``Content-Length`` that says how long it is."""
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() or environ.get("wsgi.input_terminated")
    declared = environ.get("CONTENT_LENGTH") or ""
    if chunked and not declared:
        body = environ["wsgi.input"].read()
    else:
        try:
            length = int(declared or 0)
        except ValueError:
            raise invalid_request_content(f"The Content-Length header ({declared!r}) is not a number.") from None
        if length < 0:
            raise invalid_request_content(f"The Content-Length header ({declared!r}) is negative.")
        body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    return body


def _raw_path(environ: dict[str, Any]) -> str:
    """The path as the client encoded it (``%2F`` inside a name must not split a segment)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return urllib.parse.urlsplit(raw).path
    return urllib.parse.quote(environ.get("PATH_INFO", ""), safe="/")


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers, by their names on the wire (``X-AMZ-LOG-TYPE``), from a WSGI environ."""
    return {key[5:].replace("_", "-"): value for key, value in environ.items() if key.startswith("HTTP_")}


def respond(start_response: StartResponse, error: LambdaError) -> list[bytes]:
    body = error.body()
    start_response(error.status_line, error.headers(len(body)))
    return [body]


def _answer(start_response: StartResponse, answer: Answer) -> list[bytes]:
    body = b"" if answer.document is None else json.dumps(answer.document).encode()
    reason = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}.get(answer.status, "OK")
    start_response(
        f"{answer.status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def serve(environ: dict[str, Any], start_response: StartResponse, inner: Inner, service: Any,
          answers: Mapping[str, Callable[[dict[str, Any], Scope], Answer]] | None = None) -> Iterable[bytes]:
    """Answer one Lambda API request: refused here with AWS's words, answered here (the operations moto lacks,
    and those in ``answers``, which the sandbox's triggers registered), or handled by ``inner``, guarded."""
    try:
        body = read_whole_body(environ)
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        matched = model.match(environ.get("REQUEST_METHOD", "GET"), _raw_path(environ), query)
        if matched is not None:
            route, path_params = matched
            if route.operation in _UPLOADS:
                request_size(route.operation, len(body))
            document = _document(route.operation, body)
            params = model.gather(route, path_params, query, request_headers(environ), document, raw=body)
            scope = Scope(service.region, service.account_id, backend=service.backend, service=service)
            answer = validate(route.operation, params, scope)
            if answer is not None:
                return _answer(start_response, answer)
            answer_operation = (answers or {}).get(route.operation) or _ANSWERED_HERE.get(route.operation)
            if answer_operation is not None:
                return _answer(start_response, answer_operation(params, scope))
            _normalise(environ, route.operation, path_params)
    except LambdaError as refused:
        return respond(start_response, refused)
    return guarded(inner, environ, start_response)


def _document(operation: str, body: bytes) -> Any:
    if not model.has_json_body(operation) or not body.strip():
        return None
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise serialization(f"Could not parse request body into json: {exc}") from None
    if not isinstance(document, dict):
        raise serialization("Could not parse request body into json: the body must be a JSON object")
    return document


def _normalise(environ: dict[str, Any], operation: str, path_params: dict[str, str]) -> None:
    """``name:qualifier`` (``:$LATEST`` included) in a path becomes ``name`` plus ``?Qualifier=``, which
    moto understands; AWS treats the two spellings the same."""
    value = path_params.get("FunctionName")
    shape = model.service_model().operation_model(operation).input_shape
    if not value or "Qualifier" not in shape.members:
        return
    ref = names.parse(value)
    if ref is None or ref.qualifier is None:
        return
    bare = value[: -len(ref.qualifier) - 1]
    environ["PATH_INFO"] = environ.get("PATH_INFO", "").replace(value, bare, 1)
    for key in ("RAW_URI", "REQUEST_URI"):
        if environ.get(key):
            quoted = urllib.parse.quote(value, safe="")
            environ[key] = environ[key].replace(quoted, urllib.parse.quote(bare, safe=""), 1)
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if "Qualifier" not in query:
        extra = urllib.parse.urlencode({"Qualifier": ref.qualifier})
        environ["QUERY_STRING"] = "&".join(filter(None, [environ.get("QUERY_STRING", ""), extra]))


def list_function_url_configs(params: dict[str, Any], scope: Scope,
                              local_url: Callable[[str], str] = lambda url: url) -> Answer:
    """``ListFunctionUrlConfigs``, which moto lacks: the function's URL config, at the address ``local_url``
    gives it (the function-URL trigger registers itself with its own listener's address)."""
    ref = names.parse(params["FunctionName"])
    try:
        fn = scope.backend.get_function(ref.name)
    except Exception:
        fn = None
    if fn is None:
        raise not_found("Function does not exist")
    configs = []
    if getattr(fn, "url_config", None) is not None:
        document = fn.url_config.to_dict()
        document["InvokeMode"] = str(document.get("InvokeMode") or "BUFFERED").upper()
        document["FunctionUrl"] = local_url(document.get("FunctionUrl", ""))
        configs.append(document)
    return Answer(200, {"FunctionUrlConfigs": configs})


#: The operations moto lacks that the control plane answers itself (a registered answer comes first).
_ANSWERED_HERE: dict[str, Callable[[dict[str, Any], Scope], Answer]] = {
    "ListFunctionUrlConfigs": list_function_url_configs,
}


def guarded(inner: Inner, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Run ``inner``; an exception, or an HTML/plain-text error page from below, becomes AWS's JSON
    ``ServiceException`` (500) — or ``ResourceNotFoundException`` for a path no operation serves."""
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        captured.update(status=status, headers=headers)
        return lambda data: None

    try:
        chunks = list(inner(environ, capture))
    except Exception:
        LOG.debug("moto failed on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), exc_info=True)
        return respond(start_response, service_exception())
    status = captured.get("status", "500 Internal Server Error")
    headers = captured.get("headers", [])
    code = int(status.split()[0])
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    has_error_type = any(k.lower() == "x-amzn-errortype" for k, _ in headers)
    if code >= 400 and "json" not in content_type and not has_error_type:
        LOG.debug(
            "moto answered %s with %s for %s %s",
            content_type or "no type",
            status,
            environ.get("REQUEST_METHOD"),
            environ.get("PATH_INFO"),
        )
        if code == 404:
            return respond(start_response, LambdaError("UnknownOperationException", 404, "Unknown operation"))
        return respond(start_response, service_exception())
    if code >= 500:
        return respond(start_response, service_exception())
    start_response(status, headers)
    return chunks
