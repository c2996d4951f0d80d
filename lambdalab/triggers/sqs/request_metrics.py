"""SQS's request metrics (namespace ``AWS/SQS``, dimension ``QueueName``): messages sent, received, deleted,
receives that came back empty, and the size of what was sent.

SQS publishes these to CloudWatch for every active queue
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html,
checked December 2026):

- ``NumberOfMessagesSent``: messages added to the queue (``SendMessage``, each entry of ``SendMessageBatch``,
  an SNS subscription's delivery). A message SQS moves to a dead-letter queue after ``maxReceiveCount``
  receives is not counted as sent to it; one sent there by hand is.
- ``NumberOfMessagesReceived``: messages returned by ``ReceiveMessage``, the Lambda pollers' included.
- ``NumberOfMessagesDeleted``: successful deletions, a second deletion of the same message included.
- ``NumberOfEmptyReceives``: ``ReceiveMessage`` calls that returned no message (a long poll counts once).
- ``SentMessageSize`` (bytes): the size of each message added, body and message attributes.

moto publishes none of them. The SQS patches (:mod:`.moto_patch`) report each request here; the counts are
summed per queue and per minute of the sandbox clock (so a lesson that freezes the clock finds them in the
frozen minute, as Lambda's metrics) and written every few seconds, or at once by ``flush()``
(``lambdalab.flush_logs()`` calls it). Where the sandbox simplifies: each write adds a data point to the
minute, so ``SampleCount`` counts writes, not messages; read these metrics with ``Sum`` (``SentMessageSize``
carries one sample per message, so its ``Average`` is the average message size).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

NAMESPACE = "AWS/SQS"
COUNTS = ("NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted", "NumberOfEmptyReceives")
SIZE = "SentMessageSize"
WRITE_INTERVAL_S = 5.0

_current: SqsRequestMetrics | None = None


def current() -> SqsRequestMetrics | None:
    """The running sandbox's recorder (``None`` when no sandbox runs: the patches then count nothing)."""
    return _current


def message_size(body: str, attributes: dict[str, Any] | None) -> int:
    """A message's size as SQS counts it against its 256 KiB limit: the body and each attribute's name, type
    and value, in bytes."""
    size = len(body.encode("utf-8"))
    for name, attribute in (attributes or {}).items():
        value = attribute.get("StringValue") or attribute.get("BinaryValue") or ""
        size += len(name.encode("utf-8")) + len(str(attribute.get("DataType", "")).encode("utf-8"))
        size += len(value) if isinstance(value, bytes) else len(str(value).encode("utf-8"))
    return size


class SqsRequestMetrics:
    """Counts SQS's requests per queue and minute, and writes them to the sandbox's CloudWatch."""

    def __init__(self, client_factory: Callable[[], Any], now: Callable[[], dt.datetime]) -> None:
        self._client_factory = client_factory
        self._now = now
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, dt.datetime], float] = defaultdict(float)
        self._sizes: dict[tuple[str, dt.datetime], list[float]] = defaultdict(list)
        self._write_lock = threading.Lock()
        self._cloudwatch: Any = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- life cycle ------------------------------------------------------------------------------
    def start(self) -> None:
        global _current
        _current = self
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="lambdalab-sqs-metrics", daemon=True)
        self._thread.start()

    def reset(self) -> None:
        """Forget what was not written yet: the sandbox resets CloudWatch with everything else."""
        with self._lock:
            self._counts.clear()
            self._sizes.clear()

    def stop(self) -> None:
        global _current
        self._stopping.set()
        if _current is self:
            _current = None

    # --- what the SQS patches report -----------------------------------------------------------------
    def sent(self, queue: str, size_bytes: int) -> None:
        minute = self._minute()
        with self._lock:
            self._counts[(queue, "NumberOfMessagesSent", minute)] += 1
            self._sizes[(queue, minute)].append(float(size_bytes))

    def received(self, queue: str, messages: int) -> None:
        minute = self._minute()
        with self._lock:
            if messages:
                self._counts[(queue, "NumberOfMessagesReceived", minute)] += messages
            else:
                self._counts[(queue, "NumberOfEmptyReceives", minute)] += 1

    def deleted(self, queue: str) -> None:
        minute = self._minute()
        with self._lock:
            self._counts[(queue, "NumberOfMessagesDeleted", minute)] += 1

    def _minute(self) -> dt.datetime:
        return self._now().astimezone(dt.UTC).replace(second=0, microsecond=0)

    # --- writing ---------------------------------------------------------------------------------
    def flush(self, timeout: float = 10.0) -> bool:
        """Write every count recorded so far to CloudWatch; False if CloudWatch could not be written."""
        with self._write_lock:
            with self._lock:
                counts, self._counts = self._counts, defaultdict(float)
                sizes, self._sizes = self._sizes, defaultdict(list)
            data: list[dict[str, Any]] = [
                {
                    "MetricName": name,
                    "Dimensions": [{"Name": "QueueName", "Value": queue}],
                    "Timestamp": minute,
                    "Value": value,
                    "Unit": "Count",
                }
                for (queue, name, minute), value in counts.items()
            ]
            data += [
                {
                    "MetricName": SIZE,
                    "Dimensions": [{"Name": "QueueName", "Value": queue}],
                    "Timestamp": minute,
                    "StatisticValues": {
                        "SampleCount": float(len(values)),
                        "Sum": sum(values),
                        "Minimum": min(values),
                        "Maximum": max(values),
                    },
                    "Unit": "Bytes",
                }
                for (queue, minute), values in sizes.items()
            ]
            if not data:
                return True
            try:
                self._cloudwatch = self._cloudwatch or self._client_factory()
                for start in range(0, len(data), 1000):
                    self._cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data[start : start + 1000])
            except Exception:  # noqa: BLE001 - a lost data point must never break a request to SQS
                self._cloudwatch = None
                return False
            return True

    def _run(self) -> None:
        while not self._stopping.wait(WRITE_INTERVAL_S):
            self.flush()
