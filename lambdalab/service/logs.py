"""Shipping function logs into the sandbox's CloudWatch Logs, off the invocation's critical path.

A background writer batches log events per stream and writes them with ``PutLogEvents`` to the log group
``/aws/lambda/<function>``, so a lesson can read them back with boto3 or ``aws logs tail`` as on AWS.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from lambdalab.runtime.results import Invocation
from lambdalab.service.shipping import BackgroundWriter


@dataclass(frozen=True)
class LogBatch:
    group: str
    stream: str
    lines: tuple[str, ...]
    timestamp_ms: int


class CloudWatchLogsShipper(BackgroundWriter[LogBatch]):
    """Writes invocations' log lines to CloudWatch Logs through a boto3 client made by ``client_factory``."""

    def __init__(self, client_factory: object, trim: Callable[[str, str], object] | None = None) -> None:
        super().__init__(client_factory, name="lambdalab-logs")
        self._known: set[tuple[str, str]] = set()
        self._trim = trim  # keeps what CloudWatch holds bounded (see lambdalab.service.retention)

    def ship(self, group: str, invocation: Invocation) -> None:
        lines = tuple(line for line in invocation.logs.splitlines() if line)
        self._enqueue(LogBatch(group, invocation.log_stream_name, lines, int(time.time() * 1000)))

    def forget(self) -> None:
        """After a sandbox reset the groups are gone; create them again on next use."""
        self._known.clear()

    def write(self, client: object, items: list[LogBatch]) -> None:
        for batch in items:
            try:
                self._write(client, batch)
            except Exception:  # noqa: BLE001 - the group or stream was deleted: make it again, as Lambda does
                self._known.discard((batch.group, batch.stream))
                try:
                    self._write(client, batch)
                except Exception:  # noqa: BLE001 - a sandbox reset under us: nothing left to write to
                    self._known.discard((batch.group, batch.stream))
        if self._trim is not None:
            for group, stream in {(b.group, b.stream) for b in items}:
                self._trim(group, stream)

    def _write(self, client: object, batch: LogBatch) -> None:
        key = (batch.group, batch.stream)
        if key not in self._known:
            for call, kwargs in ((client.create_log_group, {"logGroupName": batch.group}),
                                 (client.create_log_stream, {"logGroupName": batch.group,
                                                             "logStreamName": batch.stream})):
                try:
                    call(**kwargs)
                except client.exceptions.ResourceAlreadyExistsException:
                    pass
            self._known.add(key)
        if batch.lines:
            client.put_log_events(logGroupName=batch.group, logStreamName=batch.stream,
                                  logEvents=[{"timestamp": batch.timestamp_ms, "message": line}
                                             for line in batch.lines])
