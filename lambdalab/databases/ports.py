"""Free TCP ports on 127.0.0.1 for database servers and proxies, below the ephemeral range.

A server started on a port the kernel might also hand out as the source port of an outgoing connection
can collide with one later; ports below ``ip_local_port_range`` never are. The search starts at a random
place so that several sandboxes on one machine rarely race for the same port.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOWEST = 15432
DEFAULT_EPHEMERAL_START = 32768


def ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return DEFAULT_EPHEMERAL_START


def is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1", avoid: set[int] | frozenset[int] = frozenset()) -> int:
    """A port nothing listens on at ``host``, between 15432 and the start of the ephemeral range."""
    high = max(ephemeral_start(), LOWEST + 100)
    span = high - LOWEST
    start = random.randrange(span)
    for step in range(span):
        port = LOWEST + (start + step) % span
        if port not in avoid and is_free(host, port):
            return port
    raise RuntimeError(f"no free TCP port on {host} between {LOWEST} and {high}")
