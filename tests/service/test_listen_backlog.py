"""The sandbox's listening socket holds a room's burst of connections until its server gets to them.

A room of learners opens hundreds of connections at once. Whatever the kernel cannot queue for the server
(the listen backlog: 5 for Python's socketserver, 128 for werkzeug) is dropped and retried a second or
more later, which spreads a burst out before the sandbox ever sees it. Here the sandbox's server stops
accepting while 300 connections are opened: each must still be connected by the kernel.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from urllib.parse import urlsplit

ROOM = 300


def test_when_300_connections_arrive_while_the_server_accepts_none_then_every_one_is_queued(box, monkeypatch):
    server = box._server._server
    accept = server._handle_request_noblock
    resume = threading.Event()

    def paused() -> None:  # the server's loop waits here, as a busy server would, before it accepts
        resume.wait(60)
        accept()

    monkeypatch.setattr(server, "_handle_request_noblock", paused)
    parts = urlsplit(box.endpoint_url)
    address = (parts.hostname or "127.0.0.1", int(parts.port or 80))
    sockets: list[socket.socket] = []
    selector = selectors.DefaultSelector()
    try:
        for _ in range(ROOM):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(address)
            sockets.append(sock)
            selector.register(sock, selectors.EVENT_WRITE)
        connected: set[socket.socket] = set()
        deadline = time.monotonic() + 10  # a dropped SYN is retried after 1 s, 3 s, 7 s: and dropped again
        while len(connected) < ROOM and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.5):
                if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    connected.add(key.fileobj)
                selector.unregister(key.fileobj)
    finally:
        resume.set()
        monkeypatch.setattr(server, "_handle_request_noblock", accept)
        for sock in sockets:
            sock.close()
        selector.close()

    assert len(connected) == ROOM, f"only {len(connected)} of {ROOM} connections were queued"
