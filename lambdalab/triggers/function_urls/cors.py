"""A function URL's ``Cors`` configuration, applied as Lambda applies it.

With ``Cors`` set, Lambda answers a browser's preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) itself — the function never sees it — and adds the CORS headers to
every response, replacing any ``Access-Control-*`` headers the function returned. An origin, method or
header the configuration does not allow gets a response without ``Access-Control-Allow-Origin``, so the
browser refuses it. Without ``Cors`` the URL adds nothing and an ``OPTIONS`` request goes to the function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lambdalab.events.apigateway import HttpRequest
from lambdalab.triggers.http.responses import Headers, HttpResponse


@dataclass(frozen=True)
class Cors:
    """The ``Cors`` object of ``CreateFunctionUrlConfig``."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, object] | None) -> Cors | None:
        if not config:
            return None
        return cls(tuple(config.get("AllowOrigins") or ()), tuple(config.get("AllowMethods") or ()),
                   tuple(config.get("AllowHeaders") or ()), tuple(config.get("ExposeHeaders") or ()),
                   config.get("MaxAge"), bool(config.get("AllowCredentials")))

    def allows_origin(self, origin: str | None) -> bool:
        return bool(origin) and ("*" in self.allow_origins
                                 or origin.lower() in {o.lower() for o in self.allow_origins})

    def _origin_header(self, origin: str) -> str:
        return "*" if "*" in self.allow_origins and not self.allow_credentials else origin

    def _allows_method(self, method: str) -> bool:
        return "*" in self.allow_methods or method.upper() in {m.upper() for m in self.allow_methods}

    def _allows_headers(self, requested: str | None) -> bool:
        wanted = {h.strip().lower() for h in (requested or "").split(",") if h.strip()}
        return "*" in self.allow_headers or wanted <= {h.lower() for h in self.allow_headers}


def is_preflight(request: HttpRequest) -> bool:
    return (request.method == "OPTIONS" and request.header("origin") is not None
            and request.header("access-control-request-method") is not None)


def preflight(cors: Cors, request: HttpRequest) -> HttpResponse:
    """Lambda's own answer to a preflight request."""
    origin = request.header("origin")
    method = request.header("access-control-request-method") or ""
    headers: list[tuple[str, str]] = [("vary", "Origin")]
    if (cors.allows_origin(origin) and cors._allows_method(method)
            and cors._allows_headers(request.header("access-control-request-headers"))):
        headers.append(("access-control-allow-origin", cors._origin_header(origin)))
        headers.append(("access-control-allow-methods", ",".join(cors.allow_methods)))
        if cors.allow_headers:
            headers.append(("access-control-allow-headers", ",".join(cors.allow_headers)))
        if cors.max_age is not None:
            headers.append(("access-control-max-age", str(cors.max_age)))
        if cors.allow_credentials:
            headers.append(("access-control-allow-credentials", "true"))
    return HttpResponse(200, tuple(headers), b"")


def decorate(cors: Cors | None, request: HttpRequest, headers: Headers) -> Headers:
    """The response headers with the URL's CORS headers in place of any the function set."""
    if cors is None:
        return headers
    kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
    origin = request.header("origin")
    if cors.allows_origin(origin):
        kept.append(("access-control-allow-origin", cors._origin_header(origin)))
        if cors.expose_headers:
            kept.append(("access-control-expose-headers", ",".join(cors.expose_headers)))
        if cors.allow_credentials:
            kept.append(("access-control-allow-credentials", "true"))
    if not any(k.lower() == "vary" for k, _ in kept):
        kept.append(("vary", "Origin"))
    return tuple(kept)
