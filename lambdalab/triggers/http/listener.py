"""A small HTTP/1.1 listener on 127.0.0.1 for the HTTP front doors (API Gateway, function URLs).

It only turns bytes into an :class:`~lambdalab.events.apigateway.HttpRequest` and a reply back into
bytes — buffered, or chunked as a stream is produced — and answers requests it cannot parse the way
AWS's front ends do (a JSON 400 / 413), so a malformed request never reaches a function or crashes
anything. What a request *means* is up to the front door that owns the listener.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lambdalab.aws_facts import MAX_API_GATEWAY_PAYLOAD_BYTES
from lambdalab.events.apigateway import HttpRequest
from lambdalab.service.loopback import ensure_loopback
from lambdalab.triggers.http.responses import HttpResponse, check_header

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}


class Reply:
    """How a front door answers one request: a whole response, or a stream of chunks."""

    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self._handler = handler
        self.started = False
        self.first_chunk_at: float | None = None

    def send(self, response: HttpResponse) -> None:
        handler = self._handler
        head = handler.command == "HEAD"
        self._start(response.status, response.headers, length=len(response.body))
        if not head and response.body:
            handler.wfile.write(response.body)
        handler.wfile.flush()

    def start_stream(self, status: int, headers: tuple[tuple[str, str], ...]) -> None:
        """Send the status line and headers now; the body follows as chunks."""
        self._start(status, headers, length=None)

    def write(self, chunk: bytes) -> None:
        if chunk:
            if self.first_chunk_at is None:
                self.first_chunk_at = time.perf_counter()
            self._handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self._handler.wfile.flush()

    def end_stream(self) -> None:
        self._handler.wfile.write(b"0\r\n\r\n")
        self._handler.wfile.flush()

    def abort(self) -> None:
        """Drop the connection mid-stream (the function failed after its first byte)."""
        self._handler.close_connection = True
        try:
            self._handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _start(self, status: int, headers: tuple[tuple[str, str], ...], length: int | None) -> None:
        """Status line and headers. Every header is checked first (a CR/LF in a value raises
        ``MalformedResponse`` before a byte is written), and values travel as UTF-8 bytes, so a header
        outside Latin-1 cannot make http.server drop the connection."""
        safe = [check_header(name, value) for name, value in headers if name.lower() not in _HOP_BY_HOP]
        handler = self._handler
        self.started = True
        handler.send_response(status)
        for name, value in safe:
            handler.send_header(name, value.encode("utf-8").decode("latin-1"))  # http.server re-encodes Latin-1
        if length is None:
            handler.send_header("Transfer-Encoding", "chunked")
        else:
            handler.send_header("Content-Length", str(length))
        handler.end_headers()


App = Callable[[HttpRequest, Reply], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    app: App

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-response is the client's business, not the notebook's."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.1"  # so even an unparseable request line gets a status line back
    server: _Server
    error_content_type = "application/json"
    error_message_format = '{"message":"%(message)s"}'
    #: Seconds a client may stall mid-request or idle on a keep-alive connection before it is closed.
    timeout = 60.0

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        """Silence per-request lines: the learner's notebook is not a web server log."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors http.server raises itself (a request line it cannot parse, …) as API Gateway-style JSON."""
        words = {
            400: "Bad Request",
            413: "Request Too Long",
            414: "Request-URI Too Long",
            431: "Request Header Fields Too Large",
            501: "Not Implemented",
        }
        self.close_connection = True
        body = json.dumps({"message": words.get(code, "Bad Request")}, separators=(",", ":")).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass

    def _body(self) -> bytes | None:
        """The request body, or None after answering a request whose framing is wrong."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    self.send_error(400)
                    return None
                if size == 0:
                    while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_API_GATEWAY_PAYLOAD_BYTES:
                    self.send_error(413)
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
        except ValueError:
            self.send_error(400)
            return None
        if length < 0:
            self.send_error(400)
            return None
        if length > MAX_API_GATEWAY_PAYLOAD_BYTES:
            self.send_error(413)
            return None
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client promised more than it sent
            self.close_connection = True
            return None
        return body

    def _dispatch(self) -> None:
        body = self._body()
        if body is None:
            return
        path, _, query = self.path.partition("?")
        if not path.startswith("/"):  # absolute-form or garbage request targets
            self.send_error(400)
            return
        request = HttpRequest(
            method=self.command,
            path=path,
            query=query,
            headers=tuple(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
            received_at=time.time(),
        )
        reply = Reply(self)
        try:
            self.server.app(request, reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # noqa: BLE001 - whatever went wrong, the client gets API Gateway's 500, never a hang
            if not reply.started:
                reply.send(HttpResponse.message(500, "Internal Server Error"))
            else:
                reply.abort()

    def __getattr__(self, name: str) -> Callable[[], None]:
        if name.startswith("do_"):  # every method, known or not, goes to the front door to judge
            return self._dispatch
        raise AttributeError(name)


class Listener:
    """One front door's socket on 127.0.0.1 (ephemeral port), served by daemon threads until ``stop()``."""

    def __init__(self, app: App, host: str = "127.0.0.1") -> None:
        ensure_loopback(host, "an HTTP front door")
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.app = app
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="lambdalab-http-front-door",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class ListeningTrigger:
    """A trigger that serves each of its resources (an API, a function URL) on a loopback listener of its
    own, started on first use; a reset or stop closes them all."""

    def __init__(self) -> None:
        self._box: Any = None
        self._listeners: dict[str, Listener] = {}
        self._lock = threading.Lock()

    def start(self, box: Any) -> None:
        self._box = box

    def reset(self) -> None:
        with self._lock:
            listeners, self._listeners = list(self._listeners.values()), {}
        for listener in listeners:
            listener.stop()

    def stop(self) -> None:
        self.reset()
