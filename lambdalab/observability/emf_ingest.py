"""Where the sandbox's CloudWatch Logs turns EMF log lines into CloudWatch metrics, as CloudWatch Logs does.

moto stores log events and nothing more. This wraps its CloudWatch Logs backend's PutLogEvents, which every
log line goes through (Lambda's logs, shipped in process, and any client's PutLogEvents over HTTP): each
accepted event that is an EMF document becomes data points in the same account and region's CloudWatch,
where ``get_metric_data``, ``get_metric_statistics``, ``list_metrics`` and the sandbox's alarms find them.
The header ``x-amzn-logs-format: json/emf`` is optional, as on AWS
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Generation_PutLogEvents.html,
checked December 2026). An invalid document is stored as a log line, makes no metric, and counts in
``AWS/Logs`` ``EMFValidationErrors`` (or ``EMFParsingErrors`` when it is not JSON) for its ``LogGroupName``.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from lambdalab.observability.emf import EmfMetric, InvalidEmf, extract
from lambdalab.service.moto_patching import original, replace

LOGS_NAMESPACE = "AWS/Logs"


def install() -> None:
    """Wrap moto's PutLogEvents (idempotent)."""
    from moto.logs.models import LogsBackend

    replace(LogsBackend, "put_log_events", _put_log_events)


def _put_log_events(
    backend: Any, log_group_name: str, log_stream_name: str, log_events: list[dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    from moto.logs.models import LogsBackend

    answer = original(LogsBackend, "put_log_events")(backend, log_group_name, log_stream_name, log_events)
    rejected = answer[1] or {}
    events = log_events or []
    first = rejected.get("tooOldLogEventEndIndex", -1) + 1
    last = rejected.get("tooNewLogEventStartIndex", len(events))
    metrics: list[EmfMetric] = []
    errors: dict[str, int] = {}
    for event in events[first:last]:
        try:
            metrics.extend(extract(str(event.get("message", ""))))
        except InvalidEmf as invalid:  # stored as a log line, no metric: as CloudWatch Logs does
            errors[invalid.metric] = errors.get(invalid.metric, 0) + 1
    now_ms = int(time.time() * 1000)
    metrics.extend(
        EmfMetric(LOGS_NAMESPACE, name, (("LogGroupName", log_group_name),), (float(count),), "Count", 60, now_ms)
        for name, count in errors.items()
    )
    if metrics:
        publish(backend.account_id, backend.region_name, metrics)
    return answer


def publish(account_id: str, region: str, metrics: list[EmfMetric]) -> None:
    """Store ``metrics`` in moto's CloudWatch (one datum per metric, its values counted as given)."""
    from moto.cloudwatch.models import cloudwatch_backends

    from lambdalab.service.retention import trim_metrics

    backend = cloudwatch_backends[account_id][region]
    by_namespace: dict[str, list[dict[str, Any]]] = {}
    for metric in metrics:
        when = dt.datetime.fromtimestamp(metric.timestamp_ms / 1000, dt.UTC).replace(tzinfo=None)
        by_namespace.setdefault(metric.namespace, []).append(
            {
                "MetricName": metric.name,
                "Dimensions": [{"Name": name, "Value": value} for name, value in metric.dimensions],
                "Values": list(metric.values),
                "Unit": metric.unit,
                "StorageResolution": metric.storage_resolution,
                "Timestamp": when,
            }
        )
    for namespace, data in by_namespace.items():
        backend.put_metric_data(namespace, data)
    trim_metrics(account_id, region)
