"""Function URLs, served: every ``CreateFunctionUrlConfig`` gets a real HTTP endpoint on 127.0.0.1.

moto stores a URL config (AuthType, Cors, InvokeMode) and invents an ``https://<url-id>.lambda-url.
<region>.on.aws`` address it never serves. Here each URL id gets its own listener on an ephemeral loopback
port, and ``create/get/update_function_url_config`` answer with that address (``http://127.0.0.1:PORT/``),
so the URL boto3 returns is the URL you call. A request goes through what Lambda does in front of a
function, in order: CORS preflight (answered from the config), ``AWS_IAM`` signature check
(:mod:`.auth`), the function's resource-based policy (:mod:`.policy`: with
``AuthType NONE`` nothing passes until the policy grants ``lambda:InvokeFunctionUrl`` and
``lambda:InvokeFunction`` to ``*``), the payload 2.0 event (:mod:`lambdalab.events.function_url`), a synchronous
invocation, and the response — ``BUFFERED``: the result mapped as an HTTP API maps payload 2.0;
``RESPONSE_STREAM``: bytes relayed to the client as the function writes them (a streaming runtime's
prelude gives the status and headers).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from lambdalab.controlplane.wsgi import list_function_url_configs
from lambdalab.events.apigateway import HttpRequest
from lambdalab.events.function_url import function_url_event
from lambdalab.service.wsgi import call_app, read_body
from lambdalab.triggers.function_urls.auth import Forbidden, SandboxCredentials, verify
from lambdalab.triggers.function_urls.cors import Cors, decorate, is_preflight, preflight
from lambdalab.triggers.function_urls.policy import UrlPolicies, UrlRequestContext
from lambdalab.triggers.http.listener import Listener, ListeningTrigger, Reply
from lambdalab.triggers.http.responses import HttpResponse, MalformedResponse, check_header, from_v2

HTTP_INTEGRATION_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
PRELUDE_DELIMITER = b"\x00" * 8
#: The Lambda API path of a function's URL config (Create/Get/Update/DeleteFunctionUrlConfig).
URL_CONFIG_PATH = re.compile(r"^/2021-10-31/functions/(?P<name>[^/]+)/url/?$")
_URL_ID = re.compile(r"^https://(?P<id>[0-9a-z]+)\.lambda-url\.")
_FORBIDDEN = HttpResponse.message(403, "Forbidden", key="Message")
_FUNCTION_ERROR = HttpResponse(502, (("content-type", "application/json"),), b"Internal Server Error")
_THROTTLED = HttpResponse.message(429, "Rate Exceeded.", key="Message")


def _url_id(moto_url: str) -> str | None:
    match = _URL_ID.match(moto_url or "")
    return match["id"] if match else None


class _StreamRelay:
    """Passes a streamed response to the client while the function runs.

    With the HTTP integration content type the first bytes are the prelude (JSON, then eight null bytes):
    status, headers and cookies are sent once it is complete, the rest as body chunks.
    """

    def __init__(self, reply: Reply, decorate_headers: Any) -> None:
        self._reply = reply
        self._decorate = decorate_headers
        self._pending = b""
        self.started = False

    def __call__(self, content_type: str, chunk: bytes) -> None:
        if self.started:
            self._reply.write(chunk)
            return
        if content_type.split(";")[0].strip() != HTTP_INTEGRATION_CONTENT_TYPE:
            try:
                check_header("content-type", content_type)
            except MalformedResponse:  # never a raw CR/LF on the wire
                content_type = "application/octet-stream"
            self._begin(200, (("content-type", content_type),), chunk)
            return
        self._pending += chunk
        if PRELUDE_DELIMITER in self._pending:
            prelude, _, rest = self._pending.partition(PRELUDE_DELIMITER)
            self._pending = b""
            self._begin_from_prelude(prelude, rest)

    def _begin_from_prelude(self, prelude: bytes, rest: bytes) -> None:
        try:
            document = json.loads(prelude or b"{}")
            response = from_v2({"statusCode": 200, **document}, b"") if isinstance(document, dict) else None
        except (ValueError, MalformedResponse):
            response = None
        if response is None:  # an unreadable prelude: Lambda sends the bytes as they are
            self._begin(200, (("content-type", "application/octet-stream"),), prelude + PRELUDE_DELIMITER + rest)
            return
        self._begin(response.status, response.headers, rest)

    def _begin(self, status: int, headers: tuple[tuple[str, str], ...], first: bytes) -> None:
        self._reply.start_stream(status, self._decorate(headers))
        self.started = True
        self._reply.write(first)

    def leftover(self) -> bytes:
        return self._pending


class FunctionUrls(ListeningTrigger):
    """The sandbox trigger serving every function URL config moto holds."""

    def __init__(self) -> None:
        super().__init__()
        self.policies = UrlPolicies()

    def start(self, box: Any) -> None:
        super().start(box)
        # moto stores the configs; this trigger serves them, so it answers their calls with its addresses.
        box.gateway.answer_path(URL_CONFIG_PATH, lambda app, environ, start_response, match: answer_config_call(
            self, app, environ, start_response, match["name"]))
        box.gateway.answer_operation("ListFunctionUrlConfigs", lambda params, scope: list_function_url_configs(
            params, scope, local_url=self.local_url))

    def reset(self) -> None:
        super().reset()
        self.policies.clear()

    # --- addresses -----------------------------------------------------------------------------------
    def local_url(self, moto_url: str) -> str:
        """The local address serving the URL moto invented (``http://127.0.0.1:PORT/``)."""
        url_id = _url_id(moto_url)
        if url_id is None:
            return moto_url
        with self._lock:
            listener = self._listeners.get(url_id)
            if listener is None:
                listener = self._listeners[url_id] = Listener(lambda r, w: self._serve(url_id, r, w))
        return listener.base_url + "/"

    def _config(self, url_id: str) -> tuple[Any, dict[str, Any]] | None:
        """(moto's function, config) of the URL with this id, read afresh from moto on every request."""
        for fn in self._box.lambda_service.backend.list_functions():
            config = getattr(fn, "url_config", None)
            if config is not None and _url_id(config.url) == url_id:
                return fn, config.config
        return None

    @property
    def _credentials(self) -> SandboxCredentials:
        env = self._box.environment
        return SandboxCredentials(
            env["AWS_ACCESS_KEY_ID"],
            env["AWS_SECRET_ACCESS_KEY"],
            env.get("AWS_SESSION_TOKEN"),
            self._box.region,
            self._box.info.account_id,
        )

    # --- one request -----------------------------------------------------------------------------------
    def _serve(self, url_id: str, request: HttpRequest, reply: Reply) -> None:
        found = self._config(url_id)
        if found is None:  # deleted since: AWS answers an unknown URL with 403 too
            reply.send(_FORBIDDEN)
            return
        fn, config = found
        name = fn.function_name
        cors = Cors.from_config(config.get("Cors"))
        if cors is not None and is_preflight(request):
            reply.send(preflight(cors, request))
            return
        caller = None
        auth_type = config.get("AuthType") or "NONE"
        if auth_type == "AWS_IAM":
            try:
                caller = verify(request, self._credentials)
            except Forbidden:
                reply.send(_FORBIDDEN)
                return
        qualifier = config.get("Qualifier")
        context = UrlRequestContext(
            function_arn=f"{fn.function_arn}:{qualifier}" if qualifier else fn.function_arn,
            auth_type=auth_type,
            account_id=self._box.info.account_id,
            public=auth_type != "AWS_IAM",
        )
        if not self.policies.allows(self._box.lambda_service.backend, fn, context, qualifier):
            reply.send(_FORBIDDEN)
            return
        event = function_url_event(request, url_id=url_id, region=self._box.region, caller=caller)
        payload = json.dumps(event).encode()

        def finish(response: HttpResponse) -> None:
            reply.send(HttpResponse(response.status, decorate(cors, request, response.headers), response.body))

        name = f"{name}:{config['Qualifier']}" if config.get("Qualifier") else name  # a URL on an alias
        if (config.get("InvokeMode") or "BUFFERED").upper() == "RESPONSE_STREAM":
            self._stream(name, payload, reply, lambda headers: decorate(cors, request, headers), finish)
        else:
            self._buffered(name, payload, finish)

    def _invoke(self, name: str, payload: bytes, on_stream: Any = None) -> Any:
        from lambdalab.service.concurrency import TooManyRequests

        name, _, qualifier = name.partition(":")
        try:
            return self._box.lambda_service.invoke(name, payload, qualifier=qualifier or None, on_stream=on_stream)
        except TooManyRequests:
            return None

    def _buffered(self, name: str, payload: bytes, finish: Any) -> None:
        invocation = self._invoke(name, payload)
        if invocation is None:
            finish(_THROTTLED)
        elif invocation.error is not None:
            finish(_FUNCTION_ERROR)
        else:
            try:
                finish(from_v2(invocation.payload, invocation.raw_payload))
            except MalformedResponse:
                finish(_FUNCTION_ERROR)

    def _stream(self, name: str, payload: bytes, reply: Reply, decorate_headers: Any, finish: Any) -> None:
        relay = _StreamRelay(reply, decorate_headers)
        invocation = self._invoke(name, payload, on_stream=relay)
        if relay.started:
            if invocation is None or invocation.error is not None:
                reply.abort()  # the status line is gone: a failure mid-stream cuts the connection
            else:
                reply.write(relay.leftover())
                reply.end_stream()
        elif invocation is None:
            finish(_THROTTLED)
        elif invocation.error is not None:
            finish(_FUNCTION_ERROR)
        else:  # a runtime that does not stream (Python's managed one): its bytes go out as they are
            finish(HttpResponse(200, (("content-type", "application/json"),), invocation.raw_payload))


def answer_config_call(trigger: FunctionUrls | None, app: Any, environ: dict[str, Any], start_response: Any,
                       function_name: str) -> Any:
    """Pass a ``…/functions/{name}/url`` call to moto, then put the local address in its answer.

    Also mends what moto gets wrong there: ``InvokeMode`` defaults to ``BUFFERED`` (moto says ``Buffered``)
    and ``UpdateFunctionConfigUrl`` changes it (moto ignores it).
    """
    body_in = read_body(environ)
    status, headers, body = call_app(app, environ)
    try:
        document = json.loads(body or b"null")
    except ValueError:
        document = None
    if isinstance(document, dict) and "FunctionUrl" in document:
        if environ.get("REQUEST_METHOD") == "PUT":
            _mend_invoke_mode(trigger, function_name, body_in)
        qualifier = urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).get("Qualifier", [""])[0]
        config = _url_config(trigger, function_name)
        if environ.get("REQUEST_METHOD") == "POST" and qualifier and config is not None:
            config.config["Qualifier"] = qualifier  # moto ignores it: the URL then invokes $LATEST
        if config is not None and config.config.get("Qualifier"):
            document["FunctionArn"] = f"{document['FunctionArn']}:{config.config['Qualifier']}"
        mode = _stored_invoke_mode(trigger, function_name) or document.get("InvokeMode") or "BUFFERED"
        document["InvokeMode"] = mode.upper() if mode.upper() in ("BUFFERED", "RESPONSE_STREAM") else mode
        if trigger is not None:
            document["FunctionUrl"] = trigger.local_url(document["FunctionUrl"])
        body = json.dumps(document).encode()
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


def _url_config(trigger: FunctionUrls | None, function_name: str) -> Any:
    if trigger is None:
        return None
    try:
        return trigger._box.lambda_service.resolve(function_name).url_config
    except LookupError:
        return None


def _stored_invoke_mode(trigger: FunctionUrls | None, function_name: str) -> str | None:
    config = _url_config(trigger, function_name)
    return config.config.get("InvokeMode") if config is not None else None


def _mend_invoke_mode(trigger: FunctionUrls | None, function_name: str, body: bytes) -> None:
    config = _url_config(trigger, function_name)
    try:
        mode = json.loads(body or b"{}").get("InvokeMode")
    except ValueError:
        mode = None
    if config is not None and mode:
        config.config["InvokeMode"] = mode
