"""The proxy's pool of database connections: open, borrow, give back, and wait with a deadline.

The pool may hold at most ``MaxConnectionsPercent`` of the target's ``max_connections``. A borrower takes an
idle connection of its user and database, else opens one while there is room (closing an idle connection
of another user if that makes room), else waits; after ``ConnectionBorrowTimeout`` seconds it gets RDS
Proxy's error, ``Timed-out waiting to acquire database connection.``
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.troubleshooting.html, checked December
2026).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import scramp

from lambdalab.databases.proxy import wire

BORROW_TIMEOUT_MESSAGE = "Timed-out waiting to acquire database connection."


@dataclass(frozen=True)
class Login:
    user: str
    database: str
    password: str


class ServerRefused(Exception):
    """The database answered the login with an ErrorResponse (forwarded to the client as it is)."""

    def __init__(self, message: wire.Message) -> None:
        super().__init__(wire.error_fields(message.payload).get("M", "database error"))
        self.message = message


class BorrowTimeout(Exception):
    """No database connection became free within ConnectionBorrowTimeout."""


class ServerConnection:
    """One authenticated connection to the database, with the parameters the server reported."""

    def __init__(self, login: Login, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.login = login
        self.reader = reader
        self.writer = writer
        self.parameters: dict[str, str] = {}
        self.pinned = False

    @classmethod
    async def open(cls, host: str, port: int, login: Login) -> ServerConnection:
        reader, writer = await asyncio.open_connection(host, port)
        connection = cls(login, reader, writer)
        try:
            await connection._startup()
        except BaseException:
            writer.close()
            raise
        return connection

    async def _startup(self) -> None:
        self.writer.write(
            wire.startup_packet(
                {"user": self.login.user, "database": self.login.database, "application_name": "rds-proxy"}
            )
        )
        scram: scramp.ScramClient | None = None
        while True:
            message = await wire.read_message(self.reader)
            if message.kind == b"E":
                raise ServerRefused(message)
            if message.kind == b"R":
                code = int.from_bytes(message.payload[:4], "big")
                data = message.payload[4:]
                if code == 3:  # cleartext password
                    self.writer.write(wire.Message(b"p", self.login.password.encode() + b"\x00").encode())
                elif code == 10:  # SASL: mechanisms offered
                    mechanisms = [m.decode() for m in data.split(b"\x00") if m]
                    scram = scramp.ScramClient(mechanisms, self.login.user, self.login.password)
                    first = scram.get_client_first().encode()
                    self.writer.write(
                        wire.Message(
                            b"p", scram.mechanism_name.encode() + b"\x00" + len(first).to_bytes(4, "big") + first
                        ).encode()
                    )
                elif code == 11 and scram is not None:
                    scram.set_server_first(data.decode())
                    self.writer.write(wire.Message(b"p", scram.get_client_final().encode()).encode())
                elif code == 12 and scram is not None:
                    scram.set_server_final(data.decode())
                elif code != 0:
                    raise wire.ProtocolError(f"unsupported authentication request {code}")
                await self.writer.drain()
            elif message.kind == b"S":
                name, offset = wire.cstring(message.payload)
                self.parameters[name] = wire.cstring(message.payload, offset)[0]
            elif message.kind == b"Z":
                return

    @property
    def closed(self) -> bool:
        return self.writer.is_closing()

    def close(self) -> None:
        if not self.writer.is_closing():
            try:
                self.writer.write(wire.Message(b"X", b"").encode())
            except Exception:  # noqa: BLE001 - the server may be gone already
                pass
            self.writer.close()


class Pool:
    """Database connections of one proxy target, at most ``capacity`` of them open at once."""

    def __init__(
        self, host: str, port: int, capacity: int, borrow_timeout_s: float, on_change: Callable[[], None] = lambda: None
    ) -> None:
        self.host = host
        self.port = port
        self.capacity = capacity
        self.borrow_timeout_s = borrow_timeout_s
        self._on_change = on_change
        self._idle: list[ServerConnection] = []
        self._busy: set[ServerConnection] = set()
        self._opening = 0
        self._changed = asyncio.Condition()

    @property
    def open_connections(self) -> int:
        return len(self._idle) + len(self._busy) + self._opening

    @property
    def pinned_connections(self) -> int:
        return sum(1 for connection in self._busy if connection.pinned)

    async def borrow(self, login: Login) -> tuple[ServerConnection, float]:
        """A connection for ``login`` and how long the borrower waited (seconds)."""
        started = time.monotonic()
        deadline = started + self.borrow_timeout_s
        async with self._changed:
            while True:
                for connection in self._idle:
                    if connection.login == login and not connection.closed:
                        self._idle.remove(connection)
                        self._busy.add(connection)
                        return connection, time.monotonic() - started
                self._idle = [c for c in self._idle if not c.closed]
                if self.open_connections >= self.capacity and self._idle:
                    self._idle.pop(0).close()  # make room: an idle connection of another user goes
                if self.open_connections < self.capacity:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BorrowTimeout(BORROW_TIMEOUT_MESSAGE)
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    raise BorrowTimeout(BORROW_TIMEOUT_MESSAGE) from None
            self._opening += 1
        try:
            connection = await ServerConnection.open(self.host, self.port, login)
        except BaseException:
            async with self._changed:
                self._opening -= 1
                self._changed.notify_all()
            raise
        async with self._changed:
            self._opening -= 1
            self._busy.add(connection)
        self._on_change()
        return connection, time.monotonic() - started

    async def give_back(self, connection: ServerConnection, *, reusable: bool) -> None:
        """Return a borrowed connection: kept idle for the next transaction, or closed if its state is dirty."""
        async with self._changed:
            self._busy.discard(connection)
            connection.pinned = False
            if reusable and not connection.closed:
                self._idle.append(connection)
            else:
                connection.close()
            self._changed.notify_all()
        self._on_change()

    async def close_all(self) -> None:
        async with self._changed:
            for connection in [*self._idle, *self._busy]:
                connection.close()
            self._idle.clear()
            self._busy.clear()
            self._changed.notify_all()
        self._on_change()

    async def resize(self, capacity: int, borrow_timeout_s: float) -> None:
        async with self._changed:
            self.capacity = capacity
            self.borrow_timeout_s = borrow_timeout_s
            while self.open_connections > capacity and self._idle:
                self._idle.pop(0).close()
            self._changed.notify_all()
