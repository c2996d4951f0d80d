"""Shipping function logs into the sandbox's CloudWatch Logs, off the invocation's critical path.

On AWS a function's output reaches CloudWatch Logs asynchronously, a moment after the invocation ends;
so it does here. A background thread batches log events per stream and writes them with ``PutLogEvents``
to the log group ``/aws/lambda/<function>``, so a lesson can read them back with boto3 or
``aws logs tail`` exactly as on AWS.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

from lambdalab.runtime.results import Invocation


@dataclass(frozen=True)
class LogBatch:
    group: str
    stream: str
    lines: tuple[str, ...]
    timestamp_ms: int


class CloudWatchLogsShipper:
    """Writes invocations' log lines to CloudWatch Logs through a boto3 client made by ``client_factory``."""

    def __init__(self, client_factory: object) -> None:
        self._client_factory = client_factory
        self._queue: queue.Queue[LogBatch | None] = queue.Queue()
        self._known: set[tuple[str, str]] = set()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="lambdalab-logs", daemon=True)
        self._thread.start()

    def ship(self, group: str, invocation: Invocation) -> None:
        lines = tuple(line for line in invocation.logs.splitlines() if line)
        self._idle.clear()
        self._queue.put(LogBatch(group, invocation.log_stream_name, lines, int(time.time() * 1000)))

    def forget(self) -> None:
        """After a sandbox reset the groups are gone; create them again on next use."""
        self._known.clear()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything shipped so far is in CloudWatch Logs (for tests and lessons)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.empty() and self._idle.wait(0.05):
                return True
        return False

    def _run(self) -> None:
        client = None
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            try:
                client = client or self._client_factory()
                self._write(client, batch)
            except Exception:  # noqa: BLE001 - losing a log line must never break an invocation
                self._known.discard((batch.group, batch.stream))
            finally:
                if self._queue.empty():
                    self._idle.set()

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
