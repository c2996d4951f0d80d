"""The sandbox keeps connections alive, as AWS's endpoints do, without ever mixing two requests up."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

import lambdalab
from lambdalab.service.keep_alive import OpenConnections, keep_alive_handler
from lambdalab.service.lambda_api import observe_requests


def _app(environ, start_response):
    """Answers with the path and the body it was sent, except under /ignore, where it reads no body."""
    path = environ["PATH_INFO"]
    length = -1 if environ.get("wsgi.input_terminated") else int(environ.get("CONTENT_LENGTH") or 0)
    body = b"" if path.startswith("/ignore") else environ["wsgi.input"].read(length)
    answer = f"{path} {body.decode()}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(answer)))])
    return [answer]


@pytest.fixture
def server() -> Iterator[tuple[int, OpenConnections, ThreadedWSGIServer]]:
    connections = OpenConnections()
    handler = keep_alive_handler(WSGIRequestHandler, connections, timeout=5)
    httpd = ThreadedWSGIServer("127.0.0.1", 0, _app, handler=handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.server_address[1], connections, httpd
    httpd.shutdown()
    connections.close_all()
    thread.join()


def _send(conn: http.client.HTTPConnection, path: str, body: bytes = b"", **headers: str) -> tuple[str, str | None]:
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    return response.read().decode(), response.getheader("Connection")


def test_consecutive_requests_share_one_connection_and_each_gets_its_own_answer(server):
    port, connections, _ = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    answers = [_send(conn, f"/r{i}", f"body {i}".encode()) for i in range(3)]
    assert answers == [(f"/r{i} body {i}", None) for i in range(3)]
    assert len(connections) == 1  # one kept connection, not three
    conn.close()


def test_a_body_the_application_never_read_does_not_become_the_next_request(server):
    port, _, _ = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    assert _send(conn, "/ignore", b"GET /smuggled HTTP/1.1\r\n\r\n") == ("/ignore ", None)
    assert _send(conn, "/next", b"after") == ("/next after", None)


def test_an_unread_body_that_arrived_with_its_headers_is_skipped_and_the_connection_serves_the_next_request(server):
    """Headers and body in one segment: the server's reader buffers the body with the headers, where werkzeug's
    own drain (which watches the socket) cannot see it."""
    port, _, _ = server
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
    assert _read_answer(sock, b"/ignore ")
    time.sleep(0.1)  # a client that pauses between calls, as a notebook does: werkzeug's drain has given up by now
    sock.sendall(b"POST /next HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
    assert _read_answer(sock, b"/next abc")
    sock.close()


def _read_answer(sock: socket.socket, ending: bytes) -> bytes:
    answer = b""
    while not answer.endswith(ending):  # the headers and the body may come in separate segments
        chunk = sock.recv(4096)
        assert chunk, f"the connection ended before the answer did: {answer!r}"
        answer += chunk
    return answer


def test_a_chunked_upload_or_a_client_that_asks_to_close_gets_its_connection_closed(server):
    port, _, _ = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("POST", "/chunked", body=iter([b"a", b"b"]), encode_chunked=True)
    response = conn.getresponse()
    assert (response.read(), response.getheader("Connection")) == (b"/chunked ab", "close")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    assert _send(conn, "/bye", b"x", Connection="close") == ("/bye x", "close")


def test_stopping_the_server_closes_the_connections_it_kept(server):
    port, connections, httpd = server
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert _read_answer(sock, b"/one ")
    httpd.shutdown()
    connections.close_all()
    assert sock.recv(4096) == b""  # the server's side is gone: the client sees the end of the connection
    sock.close()


def test_one_boto3_client_sends_its_calls_on_one_connection(lam):
    lambdalab.deploy("kept", code="def handler(e, c):\n    return e\n")
    with observe_requests(lambda method, path: path.endswith("/functions/kept/invocations")) as seen:
        for i in range(5):
            lam.invoke(FunctionName="kept", Payload=f'{{"n": {i}}}'.encode())["Payload"].read()
    assert len(seen) == 5 and len({request.remote_port for request in seen}) == 1
