"""An execution environment's output file: what each invocation printed, read once, kept bounded.

The process writes to a file rather than a pipe, so a line it wrote before it answered is in the file by
the time the answer arrives, and a handler that floods its output never blocks on a full pipe. The rule for
a flood is written once here: an invocation keeps at most :data:`MAX_LOG_BYTES_PER_INVOCATION` (the start
and the end, with a note of what was dropped), and the file is emptied whenever it holds more than
:data:`FLOOD_BYTES` already read or dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

#: What an invocation's log keeps for the notebook; CloudWatch caps events too.
MAX_LOG_BYTES_PER_INVOCATION = 256 * 1024
#: Bytes the file may hold past what was read before it is emptied (the disk stays safe).
FLOOD_BYTES = 8 * MAX_LOG_BYTES_PER_INVOCATION


def dropped_note(count: int) -> str:
    """The line that tells the learner output was dropped."""
    return f"[lambdalab: {count} bytes of log output dropped]\n"


class LogFile:
    """The output file of one environment, and how far it has been read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._dropped = 0
        self._reader: BinaryIO | None = None

    def trim_if_flooded(self) -> None:
        """While an invocation runs: if it printed more than FLOOD_BYTES unread, drop them (and say so later)."""
        try:
            size = self.path.stat().st_size
        except OSError:
            return
        if size - self._offset > FLOOD_BYTES:
            self._dropped += size - self._offset
            self._empty()

    def read_new(self, *, busy: bool) -> str:
        """What was written since the last read, at most MAX_LOG_BYTES_PER_INVOCATION of it, as text.

        ``busy``: an invocation is still running (the file is then not emptied under it)."""
        try:
            if self._reader is None:
                self._reader = open(self.path, "rb")  # noqa: SIM115 - kept open, closed by close()
            self._reader.seek(self._offset)
            data = self._reader.read()
        except OSError:
            return ""
        self._offset += len(data)
        note = ""
        if self._dropped:
            note, self._dropped = dropped_note(self._dropped), 0
        if len(data) > MAX_LOG_BYTES_PER_INVOCATION:
            note += dropped_note(len(data) - MAX_LOG_BYTES_PER_INVOCATION)
            data = data[: MAX_LOG_BYTES_PER_INVOCATION // 2] + data[-MAX_LOG_BYTES_PER_INVOCATION // 2 :]
        if self._offset > FLOOD_BYTES and not busy:
            self._empty()
        # awslambdaric joins a multi-line log record with CR so CloudWatch keeps it as one event;
        # a notebook shows lines, so turn those into newlines.
        return note + data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _empty(self) -> None:
        with open(self.path, "r+b") as fh:
            fh.truncate(0)
        self._offset = 0
