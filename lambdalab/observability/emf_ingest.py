"""Where the sandbox's CloudWatch Logs turns EMF log lines into CloudWatch metrics, as CloudWatch Logs does.

moto stores log events and nothing more. This wraps its PutLogEvents handler: when the request carries
``x-amzn-logs-format: json/emf`` (the sandbox's Lambda log delivery always does, as Lambda's does on AWS;
a CloudWatch agent sends it too), each event that is an EMF document becomes data points in the same
account and region's CloudWatch, where ``get_metric_data``, ``get_metric_statistics``, ``list_metrics`` and
the sandbox's alarms find them. An invalid document is stored as a log line and makes no metric.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from lambdalab.observability.emf import EMF_HEADER, EMF_HEADER_VALUE, EmfMetric, InvalidEmf, extract
from lambdalab.triggers.moto_patches import original, replace


def install() -> None:
    """Wrap moto's PutLogEvents handler (idempotent)."""
    from moto.logs.responses import LogsResponse

    replace(LogsResponse, "put_log_events", _put_log_events)


def _put_log_events(response: Any) -> str:
    from moto.logs.responses import LogsResponse

    answer = original(LogsResponse, "put_log_events")(response)
    headers = getattr(response, "headers", None) or {}
    if str(headers.get(EMF_HEADER, "")).lower() != EMF_HEADER_VALUE:
        return answer
    rejected = json.loads(answer).get("rejectedLogEventsInfo") or {}
    events = response._get_param("logEvents") or []
    first = rejected.get("tooOldLogEventEndIndex", -1) + 1
    last = rejected.get("tooNewLogEventStartIndex", len(events))
    metrics: list[EmfMetric] = []
    for event in events[first:last]:
        try:
            metrics.extend(extract(str(event.get("message", ""))))
        except InvalidEmf:
            continue  # stored as a log line, no metric: as CloudWatch Logs does
    if metrics:
        publish(response.current_account, response.region, metrics)
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
