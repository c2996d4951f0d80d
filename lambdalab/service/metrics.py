"""Lambda's CloudWatch metrics (namespace ``AWS/Lambda``), written to the sandbox's CloudWatch.

AWS publishes Invocations, Errors, Throttles, Duration, ConcurrentExecutions, the provisioned
concurrency metrics and the asynchronous invocation metrics for every function; a lesson reads them with
``get_metric_statistics`` and alarms on Throttles exactly as on AWS. Data points are batched by a background
writer, so an invocation never waits for CloudWatch.

Each data point is stamped with the sandbox clock (``box.clock``, :mod:`lambdalab.service.sandbox_clock`),
the clock CloudWatch alarms are evaluated on: it follows the wall clock until a lesson freezes it, and then a
burst run "at" a frozen minute lands in that minute, so moving the clock one minute on lets the alarm judge that minute
without waiting for it in real time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from lambdalab.service.sandbox_clock import SandboxClock
from lambdalab.service.shipping import BackgroundWriter

NAMESPACE = "AWS/Lambda"


@dataclass(frozen=True)
class Datum:
    name: str
    value: float
    unit: str
    function_name: str
    resource: str | None
    timestamp: dt.datetime


class MetricsShipper(BackgroundWriter[Datum]):
    """Queues data points and writes them with ``PutMetricData`` in batches."""

    def __init__(self, client_factory: Callable[[], object], trim: Callable[[], object] | None = None) -> None:
        super().__init__(client_factory, name="lambdalab-metrics")
        self._trim = trim  # keeps what CloudWatch holds bounded (see lambdalab.service.retention)
        self.clock = SandboxClock()  # the wall clock until the sandbox hands over its own (box.clock)

    def put(self, name: str, value: float, unit: str, function_name: str, resource: str | None = None) -> None:
        self._enqueue(Datum(name, float(value), unit, function_name, resource, self.clock.now()))

    def write(self, client: object, items: list[Datum]) -> None:
        for start in range(0, len(items), 1000):  # PutMetricData takes at most 1,000 data points
            client.put_metric_data(Namespace=NAMESPACE, MetricData=[_datum(d) for d in items[start : start + 1000]])
        if self._trim is not None:
            self._trim()


def _datum(d: Datum) -> dict[str, object]:
    dimensions = [{"Name": "FunctionName", "Value": d.function_name}]
    if d.resource:
        dimensions.append({"Name": "Resource", "Value": d.resource})
    return {"MetricName": d.name, "Dimensions": dimensions, "Timestamp": d.timestamp, "Value": d.value, "Unit": d.unit}
