"""How much of what Lambda publishes the sandbox keeps: the newest, up to a bound, never everything.

On AWS, CloudWatch keeps log events for the log group's retention and metrics for 15 months, on AWS's
disks. The sandbox keeps them in the kernel's memory (moto's backends, which also remember every model
object they ever made in ``instances_tracked``), so a workshop that invokes a function ten thousand times
would grow without end. After each write the oldest entries beyond a bound are dropped — from the stream
or region *and* from moto's instance tracking: a stream keeps its newest :data:`MAX_LOG_EVENTS_PER_STREAM`
events and the region its newest :data:`MAX_METRIC_DATA_POINTS` data points, far more than any lesson
reads back.
"""

from __future__ import annotations

from typing import Final

MAX_LOG_EVENTS_PER_STREAM: Final = 10_000
MAX_METRIC_DATA_POINTS: Final = 20_000
#: Trim once the excess reaches this fraction of the bound, so a steady stream of writes does not
#: rebuild moto's instance lists on every write.
_SLACK_FRACTION: Final = 100


def trim_log_stream(account_id: str, region: str, group: str, stream: str, keep: int | None = None) -> int:
    """Drop the oldest events of one log stream beyond ``keep``; returns how many were dropped."""
    from moto.logs.models import logs_backends

    log_group = logs_backends[account_id][region].groups.get(group)
    log_stream = log_group.streams.get(stream) if log_group is not None else None
    if log_stream is None:
        return 0
    return _trim(log_stream.events, MAX_LOG_EVENTS_PER_STREAM if keep is None else keep)


def trim_metrics(account_id: str, region: str, keep: int | None = None) -> int:
    """Drop the region's oldest metric data points beyond ``keep``; returns how many were dropped."""
    from moto.cloudwatch.models import cloudwatch_backends

    data = cloudwatch_backends[account_id][region].metric_data
    return _trim(data, MAX_METRIC_DATA_POINTS if keep is None else keep)


def _trim(items: list, keep: int) -> int:
    excess = len(items) - keep
    if excess <= 0 or (keep >= _SLACK_FRACTION and excess < keep // _SLACK_FRACTION):
        return 0
    dropped = items[:excess]
    del items[:excess]  # one slice deletion: atomic under the GIL against moto's appends
    _untrack(dropped)
    return excess


def _untrack(dropped: list) -> None:
    """Forget dropped objects in moto's per-class ``instances_tracked`` too, or they live on there."""
    by_class: dict[type, set[int]] = {}
    for item in dropped:
        by_class.setdefault(type(item), set()).add(id(item))
    for cls, ids in by_class.items():
        tracked = getattr(cls, "instances_tracked", None)
        if isinstance(tracked, list):
            tracked[:] = [obj for obj in tracked if id(obj) not in ids]
