"""One client connection to the proxy: login, then transactions multiplexed over the pool.

The client logs in to the proxy (its password is checked by logging in to the database with it, once per
user, database and password); then, for each transaction, the session borrows a database connection on the
first message, forwards messages both ways, and gives the connection back when the server reports
``ReadyForQuery`` idle with nothing pending — and no unnamed statement parsed but not yet executed, since
drivers such as pg8000 parse, describe and execute one statement in three round trips. A statement that
changes session state (see :mod:`~lambdalab.databases.proxy.pinning`) pins the session to its connection
until the client leaves.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

from lambdalab.databases.proxy import pinning, wire
from lambdalab.databases.proxy.pool import BorrowTimeout, Login, ServerConnection, ServerRefused

_SYNC_POINTS = (b"Q", b"S", b"F")


class ClientSession:
    """Serves one client connection until it leaves."""

    def __init__(self, proxy: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.proxy = proxy
        self.reader = reader
        self.writer = writer
        self.login: Login | None = None
        self.attached: ServerConnection | None = None
        self.pinned_reason: str | None = None
        self._outstanding = 0
        self._unsynced = False
        self._unnamed_pending = False  # an unnamed statement parsed, its Execute still to come
        self._discarding = False
        self._pump: asyncio.Task[None] | None = None

    async def serve(self) -> None:
        try:
            if not await self._handshake():
                return
            await self._relay_client()
        except (asyncio.IncompleteReadError, ConnectionError, wire.ProtocolError):
            pass
        finally:
            await self._end()

    # --- login ----------------------------------------------------------------------------------
    async def _handshake(self) -> bool:
        while True:
            code, body = await wire.read_startup(self.reader)
            if code in (wire.SSL_REQUEST, wire.GSSENC_REQUEST):
                self.writer.write(b"N")  # no TLS between client and proxy on 127.0.0.1
                await self.writer.drain()
                continue
            if code != wire.PROTOCOL_3:
                return False
            break
        params = wire.startup_parameters(body)
        user = params.get("user", "")
        self._send(wire.authentication(3))  # AuthenticationCleartextPassword
        await self.writer.drain()
        message = await wire.read_message(self.reader)
        if message.kind != b"p":
            return False
        login = Login(
            user=user, database=params.get("database") or user, password=message.payload.rstrip(b"\x00").decode()
        )
        pool = self.proxy.pool
        if pool is None:
            await self._fatal(
                "The proxy has no available target: register a DB instance with register_db_proxy_targets."
            )
            return False
        if login not in self.proxy.verified_logins:
            try:
                connection, waited = await pool.borrow(login)
            except ServerRefused as refused:
                self._send(refused.message)
                await self.writer.drain()
                return False
            except BorrowTimeout as timeout:
                await self._fatal(str(timeout))
                return False
            except OSError:
                await self._fatal("The proxy could not reach its target database.")
                return False
            self.proxy.record_borrow(waited)
            self.proxy.verified_logins[login] = dict(connection.parameters)
            await pool.give_back(connection, reusable=True)
        self.login = login
        self._send(wire.authentication(0))
        for name, value in self.proxy.verified_logins[login].items():
            self._send(wire.parameter_status(name, value))
        self._send(wire.backend_key_data(secrets.randbelow(2**31), secrets.randbelow(2**31)))
        self._send(wire.ready_for_query(b"I"))
        await self.writer.drain()
        self.proxy.client_connected(self)
        return True

    # --- transactions ---------------------------------------------------------------------------
    async def _relay_client(self) -> None:
        while True:
            try:  # IdleClientTimeout: a client connection inactive that long is closed by the proxy
                message = await asyncio.wait_for(wire.read_message(self.reader), self.proxy.idle_client_timeout_s)
            except TimeoutError:
                return
            if message.kind == b"X":
                return
            if self._discarding:
                if message.kind == b"S":  # the failed request ends here: the client may try again
                    self._discarding = False
                    self._send(wire.ready_for_query(b"I"))
                    await self.writer.drain()
                continue
            if self.attached is None:
                attached = await self._attach()
                if attached is None:
                    return
                if not attached:
                    self._discarding = message.kind not in _SYNC_POINTS
                    if not self._discarding:
                        self._send(wire.ready_for_query(b"I"))
                        await self.writer.drain()
                    continue
            self._note_pinning(message)
            if message.kind == b"P" and not wire.parse_statement_name(message):
                self._unnamed_pending = True
            elif message.kind == b"E":
                self._unnamed_pending = False
            self.attached.writer.write(message.encode())
            if message.kind in _SYNC_POINTS:
                self._outstanding += 1
                self._unsynced = False
            elif message.kind not in (b"d", b"c", b"f", b"H"):
                self._unsynced = True
            await self.attached.writer.drain()

    async def _attach(self) -> bool | None:
        """Borrow a connection: True when attached, False when refused (the session goes on), None to end."""
        pool = self.proxy.pool
        if pool is None:
            await self._fatal("The proxy has no available target.")
            return None
        try:
            connection, waited = await pool.borrow(self.login)
        except BorrowTimeout as timeout:
            # The request fails; the client connection stays open and can retry, as with RDS Proxy.
            self._send(wire.error_response(str(timeout), severity="ERROR"))
            await self.writer.drain()
            return False
        except ServerRefused as refused:
            self._send(refused.message)
            await self.writer.drain()
            return None
        except OSError:
            await self._fatal("The proxy could not reach its target database.")
            return None
        self.proxy.record_borrow(waited)
        self.attached = connection
        self._outstanding = 0
        self._unsynced = False
        if self.pinned_reason:
            connection.pinned = True
        self._pump = asyncio.ensure_future(self._relay_server(connection))
        return True

    async def _relay_server(self, connection: ServerConnection) -> None:
        try:
            while True:
                message = await wire.read_message(connection.reader)
                self.writer.write(message.encode())
                if message.kind == b"E":  # an error ends the statement's extended-protocol cycle
                    self._unnamed_pending = False
                if message.kind == b"Z":
                    self._outstanding = max(0, self._outstanding - 1)
                    idle = message.payload == b"I"
                    if (
                        idle
                        and self._outstanding == 0
                        and not self._unsynced
                        and not self._unnamed_pending
                        and not connection.pinned
                    ):
                        self.attached = None  # before any await: the next message must borrow afresh
                        await self.proxy.pool.give_back(connection, reusable=True)
                        await self.writer.drain()
                        return
                await self.writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, wire.ProtocolError):
            if self.attached is connection:
                self.attached = None
                await self.proxy.pool.give_back(connection, reusable=False)
                self.writer.close()  # the database went away (stop, reboot): so does the session

    def _note_pinning(self, message: wire.Message) -> None:
        if self.pinned_reason is not None:
            return
        sql = wire.query_text(message)
        if sql is None:
            return
        reason = pinning.pin_reason(
            sql, named_statement=bool(wire.parse_statement_name(message)), filters=self.proxy.session_pinning_filters
        )
        if reason is not None:
            self.pinned_reason = reason
            self.attached.pinned = True
            self.proxy.changed()

    # --- end ------------------------------------------------------------------------------------
    async def _end(self) -> None:
        connection, self.attached = self.attached, None
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
        if connection is not None and self.proxy.pool is not None:
            # In a transaction or pinned: its state must not reach another client.
            await self.proxy.pool.give_back(connection, reusable=False)
        if self.login is not None:
            self.proxy.client_disconnected(self)
        self.writer.close()

    def _send(self, message: wire.Message) -> None:
        self.writer.write(message.encode())

    async def _fatal(self, text: str) -> None:
        self._send(wire.error_response(text))
        await self.writer.drain()


SessionFactory = Callable[[Any, asyncio.StreamReader, asyncio.StreamWriter], ClientSession]
