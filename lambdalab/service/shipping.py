"""One background writer for what Lambda publishes after an invocation (logs, metrics).

On AWS, logs and metrics reach CloudWatch a moment after the invocation, never in its way. Both shippers
share this: one daemon thread that writes what was queued in batches through a boto3 client made on first
use, and ``flush()`` for a lesson or a test that wants to read what was just published.

Queuing must cost an invocation next to nothing: a warm invoke queues a log batch and three or four data
points, and SQS mappings run hundreds of invokes a second. So items go on a ``deque`` (an append needs no
lock), and the writer is woken only when it sleeps. Once woken it lingers :data:`LINGER_S` before writing,
so the items of the next few invocations go in the same batch instead of waking it again each: a
``queue.Queue`` woke it for every item (a lock, a condition, a thread switch under the GIL each time).
``flush()`` cuts the linger short. A data point reaches CloudWatch a few milliseconds later than it did; on
AWS it takes seconds.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")

#: How long the writer waits, once woken, for more items to write in the same batch (seconds).
LINGER_S = 0.02


class _Flush:
    """A marker in the queue: set once everything queued before it has been written."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class BackgroundWriter(Generic[Item]):
    """Queues items and hands them, in batches of at most ``batch`` items, to ``write(client, items)``."""

    def __init__(self, client_factory: Callable[[], object], name: str, batch: int = 500) -> None:
        self._client_factory = client_factory
        self._batch = batch
        self._items: collections.deque[Item | _Flush] = collections.deque()
        self._wake = threading.Event()  # set when there is something to write
        self._hurry = threading.Event()  # set by flush(): write now, do not linger
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _enqueue(self, item: Item) -> None:
        self._items.append(item)
        if not self._wake.is_set():  # the writer clears it before it takes items, so none is left behind
            self._wake.set()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far has been written (or ``timeout`` passes)."""
        marker = _Flush()
        self._items.append(marker)
        self._hurry.set()
        self._wake.set()
        return marker.done.wait(max(0.0, timeout))

    def write(self, client: object, items: list[Item]) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        client = None
        while True:
            self._wake.wait()
            self._hurry.wait(LINGER_S)
            self._hurry.clear()
            self._wake.clear()  # before taking items: one queued from now on sets it again
            while self._items:
                client = self._write_next(client)

    def _write_next(self, client: object | None) -> object | None:
        """Write up to a batch from the front of the queue, then release the flushes queued among those items
        (everything before them is written by then); the client to use next, or None after an error. The
        batch dies with this call: it must not stay alive while the queue is empty."""
        items: list[Item] = []
        flushes: list[_Flush] = []
        while len(items) < self._batch and self._items:  # the only thread that takes items
            item = self._items.popleft()
            if isinstance(item, _Flush):
                flushes.append(item)
            else:
                items.append(item)
        if items:
            try:
                client = client or self._client_factory()
                self.write(client, items)
            except Exception:  # noqa: BLE001 - a lost log line or data point must never break an invocation
                client = None
        for marker in flushes:
            marker.done.set()
        return client
