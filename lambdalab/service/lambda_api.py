"""The Lambda API calls moto does not answer (or answers too loosely), served in front of moto.

A WSGI middleware: requests signed for the ``lambda`` service that concern provisioned concurrency,
account settings or reserved concurrency are answered (or checked) here, with AWS's paths, shapes and
errors; everything else passes through to moto untouched. Creating or updating a function is checked
against AWS's layer and size limits before moto stores it, and its ``DeadLetterConfig`` (which moto
drops) is kept for the asynchronous invoker.

The gateway knows no trigger. A trigger that answers calls of its own (API Gateway's local addresses,
function URL configs) registers them on the sandbox's gateway when it starts: :meth:`LambdaGateway.answer_requests`
for any request, :meth:`LambdaGateway.answer_path` for a Lambda API path, :meth:`LambdaGateway.answer_operation`
for a Lambda operation the control plane answers itself.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto.core.exceptions import JsonRESTError

from lambdalab.aws_facts import (
    MAX_INVOKE_ASYNC_API_BYTES,
    MAX_MEMORY_MB,
    MAX_TIMEOUT_S,
    MAX_UNZIPPED_CODE_BYTES,
    MIN_MEMORY_MB,
    function_arn,
)
from lambdalab.controlplane import names
from lambdalab.controlplane import wsgi as controlplane_wsgi
from lambdalab.controlplane.errors import not_found, too_large
from lambdalab.controlplane.rules import Answer, Scope
from lambdalab.runtime.config import InvalidParameterValueException, validation_error
from lambdalab.service import async_invoke, moto_hook, packages, public_layers
from lambdalab.service.concurrency import ReservationError, TooManyRequests
from lambdalab.service.lambda_service import LambdaService, ResourceNotFound, admitted_on_arrival
from lambdalab.service.wsgi import StartResponse, error_response, json_response, read_body

_PROVISIONED = re.compile(r"^/2019-09-30/functions/(?P<name>[^/]+)/provisioned-concurrency/?$")
_ACCOUNT = re.compile(r"^/2016-08-19/account-settings/?$")
_CONCURRENCY = re.compile(r"^/2017-10-31/functions/(?P<name>[^/]+)/concurrency/?$")
_CREATE = re.compile(r"^/2015-03-31/functions/?$")
_FUNCTION = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/?$")
_INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
_CODE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/code/?$")
_CONFIGURATION = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/configuration/?$")
_LAYERS = re.compile(r"^/2018-10-31/layers/?$")
_LAYER_VERSION = re.compile(r"^/2018-10-31/layers/(?P<layer>.+)/versions/(?P<version>\d+)/?$")
#: ``/{api-version}/functions/{account}:function:{name}[:qualifier]/…``: FunctionName as a partial ARN.
_PARTIAL_ARN = re.compile(
    r"^(?P<prefix>/\d{4}-\d{2}-\d{2}/functions/)(?P<account>\d{12}):function:(?P<rest>[^/]+)(?P<suffix>/.*)?$"
)
_SIGNED_FOR = re.compile(r"/(?P<service>[a-z0-9-]+)/aws4_request")
#: Hooks run once, before the first request signed for a service (a plugin installs its moto patches
#: there, so an unused service costs nothing at start-up); see :func:`on_first_request`.
_FIRST_REQUEST: dict[str, list[Callable[[], None]]] = {}
_FIRST_REQUEST_LOCK = threading.Lock()


def on_first_request(service: str, hook: Callable[[], None]) -> None:
    """Run ``hook()`` before the sandbox serves the first request signed for ``service``."""
    with _FIRST_REQUEST_LOCK:
        _FIRST_REQUEST.setdefault(service, []).append(hook)


def _run_first_request_hooks(authorization: str) -> None:
    match = _SIGNED_FOR.search(authorization)
    if match is None or match["service"] not in _FIRST_REQUEST:
        return
    with _FIRST_REQUEST_LOCK:  # held while the hooks run: concurrent first requests wait for them
        for hook in _FIRST_REQUEST.get(match["service"], []):
            hook()
        _FIRST_REQUEST.pop(match["service"], None)




@dataclass(frozen=True)
class ObservedRequest:
    """A request as the sandbox saw it arrive: which TCP connection carried it, and what it asked."""

    remote_port: int
    method: str
    path: str


_observers: list[tuple[Callable[[str, str], bool], list[ObservedRequest]]] = []
_observers_lock = threading.Lock()


@contextmanager
def observe_requests(matches: Callable[[str, str], bool]) -> Iterator[list[ObservedRequest]]:
    """Record the requests (method, path) that ``matches`` picks while the block runs.

    What a grader can trust about a learner's code is what reaches the sandbox from outside it: a
    handler can rewrite anything in its own process, but not which connections its requests came on.
    """
    seen: list[ObservedRequest] = []
    entry = (matches, seen)
    with _observers_lock:
        _observers.append(entry)
    try:
        yield seen
    finally:
        with _observers_lock:
            _observers.remove(entry)


def _observe(environ: dict[str, Any]) -> None:
    method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
    for matches, seen in list(_observers):
        if matches(method, path):
            seen.append(ObservedRequest(int(environ.get("REMOTE_PORT") or 0), method, path))


#: ``handler(app, environ, start_response)``: the answer to a request, or None to pass it on.
RequestHandler = Callable[[Callable[..., Iterable[bytes]], dict[str, Any], StartResponse], Iterable[bytes] | None]
#: ``handler(app, environ, start_response, match)``: the answer to a Lambda API call whose path matched.
PathHandler = Callable[[Callable[..., Iterable[bytes]], dict[str, Any], StartResponse, re.Match[str]], Iterable[bytes]]
#: ``handler(params, scope)``: the answer to a Lambda operation, given its validated parameters.
OperationHandler = Callable[[dict[str, Any], Scope], Answer]


class LambdaGateway:
    """Wraps moto's WSGI application with the Lambda control-plane calls lambdalab owns, and the calls the
    sandbox's triggers registered."""

    def __init__(self, app: Callable[..., Iterable[bytes]], service: LambdaService) -> None:
        self.app = app
        self.service = service
        self._request_handlers: list[RequestHandler] = []
        self._path_handlers: list[tuple[re.Pattern[str], PathHandler]] = []
        self._operation_handlers: dict[str, OperationHandler] = {"InvokeAsync": self._invoke_async}

    # --- what the triggers register when the sandbox starts them ----------------------------------------
    def answer_requests(self, handler: RequestHandler) -> None:
        """Ask ``handler`` first about every request the sandbox receives (any service)."""
        self._request_handlers.append(handler)

    def answer_path(self, pattern: re.Pattern[str], handler: PathHandler) -> None:
        """Answer the Lambda API calls whose (unquoted) path matches ``pattern`` with ``handler``."""
        self._path_handlers.append((pattern, handler))

    def answer_operation(self, operation: str, handler: OperationHandler) -> None:
        """Answer the Lambda operation ``operation`` (botocore's name) with ``handler``, after validation."""
        self._operation_handlers[operation] = handler

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if _FIRST_REQUEST:
            _run_first_request_hooks(environ.get("HTTP_AUTHORIZATION", ""))
        if _observers:
            _observe(environ)
        for handler in self._request_handlers:
            answered = handler(self.app, environ, start_response)
            if answered is not None:
                return answered
        if "/lambda/aws4_request" not in environ.get("HTTP_AUTHORIZATION", ""):
            return self.app(environ, start_response)
        if partial := _PARTIAL_ARN.match(urllib.parse.unquote(environ.get("PATH_INFO", ""))):
            # Lambda takes ``123456789012:function:name[:qualifier]`` wherever it takes a FunctionName; moto only
            # knows names and full ARNs, so the partial ARN is completed with the sandbox's Region.
            _complete_partial_arn(environ, partial, self.service.region)
        # Checked against Lambda's model and rules first; anything moto fails on becomes a JSON error.
        return controlplane_wsgi.serve(environ, start_response, self._lambda, self.service,
                                       answers=self._operation_handlers)

    def _lambda(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = urllib.parse.unquote(environ.get("PATH_INFO", ""))
        method = environ.get("REQUEST_METHOD", "GET")
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        body = read_body(environ)
        if (match := _INVOKE.match(path)) and method == "POST" and environ.get(
            "HTTP_X_AMZ_INVOCATION_TYPE", "RequestResponse"
        ) == "RequestResponse":
            return self._invoke_admitted(match["name"], query, body, environ, start_response)
        return self._route(path, method, query, body, environ, start_response)

    def _invoke_admitted(self, name: str, query: dict[str, list[str]], body: bytes, environ: dict[str, Any],
                         start_response: StartResponse) -> Iterable[bytes]:
        """A synchronous Invoke: its concurrency is decided now, as it arrives (see admitted_on_arrival)."""
        qualifier = (query.get("Qualifier") or query.get("qualifier") or [None])[0]
        try:
            fn = self.service.resolve(name, qualifier)
        except ResourceNotFound:
            return self._route(urllib.parse.unquote(environ.get("PATH_INFO", "")), "POST", query, b"", environ,
                               start_response)  # moto answers with AWS's ResourceNotFoundException
        try:
            with admitted_on_arrival(self.service, fn.function_name):
                return self._invoke(fn, qualifier, body, environ, start_response)
        except TooManyRequests as throttled:
            body = json.dumps({"Reason": throttled.reason, "Type": "User", "message": "Rate Exceeded."}).encode()
            start_response("429 Too Many Requests", [("Content-Type", "application/json"),
                                                     ("x-amzn-ErrorType", "TooManyRequestsException"),
                                                     ("Content-Length", str(len(body)))])
            return [body]

    def _invoke(self, fn: Any, qualifier: str | None, body: bytes, environ: dict[str, Any],
                start_response: StartResponse) -> Iterable[bytes]:
        """Answer a synchronous Invoke here rather than through moto's routing.

        The request has been read, matched and validated by the control plane already; moto's Flask dispatch
        would only find the function again and call the same hook (``moto_hook.answer``), at about half the
        server's time for a warm invoke. What moto would add, its random request ID and a CRC32 header AWS
        does not send, the answer leaves out: ``x-amzn-RequestId`` is the invocation's request ID, as on AWS.
        """
        response_headers: dict[str, str] = {}
        try:
            with moto_hook.requested_qualifier(qualifier):
                payload = moto_hook.answer(self.service, fn, body, controlplane_wsgi.request_headers(environ),
                                           response_headers)
        except JsonRESTError as refused:  # 413 and 429 with AWS's bodies, as moto would have sent them
            return refused(environ, start_response)
        if environ.get("HTTP_X_AMZ_LOG_TYPE") != "Tail":
            response_headers.pop("x-amz-log-result", None)
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                                  *response_headers.items()])
        return [payload]

    def _route(self, path: str, method: str, query: dict[str, list[str]], body: bytes, environ: dict[str, Any],
               start_response: StartResponse) -> Iterable[bytes]:
        if _INVOKE.match(path) and "Qualifier" in query:
            # moto reads the qualifier as "qualifier" and would silently invoke $LATEST instead.
            environ["QUERY_STRING"] += "&" + urllib.parse.urlencode({"qualifier": query["Qualifier"][0]})
            with moto_hook.requested_qualifier(query["Qualifier"][0]):
                return list(self.app(environ, start_response))
        if (match := _FUNCTION.match(path)) and method == "DELETE" and "Qualifier" not in query:
            # Deleting a function gives back its reserved and provisioned concurrency and ends its
            # environments; moto forgets only the configuration.
            response = list(self.app(environ, start_response))
            self.service.forget_function(match["name"])
            return response
        if method == "GET" and (layer_arn := _layer_version_arn(path, query)) is not None:
            return self._layer_version(layer_arn, environ, start_response)
        for pattern, handler in self._path_handlers:  # e.g. function URL configs, which a trigger serves
            if match := pattern.match(path):
                return handler(self.app, environ, start_response, match)
        try:
            if match := _PROVISIONED.match(path):
                return self._provisioned(method, match["name"], query, body, start_response)
            if _ACCOUNT.match(path) and method == "GET":
                return self._account_settings(start_response)
            if (match := _CONCURRENCY.match(path)) and method in ("PUT", "DELETE"):
                return self._concurrency(method, match["name"], body, environ, start_response)
            if (_CREATE.match(path) and method == "POST") or (_CONFIGURATION.match(path) and method == "PUT"):
                match = _CONFIGURATION.match(path)
                self._check_function(json.loads(body or b"{}"), match["name"] if match else None)
            if (match := _CODE.match(path)) and method == "PUT":
                # UpdateFunctionCode: the new code must still fit beside the function's layers.
                zipped = json.loads(body or b"{}").get("ZipFile")
                if zipped:
                    self._check_function({"Code": {"ZipFile": zipped}}, match["name"])
        except InvalidParameterValueException as exc:
            return _error(start_response, 400, "InvalidParameterValueException", str(exc))
        except ReservationError as exc:
            return _error(start_response, 400, "InvalidParameterValueException", str(exc))
        except ResourceNotFound as exc:
            return _error(start_response, 404, "ResourceNotFoundException", str(exc))
        except (ValueError, TypeError, AttributeError):
            pass  # a body that is not the JSON expected: moto answers it with AWS's own validation error
        return self.app(environ, start_response)

    def _invoke_async(self, params: dict[str, Any], scope: Scope) -> Answer:
        """The deprecated ``InvokeAsync``: the event is queued like an ``Event`` invoke's and answered 202.

        moto would hand it to the invocation hook without an invocation type, which runs it synchronously,
        inside the request. Its event may be 256 KB (Invoke's ``Event`` takes 1 MB).
        """
        payload = params["InvokeArgs"]
        if len(payload) > MAX_INVOKE_ASYNC_API_BYTES:
            raise too_large(f"Request must be smaller than {MAX_INVOKE_ASYNC_API_BYTES} bytes for the InvokeAsync "
                            "operation")
        ref = names.parse(params["FunctionName"])
        name, named = (ref.name, ref.qualifier) if ref else (params["FunctionName"], None)
        try:
            fn = self.service.resolve(name, named)
        except ResourceNotFound as missing:
            raise not_found(str(missing)) from None
        async_invoke.enqueue(self.service, fn.function_name, payload, qualifier=moto_hook.invoked_qualifier(fn, named))
        return Answer(202)

    # --- layer versions by ARN (moto has no GetLayerVersionByArn; public layers are not in moto) ---------
    def _layer_version(self, arn: str, environ: dict[str, Any],
                       start_response: StartResponse) -> Iterable[bytes]:
        if not public_layers.is_powertools_arn(arn) and _LAYER_VERSION.match(
                urllib.parse.unquote(environ.get("PATH_INFO", ""))):
            return self.app(environ, start_response)  # the account's own layers: moto answers GetLayerVersion
        version = self.service.backend.layers_versions_by_arn(arn)
        if version is None:
            return _error(start_response, 404, "ResourceNotFoundException", f"Layer version {arn} does not exist.")
        return _json(start_response, 200, version.get_layer_version())

    # --- provisioned concurrency ---------------------------------------------------------------
    def _provisioned(self, method: str, name: str, query: dict[str, list[str]], body: bytes,
                     start_response: StartResponse) -> Iterable[bytes]:
        qualifier = (query.get("Qualifier") or [None])[0]
        if method == "GET" and query.get("List"):
            configs = self.service.list_provisioned_concurrency(name)
            items = [{"FunctionArn": function_arn(c.function_name, c.qualifier, region=self.service.region,
                                                  account=self.service.account_id), **c.document()}
                     for c in configs]
            return _json(start_response, 200, {"ProvisionedConcurrencyConfigs": items})
        if not qualifier:
            raise InvalidParameterValueException("The Qualifier parameter is required.")
        if method == "PUT":
            requested = int(json.loads(body or b"{}").get("ProvisionedConcurrentExecutions", 0))
            if requested < 1:
                raise validation_error(requested, "provisionedConcurrentExecutions",
                                       "Member must have value greater than or equal to 1")
            config = self.service.put_provisioned_concurrency(name, qualifier, requested)
            return _json(start_response, 202, config.document())
        if method == "GET":
            return _json(start_response, 200, self.service.get_provisioned_concurrency(name, qualifier).document())
        if method == "DELETE":
            self.service.delete_provisioned_concurrency(name, qualifier)
            return _json(start_response, 204, None)
        return _error(start_response, 405, "MethodNotAllowed", f"{method} is not supported here")

    # --- account and reserved concurrency ------------------------------------------------------
    def _account_settings(self, start_response: StartResponse) -> Iterable[bytes]:
        settings = self.service.governor.settings
        functions = list(self.service.backend.list_functions())
        return _json(start_response, 200, {
            "AccountLimit": {"TotalCodeSize": 80_530_636_800, "CodeSizeUnzipped": MAX_UNZIPPED_CODE_BYTES,
                             "CodeSizeZipped": 52_428_800, "ConcurrentExecutions": settings.concurrent_executions,
                             "UnreservedConcurrentExecutions": self.service.governor.unreserved_pool},
            "AccountUsage": {"TotalCodeSize": sum(int(getattr(f, "code_size", 0) or 0) for f in functions),
                             "FunctionCount": len(functions)},
        })

    def _concurrency(self, method: str, name: str, body: bytes, environ: dict[str, Any],
                     start_response: StartResponse) -> Iterable[bytes]:
        fn = self.service.resolve(name)
        if method == "PUT":
            reserved = int(json.loads(body or b"{}").get("ReservedConcurrentExecutions", -1))
            self.service.governor.reserve(fn.function_name, reserved)
        else:
            self.service.governor.reserve(fn.function_name, None)
        return self.app(environ, start_response)

    # --- create / update checks ----------------------------------------------------------------
    def _check_function(self, spec: dict[str, Any], name: str | None) -> None:
        memory, timeout = spec.get("MemorySize"), spec.get("Timeout")
        if memory is not None and not MIN_MEMORY_MB <= int(memory) <= MAX_MEMORY_MB:
            bound = (f"greater than or equal to {MIN_MEMORY_MB}" if int(memory) < MIN_MEMORY_MB
                     else f"less than or equal to {MAX_MEMORY_MB}")
            raise validation_error(memory, "memorySize", f"Member must have value {bound}")
        if timeout is not None and not 1 <= int(timeout) <= MAX_TIMEOUT_S:
            raise validation_error(timeout, "timeout", f"Member must have value between 1 and {MAX_TIMEOUT_S}")
        layers = spec.get("Layers")
        zipped = (spec.get("Code") or {}).get("ZipFile")
        if layers is not None or zipped:
            code_size = packages.unzipped_size(base64.b64decode(zipped)) if zipped else self._current_size(name)
            layer_sizes = []
            for arn in layers if layers is not None else self._current_layers(name):
                version = self.service.backend.layers_versions_by_arn(arn)
                if version is None:
                    raise InvalidParameterValueException(f"Layer version {arn} does not exist.")
                layer_sizes.append(packages.unzipped_size(version.code_bytes))
            packages.check_sizes(code_size, layer_sizes)
        function_name = spec.get("FunctionName") or name
        dead_letter = (spec.get("DeadLetterConfig") or {}).get("TargetArn")
        if function_name and "DeadLetterConfig" in spec:
            if dead_letter:
                self.service.dead_letter_targets[function_name] = dead_letter
            else:
                self.service.dead_letter_targets.pop(function_name, None)

    def _current_size(self, name: str | None) -> int:
        if not name:
            return 0
        try:
            return packages.unzipped_size(self.service.resolve(name).code_bytes)
        except ResourceNotFound:
            return 0

    def _current_layers(self, name: str | None) -> list[str]:
        if not name:
            return []
        try:
            return [layer["Arn"] for layer in self.service.resolve(name).layers or []]
        except ResourceNotFound:
            return []


