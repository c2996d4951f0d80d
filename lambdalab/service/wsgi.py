"""Small WSGI helpers shared by everything that answers a request in front of moto (the Lambda gateway,
the API Gateway and function-URL control calls): read a body and leave it readable, run a request
through an inner application and keep its answer to amend it, and answer with JSON."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

StartResponse = Callable[..., Any]
#: A WSGI application: ``app(environ, start_response)`` → the body's chunks.
App = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def call_app(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run a WSGI request through ``app`` and keep its answer (status, headers, body) to amend it."""
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        captured.update(status=status, headers=headers)
        return lambda data: None

    body = b"".join(app(environ, capture))
    return captured["status"], captured["headers"], body


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, left readable for whoever handles the request next."""
    if environ.get("wsgi.input_terminated") and not environ.get("CONTENT_LENGTH"):  # chunked: read to the end
        body = environ["wsgi.input"].read()
        environ["CONTENT_LENGTH"] = str(len(body))
    else:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def status_line(status: int) -> str:
    """``"404 Not Found"``: the code and its standard reason phrase (``Unknown`` for a code without one)."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def json_response(start_response: StartResponse, status: int, document: object) -> list[bytes]:
    """Answer with ``document`` as JSON (an empty body for ``None``)."""
    body = b"" if document is None else json.dumps(document).encode()
    start_response(status_line(status), [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def error_response(start_response: StartResponse, status: int, error_type: str, document: object) -> list[bytes]:
    """Answer with an AWS JSON error: ``document`` as the body, the error's name in ``x-amzn-ErrorType``."""
    body = json.dumps(document).encode()
    start_response(status_line(status), [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type),
                                         ("Content-Length", str(len(body)))])
    return [body]
