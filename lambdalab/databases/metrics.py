"""RDS's CloudWatch metrics (namespace ``AWS/RDS``) in the sandbox's CloudWatch: instances' and proxies'.

A DB instance publishes ``DatabaseConnections`` ("the number of client network connections to the database
instance") with the dimension ``DBInstanceIdentifier`` every minute
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html, checked December 2026). RDS Proxy
publishes ClientConnections, DatabaseConnections, DatabaseConnectionsCurrentlySessionPinned (counts) and
DatabaseConnectionsBorrowLatency (microseconds) with the dimension ``ProxyName``
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.monitoring.html, checked December 2026);
here a proxy writes a data point whenever one of its numbers changes, so a lesson can read them at once.
Everything goes through the sandbox's background writer, never in the way of a query.
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
class RdsDatum:
    dimension: tuple[str, str]  # ("ProxyName", "orders-proxy") or ("DBInstanceIdentifier", "orders")
    name: str
    value: float
    timestamp: dt.datetime


class RdsMetrics(BackgroundWriter[RdsDatum]):
    """Queues RDS data points and writes them with ``PutMetricData``."""

    def __init__(self, client_factory: Callable[[], object]) -> None:
        super().__init__(client_factory, name="lambdalab-rds-metrics")
        self._last: dict[tuple[tuple[str, str], str], float] = {}

    def gauges(self, dimension: tuple[str, str], values: dict[str, float], *, only_changes: bool = True) -> None:
        """Record gauges (those that changed since the last call, unless ``only_changes`` is False)."""
        now = dt.datetime.now(dt.UTC)
        for name, value in values.items():
            if only_changes and self._last.get((dimension, name)) == value:
                continue
            self._last[(dimension, name)] = value
            self._enqueue(RdsDatum(dimension, name, float(value), now))

    def sample(self, dimension: tuple[str, str], name: str, value: float) -> None:
        self._enqueue(RdsDatum(dimension, name, float(value), dt.datetime.now(dt.UTC)))

    def write(self, client: object, items: list[RdsDatum]) -> None:
        for start in range(0, len(items), 1000):
            client.put_metric_data(
                Namespace=NAMESPACE,
                MetricData=[
                    {
                        "MetricName": d.name,
                        "Dimensions": [{"Name": d.dimension[0], "Value": d.dimension[1]}],
                        "Timestamp": d.timestamp,
                        "Value": d.value,
                        "Unit": UNITS[d.name],
                    }
                    for d in items[start : start + 1000]
                ],
            )
