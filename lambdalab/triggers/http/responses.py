"""From a handler's result to the HTTP response API Gateway (and a function URL) sends: the wire format.

Payload 1.0 (REST APIs) is strict: the result must be a JSON object with an integer ``statusCode``;
anything else is a "Malformed Lambda proxy response" and the client gets API Gateway's error. Payload 2.0
(HTTP APIs, and function URLs, which use the same format) infers a response when the result is not such
an object: status 200, ``content-type: application/json``, and the result itself as the body.

Header names and values are checked before anything reaches the wire: a name that is not an HTTP token, or a
value holding CR, LF or another control character, makes the whole result malformed — the client gets the
front door's integration error, never a header line the function wrote itself (no response splitting).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

Headers = tuple[tuple[str, str], ...]
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 field-name
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # anything but HTAB below 0x20, and DEL


class MalformedResponse(ValueError):
    """The handler's result is not a valid proxy response (API Gateway logs "Malformed Lambda proxy response")."""


@dataclass(frozen=True)
class HttpResponse:
    """One complete HTTP response."""

    status: int
    headers: Headers = ()
    body: bytes = b""

    @classmethod
    def message(cls, status: int, message: str, key: str = "message") -> HttpResponse:
        """API Gateway's own error document, e.g. ``{"message":"Not Found"}``."""
        body = json.dumps({key: message}, separators=(",", ":")).encode()
        return cls(status, (("content-type", "application/json"),), body)

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None


def _status(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MalformedResponse(f"statusCode must be an integer, got {value!r}")
    try:
        status = int(value)
    except ValueError:
        raise MalformedResponse(f"statusCode must be an integer, got {value!r}") from None
    if not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode {status} is not an HTTP status")
    return status


def _body(result: dict[str, object]) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResponse(f"body must be a string, got {type(body).__name__}")
    if result.get("isBase64Encoded") is True:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponse("isBase64Encoded is true but body is not base64") from None
    return body.encode("utf-8")


def _header_map(value: object, name: str) -> dict[str, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedResponse(f"{name} must be an object")
    return value


def _scalar(value: object) -> str:
    if isinstance(value, dict | list):
        raise MalformedResponse(f"header values must be strings or numbers, got {value!r}")
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def check_header(name: object, value: str) -> tuple[str, str]:
    """A header that is safe to write: a token for a name, no CR/LF/control characters in the value."""
    if not isinstance(name, str) or not _TOKEN.match(name):
        raise MalformedResponse(f"header name {name!r} is not a valid HTTP header name")
    if _CONTROL.search(value):
        raise MalformedResponse(f"the value of header {name!r} contains CR, LF or another control character")
    return name, value


def from_v1(payload: object) -> HttpResponse:
    """Map a payload 1.0 result: ``statusCode``, ``headers``, ``multiValueHeaders``, ``body``,
    ``isBase64Encoded``. Raises :class:`MalformedResponse` for anything API Gateway refuses."""
    if not isinstance(payload, dict):
        raise MalformedResponse("the result must be a JSON object")
    unknown = set(payload) - {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
    if unknown:
        raise MalformedResponse(f"unexpected fields {sorted(unknown)}")
    if "statusCode" not in payload:
        raise MalformedResponse("statusCode is missing")
    status = _status(payload["statusCode"])
    headers: list[tuple[str, str]] = []
    multi = _header_map(payload.get("multiValueHeaders"), "multiValueHeaders")
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponse("multiValueHeaders values must be lists")
        headers += [check_header(name, _scalar(v)) for v in values]
    taken = {name.lower() for name in multi}
    for name, value in _header_map(payload.get("headers"), "headers").items():
        if name.lower() not in taken:  # a name in both: multiValueHeaders wins, as on AWS
            headers.append(check_header(name, _scalar(value)))
    return HttpResponse(status, tuple(headers), _body(payload))


def from_v2(payload: object, raw: bytes) -> HttpResponse:
    """Map a payload 2.0 result (HTTP APIs and function URLs), inferring a response when there is no
    ``statusCode``: 200, ``application/json``, and the result as the body (a string result as its text)."""
    if not isinstance(payload, dict) or "statusCode" not in payload:
        if isinstance(payload, bytes):  # not JSON at all
            raise MalformedResponse("the result is not valid JSON")
        body = payload.encode("utf-8") if isinstance(payload, str) else raw
        return HttpResponse(200, (("content-type", "application/json"),), body)
    status = _status(payload["statusCode"])
    headers = [
        check_header(name, _scalar(value)) for name, value in _header_map(payload.get("headers"), "headers").items()
    ]
    cookies = payload.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MalformedResponse("cookies must be a list of strings")
    headers += [check_header("set-cookie", cookie) for cookie in cookies]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/json"))
    return HttpResponse(status, tuple(headers), _body(payload))
