"""moto's dispatch of a request, without the work that gives the same answer for every request.

For every request its server receives, moto's ``DomainDispatcherApplication.get_backend_for_host`` asks
``moto.backends.list_of_moto_modules()``, which lists moto's package folder and stats each of its ~170
entries: about 0.4 ms of CPU per request, under the GIL every thread of the sandbox shares (a mapping's
``SendMessageBatch``, a warm ``Invoke``, every poll of a notebook). The folder cannot change while the
process runs, so the names are read once; the routing decisions are moto's own, unchanged.

The same call then tries moto's ~300 URL patterns in turn until one matches the host it inferred from the
request's signature (``sqs.us-east-1.amazonaws.com``): another 0.2 ms for a service late in the alphabet.
:class:`Dispatcher` remembers each host's answer; the patterns are fixed for the life of the process, so the
answer is too.

To find the handler of the request's action, moto then lists every member of the service's response class
(``inspect.getmembers``, about 0.1 ms a request); :class:`FunctionsOf` looks up the one name instead.

Then moto hands the request to a Flask application per service, whose only work for an AWS call is to
match the path to the service's one handler and wrap that handler's ``(status, headers, body)`` in a
response. Flask's request and application contexts, signals and CORS hooks around it cost more than the
routing. :class:`Dispatcher` calls the handler the same way moto's view
(``moto.core.utils.convert_to_flask_response``) does, with the same request class, and leaves to Flask every
request that needs more: a browser's (an ``Origin`` header or ``OPTIONS``, which Flask-CORS answers), moto's
own dashboard and API (``/moto-api``, rendered with Flask templates), and a path no rule matches (Flask's 404,
405 and slash redirects).

Together these take 0.4–0.6 ms of CPU off every request (1.36–1.60× less in moto's dispatch,
``benchmarks/bench_moto_dispatch.py``); ``tests/service/test_moto_dispatch.py`` checks the answers match.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError
from moto.core.utils import convert_to_flask_response
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from werkzeug.exceptions import HTTPException

_names: tuple[str, ...] | None = None
#: Hosts whose backend a dispatcher remembers (a sandbox sees a few dozen: one per service and Region used).
MAX_HOSTS = 1024


class FunctionsOf:
    """``name in FunctionsOf(cls)`` answers what ``name in moto.core.utils.method_names_from_class(cls)`` does
    (is ``cls.name`` a plain function?) by looking up that one name, not by listing every member of the class
    with ``inspect.getmembers``: moto asks it once per request, to find the handler of the request's action."""

    __slots__ = ("_cls",)

    def __init__(self, cls: type) -> None:
        self._cls = cls

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and inspect.isfunction(getattr(self._cls, name, None))


def install() -> None:
    """Replace ``moto.backends.list_of_moto_modules`` with a reader of the names listed once, and the
    action lookup in ``moto.core.responses`` with :class:`FunctionsOf` (idempotent)."""
    from moto import backends
    from moto.core import responses

    if responses.method_names_from_class is not FunctionsOf:
        FunctionsOf.__wrapped__ = responses.method_names_from_class  # type: ignore[attr-defined]
        responses.method_names_from_class = FunctionsOf
    if getattr(backends.list_of_moto_modules, "_lambdalab_cached", False):
        return
    scan = backends.list_of_moto_modules

    def list_of_moto_modules() -> Iterator[str]:
        global _names
        if _names is None:
            _names = tuple(scan())
        return iter(_names)

    list_of_moto_modules._lambdalab_cached = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules


class Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend answers each host (a few dozen hosts at most), and
    calling a service's handler without Flask around it where Flask adds nothing."""

    def __init__(self, create_app: Any) -> None:
        super().__init__(create_app)
        self._backends: dict[str | None, Any] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        app = self.get_application(environ)
        if app.service == "moto_api" or "HTTP_ORIGIN" in environ or environ.get("REQUEST_METHOD") == "OPTIONS":
            return app(environ, start_response)
        try:
            endpoint, _ = app.url_map.bind_to_environ(environ).match()
        except HTTPException:
            return app(environ, start_response)
        view = app.view_functions[endpoint]
        if not isinstance(view, convert_to_flask_response):
            return app(environ, start_response)
        from moto.moto_api import recorder

        request = app.request_class(environ)
        try:
            recorder._record_request(request)
            result = view.callback(request, request.raw_url, dict(request.headers))
        except ClientError as exc:  # as moto's view answers it
            result = 400, {}, exc.response["Error"]["Message"]
        except HTTPException as exc:  # as Flask answers it (a body that does not parse, say)
            return exc(environ, start_response)
        status, headers, content = result if len(result) == 3 else (200, {}, result)
        response = app.response_class(response=content, status=status, headers=headers)
        if request.method == "HEAD" and "content-length" in headers:
            response.headers["Content-Length"] = headers["content-length"]
        return response(environ, start_response)

    def get_backend_for_host(self, host: str | None) -> Any:
        # moto calls this under its dispatcher's lock. The hosts come from requests' signatures, so the memory
        # is bounded: past MAX_HOSTS (a client inventing Regions) hosts are looked up as moto looks them up.
        try:
            return self._backends[host]
        except KeyError:
            backend = super().get_backend_for_host(host)
            if len(self._backends) < MAX_HOSTS:
                self._backends[host] = backend
            return backend
