"""An RDS Proxy: a listening socket, the pool in front of its target, its settings and its numbers.

All proxies of a sandbox share one asyncio event loop on one daemon thread; the RDS API (moto's request
threads) reaches them through thread-safe calls. A proxy listens where its ``Endpoint`` says: on Linux an
address of its own in 127.0.0.0/8 on PostgreSQL's port 5432, as a client on AWS reaches a proxy on the
engine's default port; where that address or port is not free (or not on Linux), on 127.0.0.1 and a free
port, which :attr:`DbProxy.port` tells.
"""

from __future__ import annotations

import asyncio
import random
import sys
import threading
from collections.abc import Coroutine
from typing import Any

from lambdalab.databases import ports
from lambdalab.databases.metrics import RdsMetrics
from lambdalab.databases.proxy.pool import Pool
from lambdalab.databases.proxy.session import ClientSession

POSTGRES_PORT = 5432


class EventLoopThread:
    """One asyncio loop on a daemon thread, for every proxy of a sandbox."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="lambdalab-rds-proxy", daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        """Stop the loop and its thread (every proxy on it must be stopped first)."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class DbProxy:
    """The proxy called ``name``: its listener, pool, client sessions and metrics."""

    def __init__(
        self, name: str, loop: EventLoopThread, metrics: RdsMetrics | None, idle_client_timeout_s: float = 1800
    ) -> None:
        self.name = name
        self._loop = loop
        self.metrics = metrics
        self.idle_client_timeout_s = idle_client_timeout_s
        self.max_connections_percent = 100
        self.borrow_timeout_s = 120.0
        self.session_pinning_filters: tuple[str, ...] = ()
        self.pool: Pool | None = None
        self.target: str | None = None
        self._target_max_connections = 0
        self.verified_logins: dict[Any, dict[str, str]] = {}
        self.sessions: set[ClientSession] = set()
        self._server: asyncio.base_events.Server | None = None
        self.host, self.port = "127.0.0.1", 0

    # --- life cycle (called from any thread) ---------------------------------------------------
    def start(self) -> None:
        self._loop.run(self._listen())

    def stop(self) -> None:
        self._loop.run(self._close())

    def set_target(self, identifier: str, port: int, max_connections: int) -> None:
        """Put the pool in front of the DB instance ``identifier`` listening on 127.0.0.1:``port``."""
        self._loop.run(self._set_target(identifier, port, max_connections))

    def configure(
        self,
        *,
        max_connections_percent: int | None = None,
        borrow_timeout_s: float | None = None,
        session_pinning_filters: list[str] | None = None,
    ) -> None:
        if max_connections_percent is not None:
            self.max_connections_percent = int(max_connections_percent)
        if borrow_timeout_s is not None:
            self.borrow_timeout_s = float(borrow_timeout_s)
        if session_pinning_filters is not None:
            self.session_pinning_filters = tuple(session_pinning_filters)
        if self.pool is not None:
            self._loop.run(self.pool.resize(self.capacity, self.borrow_timeout_s))

    def forget_target(self, identifier: str) -> None:
        if self.target == identifier:
            self._loop.run(self._drop_target())

    def target_stopped(self, identifier: str) -> None:
        """The target is stopping or rebooting: its connections (and the sessions on them) end."""
        if self.target == identifier and self.pool is not None:
            self._loop.run(self.pool.close_all())

    def target_started(self, identifier: str, max_connections: int) -> None:
        """The target is back (started or rebooted), perhaps with a new ``max_connections``: resize the pool."""
        if self.target == identifier and self.pool is not None:
            self._target_max_connections = max_connections
            self._loop.run(self.pool.resize(self.capacity, self.borrow_timeout_s))

    @property
    def capacity(self) -> int:
        """``MaxConnectionsPercent`` of the target's ``max_connections`` (at least one connection)."""
        return max(1, self._target_max_connections * self.max_connections_percent // 100)

    # --- numbers --------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, int]:
        """ClientConnections, DatabaseConnections and DatabaseConnectionsCurrentlySessionPinned, now."""
        if threading.current_thread() is not self._loop.thread:
            return self._loop.run(self._snapshot_in_loop())  # the loop owns these sets: read them there
        return self._snapshot()

    async def _snapshot_in_loop(self) -> dict[str, int]:
        return self._snapshot()

    def _snapshot(self) -> dict[str, int]:
        pool = self.pool
        return {
            "ClientConnections": len(self.sessions),
            "DatabaseConnections": pool.open_connections if pool else 0,
            "DatabaseConnectionsCurrentlySessionPinned": pool.pinned_connections if pool else 0,
        }

    def record_borrow(self, waited_s: float) -> None:
        if self.metrics is not None:
            self.metrics.sample(("ProxyName", self.name), "DatabaseConnectionsBorrowLatency", waited_s * 1_000_000)
        self.changed()

    def changed(self) -> None:
        if self.metrics is not None:
            self.metrics.gauges(("ProxyName", self.name), self._snapshot())

    def client_connected(self, session: ClientSession) -> None:
        self.sessions.add(session)
        self.changed()

    def client_disconnected(self, session: ClientSession) -> None:
        self.sessions.discard(session)
        self.changed()

    # --- inside the loop ------------------------------------------------------------------------
    async def _listen(self) -> None:
        for host, port in _addresses():
            try:
                self._server = await asyncio.start_server(self._serve, host, port)
            except OSError:
                continue
            self.host, self.port = host, self._server.sockets[0].getsockname()[1]
            return
        raise RuntimeError("no loopback address and port free for the proxy")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await ClientSession(self, reader, writer).serve()

    async def _set_target(self, identifier: str, port: int, max_connections: int) -> None:
        await self._drop_target()
        self.target = identifier
        self._target_max_connections = max_connections
        self.pool = Pool("127.0.0.1", port, self.capacity, self.borrow_timeout_s, on_change=self.changed)

    async def _drop_target(self) -> None:
        pool, self.pool, self.target = self.pool, None, None
        self.verified_logins.clear()
        if pool is not None:
            await pool.close_all()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions):
            session.writer.close()
        await self._drop_target()
        self.sessions.clear()


def _addresses() -> list[tuple[str, int]]:
    """Where a proxy may listen, best first: 127.0.0.N:5432 on Linux, then 127.0.0.1 on a free port."""
    candidates: list[tuple[str, int]] = []
    if sys.platform.startswith("linux"):
        start = random.randrange(2, 250)
        candidates += [(f"127.0.0.{2 + (start + i) % 250}", POSTGRES_PORT) for i in range(20)]
    candidates.append(("127.0.0.1", ports.free_port()))
    return candidates