def _layer_version_arn(path: str, query: dict[str, list[str]]) -> str | None:
    """The layer version ARN a GetLayerVersionByArn or GetLayerVersion request names, else None."""
    if _LAYERS.match(path) and query.get("find") == ["LayerVersion"] and query.get("Arn"):
        return query["Arn"][0]
    if (match := _LAYER_VERSION.match(path)) and match["layer"].startswith("arn:"):
        return f"{match['layer']}:{match['version']}"
    return None


def _json(start_response: StartResponse, status: int, document: object) -> Iterable[bytes]:
    return json_response(start_response, status, document)


def _complete_partial_arn(environ: dict[str, Any], partial: re.Match[str], region: str) -> None:
    """Rewrite the request's path, decoded and as sent, with the full ARN in place of the partial one."""
    given = f"{partial['account']}:function:{partial['rest']}"
    full = f"arn:aws:lambda:{region}:{given}"
    environ["PATH_INFO"] = f"{partial['prefix']}{full}{partial['suffix'] or ''}"
    for key in ("RAW_URI", "REQUEST_URI"):
        if environ.get(key):
            for sent in (given, urllib.parse.quote(given, safe="")):
                if sent in environ[key]:
                    environ[key] = environ[key].replace(sent, urllib.parse.quote(full, safe=""), 1)
                    break


def _error(start_response: StartResponse, status: int, error_type: str, message: str) -> Iterable[bytes]:
    return error_response(start_response, status, error_type, {"Type": "User", "message": message})
