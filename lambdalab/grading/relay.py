"""A keep-alive relay in front of the sandbox, so a check can see which connection each request came on.

The sandbox's server closes every connection after its response (werkzeug does, for every request), so
there a client kept for the life of an environment and a client made per invocation look the same. Behind
this relay connections stay open as they do at AWS's endpoints: one SDK client sends every request on the
connection it keeps, while a new client opens a new one. That is observed here, outside the learner's
process, where nothing the answer does can change it.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: Headers a hop answers for itself rather than passing on.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host"})


@dataclass(frozen=True)
class RelayedRequest:
    """A request as it reached the relay: the client's port names its connection."""

    remote_port: int
    method: str
    path: str


@contextmanager
def keep_alive_relay(target: str) -> Iterator[tuple[str, list[RelayedRequest]]]:
    """Run a relay to ``target`` (``host:port``) on 127.0.0.1; yields its endpoint URL and the requests seen."""
    seen: list[RelayedRequest] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(target, seen))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="lambdalab-grading-relay", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _handler(target: str, seen: list[RelayedRequest]) -> type[BaseHTTPRequestHandler]:
    class Relay(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the connection outlives one request
        timeout = 60

        def _relay(self) -> None:
            seen.append(RelayedRequest(self.client_address[1], self.command, self.path))
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            upstream = http.client.HTTPConnection(target, timeout=60)
            try:
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                content = response.read()
                self.send_response(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in _HOP_BY_HOP:
                        self.send_header(key, value)
                length = response.getheader("Content-Length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(content)
            finally:
                upstream.close()

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _relay

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
            pass

    return Relay
