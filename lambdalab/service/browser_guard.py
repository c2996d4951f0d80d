"""Keeping web pages off the sandbox: only this machine's own pages may call it from a browser.

moto's server answers every ``Origin`` with CORS headers, so any web page a learner visits could
``POST /moto-api/reset`` (or delete a queue through a GET of SQS's query API) and wipe the sandbox. Plain
clients — boto3, the AWS CLI, curl — send no ``Origin`` and no ``Sec-Fetch-*`` headers and pass untouched;
browsers always say where a request comes from, and this middleware decides on that:

- ``/moto-api/*`` (reset, config, the dashboard's data) is reachable from a browser only same-origin;
- the AWS APIs accept browser requests only from pages on ``localhost``/``127.0.0.1``/``[::1]`` (JupyterLab);
- CORS headers name that one origin (``Vary: Origin``), never ``*``;
- a browser request whose ``Host`` is not a loopback name (DNS rebinding) is refused.

Refusals are ``403`` with a JSON body saying why, before the request reaches moto.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SAFE_FETCH_SITES = frozenset({"same-origin", "none"})


def _host_of(authority: str) -> str:
    try:
        return (urllib.parse.urlsplit(f"//{authority}").hostname or "").lower()
    except ValueError:
        return ""


def is_loopback_origin(origin: str) -> bool:
    """``http(s)://localhost|127.0.0.1|[::1][:port]`` — a page served by this machine (JupyterLab)."""
    try:
        parts = urllib.parse.urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and (parts.hostname or "").lower() in LOOPBACK_HOSTS


def _is_loopback_host(authority: str) -> bool:
    host = _host_of(authority)
    return host in LOOPBACK_HOSTS or host.endswith(".localhost")


class BrowserGuard:
    """WSGI middleware in front of the sandbox's application (see the module docstring)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        site = environ.get("HTTP_SEC_FETCH_SITE")
        # boto3, the AWS CLI and curl send neither header: not a browser, nothing to decide.
        if origin is not None or site is not None:
            reason = self._refusal(environ, origin, site)
            if reason is not None:
                return _forbidden(start_response, reason)
        allowed = origin if origin is not None and is_loopback_origin(origin) else None

        def guarded(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [
                (k, v)
                for k, v in headers
                if not k.lower().startswith("access-control-")
                or (allowed and k.lower() != "access-control-allow-origin")
            ]
            kept = [(k, v) for k, v in kept if k.lower() != "vary" or "origin" not in v.lower()]
            if allowed:
                kept += [("Access-Control-Allow-Origin", allowed), ("Vary", "Origin")]
            return start_response(status, kept, exc_info) if exc_info else start_response(status, kept)

        return self.app(environ, guarded)

    def _refusal(self, environ: dict[str, Any], origin: str | None, site: str | None) -> str | None:
        host = environ.get("HTTP_HOST", "")
        if not _is_loopback_host(host):
            return f"a browser request for host {host[:100]!r}: the sandbox answers only loopback names"
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api"):
            own = {f"{scheme}://{host}" for scheme in ("http", "https")}
            if (origin is not None and origin not in own) or (site is not None and site not in SAFE_FETCH_SITES):
                return "the sandbox's internal API (/moto-api) cannot be called from another web page"
            return None
        if origin is not None and not is_loopback_origin(origin):
            return f"web pages from {origin[:100]!r} may not call the sandbox; only pages on this machine may"
        if origin is None and site == "cross-site":
            return "a cross-site browser request without an Origin may not call the sandbox"
        return None


def _forbidden(start_response: StartResponse, reason: str) -> Iterable[bytes]:
    body = json.dumps({"__type": "AccessDeniedException", "message": f"lambdalab refused {reason}."}).encode()
    start_response(
        "403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Vary", "Origin")]
    )
    return [body]
