"""API Gateway's CloudWatch metrics (namespace ``AWS/ApiGateway``), written to the sandbox's CloudWatch.

Production detects a failing API from these, not from the function's logs: every request adds to ``Count``,
an error answer to the 4xx or 5xx count (0 otherwise, so ``Average`` is the error rate), ``Latency`` is the
time API Gateway took to answer and ``IntegrationLatency`` the time the function took. The two kinds of API
name them differently (docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
and …/http-api-metrics.html, checked December 2026):

- REST APIs: ``Count``, ``4XXError``, ``5XXError``, ``Latency``, ``IntegrationLatency``; dimensions ``ApiName``
  and ``ApiName, Stage``.
- HTTP APIs: ``Count``, ``4xx``, ``5xx``, ``Latency``, ``IntegrationLatency``, ``DataProcessed``; dimensions
  ``ApiId`` and ``ApiId, Stage``.

Each request's data points carry the most specific set (``ApiName``/``ApiId`` with ``Stage``; the API alone
when no stage was reached). AWS publishes every aggregation; the sandbox's CloudWatch (moto) answers a query
for a subset of a data point's dimensions with that data point, so one copy answers both queries without
counting twice. They go through the same background writer as Lambda's metrics: a request never waits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from lambdalab.service.sandbox_clock import SandboxClock
from lambdalab.service.shipping import BackgroundWriter

NAMESPACE = "AWS/ApiGateway"
_NAMES = {"rest": {"4xx": "4XXError", "5xx": "5XXError"}, "http": {"4xx": "4xx", "5xx": "5xx"}}


@dataclass(frozen=True)
class RequestOutcome:
    """What one request to an API did, as API Gateway measures it."""

    kind: str  # "rest" | "http"
    api_id: str
    api_name: str
    stage: str | None
    status: int
    latency_ms: float
    integration_latency_ms: float | None  # None when no function was invoked (no route, 429, …)
    bytes_processed: int = 0


@dataclass(frozen=True)
class _Datum:
    name: str
    value: float
    unit: str
    dimensions: tuple[tuple[str, str], ...]
    timestamp: dt.datetime


class ApiGatewayMetrics(BackgroundWriter[_Datum]):
    """Turns request outcomes into ``AWS/ApiGateway`` data points and writes them in batches."""

    def __init__(self, client_factory: Callable[[], object]) -> None:
        super().__init__(client_factory, name="lambdalab-apigateway-metrics")
        self.clock = SandboxClock()  # the wall clock until the sandbox hands over its own (box.clock)

    def record(self, outcome: RequestOutcome) -> None:
        now = self.clock.now()  # the clock alarms are evaluated on (see lambdalab.service.metrics)
        names = _NAMES[outcome.kind]
        values: list[tuple[str, float, str]] = [
            ("Count", 1, "Count"),
            (names["4xx"], 1 if 400 <= outcome.status < 500 else 0, "Count"),
            (names["5xx"], 1 if outcome.status >= 500 else 0, "Count"),
            ("Latency", outcome.latency_ms, "Milliseconds"),
        ]
        if outcome.integration_latency_ms is not None:
            values.append(("IntegrationLatency", outcome.integration_latency_ms, "Milliseconds"))
        if outcome.kind == "http":
            values.append(("DataProcessed", outcome.bytes_processed, "Bytes"))
        for dimensions in _dimension_sets(outcome):
            for name, value, unit in values:
                self._enqueue(_Datum(name, float(value), unit, dimensions, now))

    def write(self, client: object, items: list[_Datum]) -> None:
        for start in range(0, len(items), 1000):  # PutMetricData takes at most 1,000 data points
            client.put_metric_data(
                Namespace=NAMESPACE,
                MetricData=[
                    {
                        "MetricName": d.name,
                        "Value": d.value,
                        "Unit": d.unit,
                        "Timestamp": d.timestamp,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in d.dimensions],
                    }
                    for d in items[start : start + 1000]
                ],
            )


def _dimension_sets(outcome: RequestOutcome) -> list[tuple[tuple[str, str], ...]]:
    api = ("ApiName", outcome.api_name) if outcome.kind == "rest" else ("ApiId", outcome.api_id)
    return [(api,) if outcome.stage is None else (api, ("Stage", outcome.stage))]
