"""The PostgreSQL frontend/backend protocol (version 3), as much as a transaction pooler needs.

A proxy mostly forwards messages untouched; it must only frame them (one type byte, a length that counts
itself), read a client's startup packet, authenticate to the server (SCRAM-SHA-256 through ``scramp``, the
library pg8000 uses), and speak a few messages of its own: authentication requests, ``ReadyForQuery`` and
``ErrorResponse``. https://www.postgresql.org/docs/current/protocol-message-formats.html
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

PROTOCOL_3 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


@dataclass(frozen=True)
class Message:
    """One protocol message: its type byte and its payload (without the length)."""

    kind: bytes
    payload: bytes

    def encode(self) -> bytes:
        return self.kind + struct.pack("!i", len(self.payload) + 4) + self.payload


class ProtocolError(Exception):
    """The peer sent something that is not the PostgreSQL protocol."""


async def read_message(reader: asyncio.StreamReader) -> Message:
    header = await reader.readexactly(5)
    length = struct.unpack("!i", header[1:5])[0]
    if length < 4 or length > 1 << 30:
        raise ProtocolError(f"invalid message length {length}")
    return Message(header[:1], await reader.readexactly(length - 4))


async def read_startup(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The untyped startup packet: its code (protocol version or request code) and the rest."""
    length = struct.unpack("!i", await reader.readexactly(4))[0]
    if length < 8 or length > 10_000:
        raise ProtocolError(f"invalid startup packet length {length}")
    body = await reader.readexactly(length - 4)
    return struct.unpack("!i", body[:4])[0], body[4:]


def startup_parameters(body: bytes) -> dict[str, str]:
    parts = body.split(b"\x00")
    return {parts[i].decode(): parts[i + 1].decode() for i in range(0, len(parts) - 1, 2) if parts[i]}


def startup_packet(parameters: dict[str, str]) -> bytes:
    body = (
        struct.pack("!i", PROTOCOL_3)
        + b"".join(k.encode() + b"\x00" + v.encode() + b"\x00" for k, v in parameters.items())
        + b"\x00"
    )
    return struct.pack("!i", len(body) + 4) + body


def cstring(payload: bytes, start: int = 0) -> tuple[str, int]:
    """A NUL-terminated string in ``payload`` at ``start`` and the offset after it."""
    end = payload.index(b"\x00", start)
    return payload[start:end].decode(errors="replace"), end + 1


def error_fields(payload: bytes) -> dict[str, str]:
    """An ErrorResponse's fields by code: ``S`` severity, ``C`` SQLSTATE, ``M`` message…"""
    fields, offset = {}, 0
    while offset < len(payload) and payload[offset : offset + 1] != b"\x00":
        code = payload[offset : offset + 1].decode()
        value, offset = cstring(payload, offset + 1)
        fields[code] = value
    return fields


def error_response(message: str, *, severity: str = "FATAL", sqlstate: str = "08004") -> Message:
    fields = {"S": severity, "V": severity, "C": sqlstate, "M": message}
    payload = b"".join(k.encode() + v.encode() + b"\x00" for k, v in fields.items()) + b"\x00"
    return Message(b"E", payload)


def authentication(code: int, data: bytes = b"") -> Message:
    return Message(b"R", struct.pack("!i", code) + data)


def ready_for_query(status: bytes = b"I") -> Message:
    return Message(b"Z", status)


def parameter_status(name: str, value: str) -> Message:
    return Message(b"S", name.encode() + b"\x00" + value.encode() + b"\x00")


def backend_key_data(pid: int, key: int) -> Message:
    return Message(b"K", struct.pack("!ii", pid, key))


def query_text(message: Message) -> str | None:
    """The SQL a client asks for: a simple ``Query`` or the text of a ``Parse``."""
    if message.kind == b"Q":
        return cstring(message.payload)[0]
    if message.kind == b"P":
        _name, offset = cstring(message.payload)
        return cstring(message.payload, offset)[0]
    return None


def parse_statement_name(message: Message) -> str:
    """The statement name of a ``Parse`` (empty for the unnamed statement)."""
    return cstring(message.payload)[0] if message.kind == b"P" else ""
