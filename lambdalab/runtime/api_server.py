"""The Lambda Runtime API, served to one execution environment.

On AWS every execution environment talks to its own Runtime API endpoint (``AWS_LAMBDA_RUNTIME_API``);
so does ours: one small HTTP/1.1 server per environment, bound to 127.0.0.1 on an ephemeral port. The
runtime client inside the environment (awslambdaric or lambdalab's own) long-polls ``/invocation/next``,
and posts a response, an error, or an init error. This module only moves bytes and timestamps between
that client and the :class:`~lambdalab.runtime.environment.ExecutionEnvironment` that owns it; it knows
nothing of timeouts, memory or logs.

Two traps (docs/facts.md): awslambdaric hangs if ``/next`` has no ``Content-Type``, and a server on
``http.server`` must speak HTTP/1.1 with Nagle's algorithm off or every invoke costs ~40 ms.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import queue
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lambdalab.aws_facts import MAX_TIMEOUT_S

API_PREFIX = "/2018-06-01/runtime"
# awslambdaric sends an error's X-Ray cause as a header, which for a deep RecursionError outgrows the
# 64 KiB header line http.server accepts; Lambda's own Runtime API takes it, so ours must too.
http.client._MAXLINE = max(http.client._MAXLINE, 4 * 1024 * 1024)  # type: ignore[attr-defined]
_NEXT = re.compile(rf"^{API_PREFIX}/invocation/next$")
_RESPONSE = re.compile(rf"^{API_PREFIX}/invocation/(?P<id>[^/]+)/response$")
_ERROR = re.compile(rf"^{API_PREFIX}/invocation/(?P<id>[^/]+)/error$")
_INIT_ERROR = re.compile(rf"^{API_PREFIX}/init/error$")

#: Called with (content type, chunk) for every chunk of a streamed response, as it arrives from the runtime.
StreamListener = Callable[[str, bytes], None]


@dataclass
class PendingInvocation:
    """One event on its way to the runtime, and whatever the runtime answers.

    Mutable on purpose: it is the rendezvous between the caller's thread and the server's thread, guarded
    by ``done``.
    """

    request_id: str
    event: bytes
    deadline_ms: int
    invoked_function_arn: str
    trace_id: str
    client_context: str | None = None
    dispatched_at: float | None = None
    finished_at: float | None = None
    outcome: str | None = None  # "response" | "error"
    body: bytes = b""
    error_type: str | None = None
    streamed: bool = False
    content_type: str | None = None
    #: Set by a caller that serves the response as it is produced (a RESPONSE_STREAM function URL); without
    #: it a streamed response is buffered whole, as Lambda's Invoke API does.
    on_stream: StreamListener | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def deliver_chunk(self, content_type: str, chunk: bytes) -> None:
        """Hand one streamed chunk to the listener; a listener that fails (its client went away) is dropped,
        and the runtime's stream is still read to its end, as Lambda does."""
        if self.on_stream is None or not chunk:
            return
        try:
            self.on_stream(content_type, chunk)
        except Exception:  # noqa: BLE001 - the caller's trouble must not break the Runtime API
            self.on_stream = None


@dataclass(frozen=True)
class InitError:
    """What the runtime posted to ``/init/error`` (an import error, a missing handler, …)."""

    body: bytes
    error_type: str | None
    received_at: float


