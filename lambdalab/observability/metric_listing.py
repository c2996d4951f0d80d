"""ListMetrics names each metric once, as CloudWatch does.

moto keeps every data point and lists one entry per point for a metric without dimensions (its duplicate
check skips dimensionless metrics), comparing each point with every entry found so far. EMF documents with
an empty dimension set make such metrics on every invocation; this lists each (namespace, name,
dimensions) once, in one pass over the data points.
"""

from __future__ import annotations

from typing import Any

from lambdalab.service.moto_patching import replace


def install() -> None:
    """Replace moto's ``get_filtered_metrics`` (idempotent)."""
    from moto.cloudwatch.models import CloudWatchBackend

    replace(CloudWatchBackend, "get_filtered_metrics", _get_filtered_metrics)


def _get_filtered_metrics(
    backend: Any, metric_name: str | None, namespace: str | None, dimensions: list[dict[str, str]]
) -> list[Any]:
    from moto.cloudwatch.models import Dimension

    wanted = [Dimension(d["Name"], d.get("Value")) for d in dimensions or []]
    seen: set[tuple[Any, ...]] = set()
    found = []
    for datum in backend.get_all_metrics():
        if (namespace and datum.namespace != namespace) or (metric_name and datum.name != metric_name):
            continue
        if any(d not in datum.dimensions for d in wanted):
            continue
        identity = (datum.namespace, datum.name, frozenset((d.name, d.value) for d in datum.dimensions))
        if identity not in seen:
            seen.add(identity)
            found.append(datum)
    return found
