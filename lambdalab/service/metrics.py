"""Lambda's CloudWatch metrics (namespace ``AWS/Lambda``), written to the sandbox's CloudWatch.

AWS publishes Invocations, Errors, Throttles, Duration, ConcurrentExecutions and the provisioned
concurrency metrics for every function; a lesson reads them with ``get_metric_statistics`` and alarms on
Throttles exactly as on AWS. Data points are batched and written by one background thread, so an
invocation never waits for CloudWatch.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

NAMESPACE = "AWS/Lambda"
_BATCH = 500


@dataclass(frozen=True)
class Datum:
    name: str
    value: float
    unit: str
    function_name: str
    resource: str | None
    timestamp: dt.datetime


class MetricsShipper:
    """Queues data points and writes them with ``PutMetricData`` in batches."""

    def __init__(self, client_factory: Callable[[], object]) -> None:
        self._client_factory = client_factory
        self._queue: queue.Queue[Datum] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="lambdalab-metrics", daemon=True)
        self._thread.start()

    def put(self, name: str, value: float, unit: str, function_name: str, resource: str | None = None) -> None:
        self._idle.clear()
        self._queue.put(Datum(name, float(value), unit, function_name, resource, dt.datetime.now(dt.UTC)))

    def flush(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.empty() and self._idle.wait(0.05):
                return True
        return False

    def _run(self) -> None:
        client = None
        while True:
            batch = [self._queue.get()]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                client = client or self._client_factory()
                client.put_metric_data(Namespace=NAMESPACE, MetricData=[_datum(d) for d in batch])
            except Exception:  # noqa: BLE001 - a lost data point must never break an invocation
                client = None
            finally:
                if self._queue.empty():
                    self._idle.set()


def _datum(d: Datum) -> dict[str, object]:
    dimensions = [{"Name": "FunctionName", "Value": d.function_name}]
    if d.resource:
        dimensions.append({"Name": "Resource", "Value": d.resource})
    return {"MetricName": d.name, "Dimensions": dimensions, "Timestamp": d.timestamp, "Value": d.value,
            "Unit": d.unit}
