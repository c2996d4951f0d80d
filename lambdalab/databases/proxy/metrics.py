"""RDS Proxy's CloudWatch metrics (namespace ``AWS/RDS``, dimension ``ProxyName``) in the sandbox's CloudWatch.

RDS Proxy publishes, among others, ClientConnections, DatabaseConnections,
DatabaseConnectionsCurrentlySessionPinned (counts) and DatabaseConnectionsBorrowLatency (microseconds),
with the dimension set ``ProxyName``
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.monitoring.html, checked December 2026).
AWS samples them every minute; here a data point is written whenever a number changes, through the
sandbox's background writer, so a lesson can read them at once with ``get_metric_statistics``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from lambdalab.service.shipping import BackgroundWriter

NAMESPACE = "AWS/RDS"
UNITS = {
    "ClientConnections": "Count",
    "DatabaseConnections": "Count",
    "DatabaseConnectionsCurrentlySessionPinned": "Count",
    "DatabaseConnectionsBorrowLatency": "Microseconds",
}


@dataclass(frozen=True)
class ProxyDatum:
    proxy_name: str
    name: str
    value: float
    timestamp: dt.datetime


class ProxyMetrics(BackgroundWriter[ProxyDatum]):
    """Queues proxy data points and writes them with ``PutMetricData``."""

    def __init__(self, client_factory: Callable[[], object]) -> None:
        super().__init__(client_factory, name="lambdalab-rds-metrics")
        self._last: dict[tuple[str, str], float] = {}

    def gauges(self, proxy_name: str, values: dict[str, int]) -> None:
        """Record the gauges that changed since the last call."""
        now = dt.datetime.now(dt.UTC)
        for name, value in values.items():
            if self._last.get((proxy_name, name)) != value:
                self._last[(proxy_name, name)] = value
                self._enqueue(ProxyDatum(proxy_name, name, float(value), now))

    def borrow_latency(self, proxy_name: str, microseconds: float) -> None:
        self._enqueue(
            ProxyDatum(proxy_name, "DatabaseConnectionsBorrowLatency", float(microseconds), dt.datetime.now(dt.UTC))
        )

    def write(self, client: object, items: list[ProxyDatum]) -> None:
        for start in range(0, len(items), 1000):
            client.put_metric_data(
                Namespace=NAMESPACE,
                MetricData=[
                    {
                        "MetricName": d.name,
                        "Dimensions": [{"Name": "ProxyName", "Value": d.proxy_name}],
                        "Timestamp": d.timestamp,
                        "Value": d.value,
                        "Unit": UNITS[d.name],
                    }
                    for d in items[start : start + 1000]
                ],
            )
