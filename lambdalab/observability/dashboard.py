"""A function's operational dashboard, drawn with matplotlib from CloudWatch's ``GetMetricData``.

The same code draws a real account's dashboard: it only needs a boto3 CloudWatch client. Six panels answer
the questions of an incident in the order they are asked: is it failing (invocations, errors, throttles),
how badly (error rate), is it slow (p50/p99 Duration against the timeout), is it out of room
(ConcurrentExecutions against the limit), and, when named, is work piling up (a queue's oldest message, a
dead-letter queue's depth) or is the database full (DatabaseConnections against max_connections).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

LAMBDA = "AWS/Lambda"


@dataclass(frozen=True)
class Panel:
    title: str
    lines: dict[str, tuple[list[dt.datetime], list[float]]]
    limit: float | None = None
    unit: str = ""


def _stat(qid: str, namespace: str, name: str, dims: dict[str, str], stat: str, period: int, ret: bool = True):
    return {
        "Id": qid,
        "ReturnData": ret,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
            },
            "Period": period,
            "Stat": stat,
        },
    }


def fetch_panels(
    cloudwatch: Any,
    function_name: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    period: int = 60,
    timeout_s: float | None = None,
    concurrency_limit: int | None = None,
    queue: str | None = None,
    dead_letter_queue: str | None = None,
    db_instance: str | None = None,
    max_connections: int | None = None,
) -> list[Panel]:
    """The dashboard's data: one ``GetMetricData`` call per panel group, oldest period first."""
    fn = {"FunctionName": function_name}
    queries = [
        _stat("invocations", LAMBDA, "Invocations", fn, "Sum", period),
        _stat("errors", LAMBDA, "Errors", fn, "Sum", period),
        _stat("throttles", LAMBDA, "Throttles", fn, "Sum", period),
        {"Id": "rate", "Expression": "IF(invocations > 0, 100 * FILL(errors, 0) / invocations, 0)"},
        _stat("p50", LAMBDA, "Duration", fn, "p50", period),
        _stat("p99", LAMBDA, "Duration", fn, "p99", period),
        _stat("concurrency", LAMBDA, "ConcurrentExecutions", fn, "Maximum", period),
    ]
    if queue:
        queries.append(
            _stat("oldest", "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": queue}, "Maximum", period)
        )
    if dead_letter_queue:
        queries.append(
            _stat(
                "dlq",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": dead_letter_queue},
                "Maximum",
                period,
            )
        )
    if db_instance:
        queries.append(
            _stat(
                "connections",
                "AWS/RDS",
                "DatabaseConnections",
                {"DBInstanceIdentifier": db_instance},
                "Maximum",
                period,
            )
        )
    result = cloudwatch.get_metric_data(
        MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
    )
    series = {r["Id"]: (list(r["Timestamps"]), list(r["Values"])) for r in result["MetricDataResults"]}
    panels = [
        Panel(
            "Invocations, errors, throttles",
            {k: series[k] for k in ("invocations", "errors", "throttles")},
            unit="per period",
        ),
        Panel("Error rate", {"errors / invocations": series["rate"]}, unit="%"),
        Panel(
            "Duration",
            {"p50": series["p50"], "p99": series["p99"]},
            limit=None if timeout_s is None else timeout_s * 1000,
            unit="ms",
        ),
        Panel("Concurrent executions", {"maximum": series["concurrency"]}, limit=concurrency_limit),
    ]
    if queue or dead_letter_queue:
        lines = {}
        if queue:
            lines[f"{queue}: oldest message (s)"] = series["oldest"]
        if dead_letter_queue:
            lines[f"{dead_letter_queue}: messages"] = series["dlq"]
        panels.append(Panel("Queues", lines))
    if db_instance:
        panels.append(Panel("Database connections", {db_instance: series["connections"]}, limit=max_connections))
    return panels


def draw(panels: list[Panel], title: str = "") -> Any:
    """A matplotlib figure with one axes per panel, limits as dashed red lines; returns the figure."""
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    columns = 2
    rows = (len(panels) + 1) // columns
    fig = Figure(figsize=(11, 2.6 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax, panel in zip(axes.flat, panels, strict=False):
        for label, (times, values) in panel.lines.items():
            ax.plot(times, values, marker="o", markersize=3, label=label)
        if panel.limit is not None:
            ax.axhline(panel.limit, color="tab:red", linestyle="--", linewidth=1, label="limit")
        ax.set_title(panel.title, fontsize=10)
        ax.set_ylabel(panel.unit, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="upper left")
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def dashboard(cloudwatch: Any, function_name: str, start: dt.datetime, end: dt.datetime, **options: Any) -> Any:
    """Fetch with ``GetMetricData`` and draw: ``dashboard(box.client("cloudwatch"), "orders", start, end)``."""
    return draw(fetch_panels(cloudwatch, function_name, start, end, **options), title=function_name)
