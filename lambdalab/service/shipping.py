"""One background writer for what Lambda publishes after an invocation (logs, metrics).

On AWS, logs and metrics reach CloudWatch a moment after the invocation, never in its way. Both shippers
share this: a queue, one daemon thread that drains it in batches through a boto3 client made on first
use, and ``flush()`` for a lesson or a test that wants to read what was just published.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")


class BackgroundWriter(Generic[Item]):
    """Queues items and hands them, in batches of at most ``batch`` items, to ``write(client, items)``."""

    def __init__(self, client_factory: Callable[[], object], name: str, batch: int = 500) -> None:
        self._client_factory = client_factory
        self._batch = batch
        self._queue: queue.Queue[Item] = queue.Queue()
        # Items queued and not yet written: flush() waits for zero, so it cannot return while the last
        # batch is still being written (an Event set by the writer could race a new enqueue).
        self._pending = 0
        self._written = threading.Condition()
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _enqueue(self, item: Item) -> None:
        with self._written:
            self._pending += 1
        self._queue.put(item)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far has been written (or ``timeout`` passes)."""
        deadline = time.monotonic() + timeout
        with self._written:
            return self._written.wait_for(lambda: self._pending == 0, max(0.0, deadline - time.monotonic()))

    def write(self, client: object, items: list[Item]) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        client = None
        while True:
            items = [self._queue.get()]
            while len(items) < self._batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                client = client or self._client_factory()
                self.write(client, items)
            except Exception:  # noqa: BLE001 - a lost log line or data point must never break an invocation
                client = None
            finally:
                with self._written:
                    self._pending -= len(items)
                    self._written.notify_all()
                items = []  # drop the batch now: it must not stay alive while the queue is empty
