"""Keep-alive connections for the sandbox's server, as AWS's endpoints keep them.

werkzeug's development server answers every request with ``Connection: close``: after each response it
drains whatever is left on the socket, which on a kept connection would swallow the client's next request.
So every boto3 call opened a new TCP connection, and the server started a new thread for it — on a warm
``Invoke`` about a tenth of the round trip, and more when the machine is busy.

:func:`keep_alive_handler` keeps werkzeug's handler and makes its one unsafe step safe: while a request is
served, the handler reads the socket through :class:`RequestBody`, which ends where the request's
``Content-Length`` says its body ends, so werkzeug's drain reads the unread rest of this body and never the
next request. A connection is kept only when that is certain — HTTP/1.1, a ``Content-Length`` (or no body),
the whole body read by the end, and the client not asking to close — and closed as before otherwise (a
chunked upload, say). An idle kept connection is closed after the handler's ``timeout``, and
:class:`OpenConnections` lets the server close them all when it stops, so no client keeps talking to a
stopped sandbox's application.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any, BinaryIO


class RequestBody:
    """The socket's reader, bounded to one request's body: reads stop at ``length`` bytes."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self._stream = stream
        self.left = length

    def read(self, size: int | None = -1) -> bytes:
        return self._take(self._stream.read, size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._take(self._stream.readline, size)

    def _take(self, reader: Callable[[int], bytes], size: int | None) -> bytes:
        if self.left <= 0:
            return b""
        data = reader(self.left if size is None or size < 0 else min(size, self.left))
        self.left -= len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True


class OpenConnections:
    """The connections a server holds open, so that stopping it can close them."""

    def __init__(self) -> None:
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def discard(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sockets)

    def close_all(self) -> None:
        """Shut every open connection down: a handler waiting for a kept connection's next request sees
        the end of it and returns."""
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client


def keep_alive_handler(base: type, connections: OpenConnections, **attributes: Any) -> type:
    """A subclass of werkzeug's request handler ``base`` that keeps connections alive where that is safe,
    and records each open connection in ``connections``."""

    class KeepAliveRequestHandler(base):  # type: ignore[misc, valid-type]
        _keep_alive = False

        def setup(self) -> None:
            super().setup()
            # werkzeug writes a response's headers and its body separately; on a kept connection Nagle's
            # algorithm would hold the body back until the client's delayed ACK, 40 ms later.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connections.add(self.connection)

        def finish(self) -> None:
            connections.discard(self.connection)
            super().finish()

        def run_wsgi(self) -> None:
            length = self.headers.get("Content-Length")
            chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            self._keep_alive = (not self.close_connection and not chunked
                                and (length is None or length.strip().isdigit()))
            if not self._keep_alive:
                super().run_wsgi()
                return
            stream, body = self.rfile, RequestBody(self.rfile, int(length or 0))
            self.rfile = body
            try:
                super().run_wsgi()
            finally:
                self.rfile = stream
                # werkzeug's drain only looks at the socket; a body the application left unread may already sit
                # in the reader's buffer. It is this request's, so it is read here, to its declared end.
                while body.left and body.read(min(body.left, 1 << 20)):
                    pass
                if body.left:  # the client closed before sending its whole body
                    self.close_connection = True

        def log_error(self, format: str, *args: Any) -> None:
            if format.startswith("Request timed out"):
                return  # an idle kept connection reaching its timeout is how it ends, not an error
            super().log_error(format, *args)

        def send_header(self, keyword: str, value: str) -> None:
            if self._keep_alive and keyword.lower() == "connection" and value.lower() == "close":
                return  # werkzeug's blanket close; the connection is kept for the client's next request
            super().send_header(keyword, value)

    for name, value in attributes.items():
        setattr(KeepAliveRequestHandler, name, value)
    KeepAliveRequestHandler.__name__ = KeepAliveRequestHandler.__qualname__ = "SandboxRequestHandler"
    return KeepAliveRequestHandler
