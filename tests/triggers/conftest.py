"""Fixtures for the HTTP front doors: one sandbox per module (cold starts are paid once), clean afterwards."""

from __future__ import annotations

import socket

import pytest
from botocore.config import Config

import lambdalab


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture(scope="module")
def clients(box):
    no_retry = Config(retries={"total_max_attempts": 1})
    return {name: box.client(name, config=no_retry) for name in ("lambda", "apigateway", "apigatewayv2")}


def raw_http(base_url: str, data: bytes, timeout: float = 5.0) -> bytes:
    """Send bytes as they are (no client would send a malformed request for us) and read the answer."""
    host, port = base_url.removeprefix("http://").split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        conn.sendall(data)
        chunks = []
        try:
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)