class RuntimeAPIServer:
    """The Runtime API endpoint of one execution environment."""

    def __init__(self) -> None:
        self._queue: queue.Queue[PendingInvocation | None] = queue.Queue()
        self._lock = threading.Lock()
        self._in_flight: dict[str, PendingInvocation] = {}
        self.first_next_at: float | None = None
        self.ready = threading.Event()
        self.init_error: InitError | None = None
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.api = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="lambdalab-runtime-api", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{host}:{port}"

    def submit(self, invocation: PendingInvocation) -> None:
        with self._lock:
            self._in_flight[invocation.request_id] = invocation
        self._queue.put(invocation)

    def forget(self, request_id: str) -> None:
        with self._lock:
            self._in_flight.pop(request_id, None)

    def close(self) -> None:
        """Stop serving without making the caller wait for the server's poll loop to notice."""
        self._queue.put(None)
        httpd = self._httpd

        def _stop() -> None:
            httpd.shutdown()
            httpd.server_close()

        threading.Thread(target=_stop, name="lambdalab-runtime-api-stop", daemon=True).start()

    # --- called from the server's threads -------------------------------------------------------
    def _next(self) -> PendingInvocation | None:
        now = time.perf_counter()
        if self.first_next_at is None:
            self.first_next_at = now
            self.ready.set()
        invocation = self._queue.get()
        if invocation is not None:
            invocation.dispatched_at = time.perf_counter()
        return invocation

    def _in_flight_invocation(self, request_id: str) -> PendingInvocation | None:
        with self._lock:
            return self._in_flight.get(request_id)

    def _finish(self, request_id: str, outcome: str, body: bytes, error_type: str | None,
                streamed: bool = False, content_type: str | None = None) -> bool:
        with self._lock:
            invocation = self._in_flight.pop(request_id, None)
        if invocation is None:
            return False
        invocation.finished_at = time.perf_counter()
        invocation.outcome, invocation.body, invocation.error_type = outcome, body, error_type
        invocation.streamed, invocation.content_type = streamed, content_type
        invocation.done.set()
        return True

    def _init_failed(self, body: bytes, error_type: str | None) -> None:
        self.init_error = InitError(body, error_type, time.perf_counter())
        self.ready.set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    api: RuntimeAPIServer

    def handle_error(self, request: object, client_address: object) -> None:
        """A runtime that dies mid-request just drops its connection; that is the environment's business
        (it reports the exit), not something to print into the learner's notebook."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    #: A runtime's connection idles while its handler runs (up to 900 s); longer than that it is stalled.
    timeout = MAX_TIMEOUT_S + 60

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        """Silence http.server's per-request lines: the learner's notebook is not a web server log."""

    def _reply(self, status: int, document: dict[str, object]) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _read_body(self, on_chunk: Callable[[bytes], None] | None = None) -> tuple[bytes, dict[str, str]]:
        """The request body and its trailers; a chunked body is handed to ``on_chunk`` chunk by chunk as it
        arrives (a streaming runtime's response)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    trailers: dict[str, str] = {}
                    while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
                        name, _, value = line.decode("latin-1").partition(":")
                        trailers[name.strip().lower()] = value.strip()
                    return b"".join(chunks), trailers
                chunk = self.rfile.read(size)
                chunks.append(chunk)
                if on_chunk is not None:
                    on_chunk(chunk)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return (self.rfile.read(length) if length else b""), {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if not _NEXT.match(self.path):
            self._reply(404, {"errorType": "InvalidRequest", "errorMessage": f"unknown path {self.path}"})
            return
        invocation = self.server.api._next()
        if invocation is None:  # the environment is shutting down
            self.close_connection = True
            self._reply(410, {"errorType": "Runtime.Shutdown", "errorMessage": "environment ended"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(invocation.event)))
        self.send_header("Lambda-Runtime-Aws-Request-Id", invocation.request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", invocation.invoked_function_arn)
        self.send_header("Lambda-Runtime-Trace-Id", invocation.trace_id)
        if invocation.client_context:
            self.send_header("Lambda-Runtime-Client-Context", invocation.client_context)
        self.end_headers()
        self.wfile.write(invocation.event)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        api = self.server.api
        if match := _RESPONSE.match(self.path):
            self._response(api, match["id"])
            return
        body, _ = self._read_body()
        error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
        if match := _ERROR.match(self.path):
            known = api._finish(match["id"], "error", body, error_type)
        elif _INIT_ERROR.match(self.path):
            api._init_failed(body, error_type)
            known = True
        else:
            self._reply(404, {"errorType": "InvalidRequest", "errorMessage": f"unknown path {self.path}"})
            return
        self._acknowledge(known)

    def _acknowledge(self, known: bool) -> None:
        if known:
            self._reply(202, {"status": "OK"})
        else:
            self._reply(400, {"errorType": "InvalidRequestID",
                              "errorMessage": "Invalid request ID: no such invocation in flight"})

    def _response(self, api: RuntimeAPIServer, request_id: str) -> None:
        """A response, buffered or streamed (``Lambda-Runtime-Function-Response-Mode: streaming``).

        A streamed response's chunks reach the invocation's listener as they arrive; an error raised
        after the stream began comes as the trailers ``Lambda-Runtime-Function-Error-Type`` and
        ``Lambda-Runtime-Function-Error-Body`` (base64 of the error document).
        """
        streamed = self.headers.get("Lambda-Runtime-Function-Response-Mode", "").lower() == "streaming"
        content_type = self.headers.get("Content-Type") or "application/octet-stream"
        pending = api._in_flight_invocation(request_id) if streamed else None
        on_chunk = (lambda chunk: pending.deliver_chunk(content_type, chunk)) if pending else None
        body, trailers = self._read_body(on_chunk)
        error_type = trailers.get("lambda-runtime-function-error-type")
        if streamed and error_type:
            try:
                error_body = base64.b64decode(trailers.get("lambda-runtime-function-error-body", ""))
            except (binascii.Error, ValueError):
                error_body = b""
            known = api._finish(request_id, "error", error_body or json.dumps(
                {"errorType": error_type, "errorMessage": ""}).encode(), error_type, streamed, content_type)
        else:
            known = api._finish(request_id, "response", body, None, streamed, content_type)
        self._acknowledge(known)
