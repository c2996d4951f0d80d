"""``GetMetricData`` as CloudWatch answers it: every statistic (percentiles too) and metric math.

A dashboard and an error-rate alarm both read CloudWatch through ``GetMetricData``
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html, checked December
2026). moto 5.2 answers it only in part: ``p99`` comes back empty, a query with dimensions matches other
namespaces' metrics, and an ``Expression`` can only repeat another query. This module computes the answer
from the data moto stores, with the statistics of :mod:`lambdalab.observability.alarm_rules` (so a dashboard
and an alarm read the same numbers) and the expressions of :mod:`lambdalab.observability.metric_math`.

Periods are aligned to multiples of ``Period`` since the epoch (as CloudWatch aligns recent data), only
periods with data are returned, and ``ScanBy`` orders them (``TimestampDescending`` by default).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from lambdalab.observability.alarm_rules import Sample, statistic
from lambdalab.observability.metric_math import MetricMathError, Series, evaluate
from lambdalab.service.moto_patching import replace


def metric_samples(
    data: Iterable[Any], namespace: str, name: str, dimensions: Mapping[str, str], unit: str | None = None
) -> list[Sample]:
    """The stored data points of one metric: same namespace, name and exactly these dimensions."""
    wanted = sorted(dimensions.items())
    samples = []
    for datum in data:
        if datum.namespace != namespace or datum.name != name:
            continue
        if sorted((d.name, d.value) for d in datum.dimensions) != wanted:
            continue
        if unit and datum.unit != unit:
            continue
        samples.append(_sample(datum))
    return samples


def stat_series(samples: Iterable[Sample], stat: str, period: int, start: float, end: float) -> Series:
    """One value per period with data in [start, end): the statistic of that period's samples."""
    buckets: dict[float, list[Sample]] = {}
    for sample in samples:
        t = sample.timestamp.timestamp()
        if start <= t < end:
            buckets.setdefault(math.floor(t / period) * period, []).append(sample)
    series: Series = {}
    for begins in sorted(buckets):
        value = statistic(buckets[begins], stat)
        if value is not None:
            series[begins] = value
    return series


def query_series(data: list[Any], queries: list[Mapping[str, Any]], start: float, end: float) -> dict[str, Series]:
    """Every query's series by ``Id``: ``MetricStat`` queries first, then expressions in the order given."""
    results: dict[str, Series] = {}
    periods = [int(q["MetricStat"]["Period"]) for q in queries if q.get("MetricStat")]
    periods += [int(q["Period"]) for q in queries if q.get("Period")]
    period = min(periods) if periods else 60
    for query in queries:
        stat = query.get("MetricStat")
        if not stat:
            continue
        metric = stat["Metric"]
        dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
        samples = metric_samples(data, metric["Namespace"], metric["MetricName"], dims, stat.get("Unit"))
        results[query["Id"]] = stat_series(samples, stat["Stat"], int(stat["Period"]), start, end)
    first = math.floor(start / period) * period
    grid = [t for t in range(int(first), int(end), period) if t >= start - period]
    for query in queries:
        if query.get("Expression"):
            results[query["Id"]] = evaluate(query["Expression"], results, [float(t) for t in grid])
    return results


def install() -> None:
    """Answer ``GetMetricData`` from moto's stored data with every statistic and metric math (idempotent)."""
    from moto.cloudwatch.models import CloudWatchBackend

    replace(CloudWatchBackend, "get_metric_data", _get_metric_data)


def _get_metric_data(
    backend: Any,
    queries: list[dict[str, Any]],
    start_time: dt.datetime,
    end_time: dt.datetime,
    scan_by: str = "TimestampDescending",
) -> list[dict[str, Any]]:
    from moto.cloudwatch.exceptions import ValidationError

    start, end = _epoch(start_time), _epoch(end_time)
    if start >= end:
        raise ValidationError("The parameter EndTime must be greater than StartTime.")
    try:
        series = query_series(backend.get_all_metrics(), queries, start, end)
    except MetricMathError as exc:
        raise ValidationError(str(exc)) from None
    results = []
    for query in queries:
        if str(query.get("ReturnData", True)).lower() == "false":
            continue
        points = sorted(series[query["Id"]].items(), reverse=scan_by != "TimestampAscending")
        stat = query.get("MetricStat")
        label = query.get("Label") or (f"{stat['Metric']['MetricName']}" if stat else query["Id"])
        results.append(
            {
                "id": query["Id"],
                "label": label,
                "values": [v for _, v in points],
                "timestamps": [dt.datetime.fromtimestamp(t, dt.UTC) for t, _ in points],
                "status_code": "Complete",
            }
        )
    return results


def _epoch(when: dt.datetime) -> float:
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()


def _sample(datum: Any) -> Sample:
    timestamp = datum.timestamp if datum.timestamp.tzinfo else datum.timestamp.replace(tzinfo=dt.UTC)
    if hasattr(datum, "value"):
        return Sample(timestamp, value=float(datum.value))
    return Sample(
        timestamp,
        sample_count=float(datum.sample_count),
        total=float(datum.sum),
        minimum=float(datum.min),
        maximum=float(datum.max),
    )
