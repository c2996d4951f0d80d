"""SQS's CloudWatch metrics (namespace ``AWS/SQS``): how deep each queue is and how old its oldest message.

SQS pushes its queue metrics to CloudWatch at one-minute intervals, with the dimension ``QueueName``
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html,
checked December 2026). The two a production system alarms on are a dead-letter queue's
``ApproximateNumberOfMessagesVisible`` (anything there is a message that failed every attempt) and a work
queue's ``ApproximateAgeOfOldestMessage`` (seconds; consumers falling behind). moto publishes none of them:
the alarm evaluator calls :func:`publish` at each minute of the sandbox clock, which samples every queue of
moto's SQS and writes these gauges, stamped just before the minute boundary so the minute that just ended
holds them. The age is only published for a queue that holds a message, as SQS does.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

NAMESPACE = "AWS/SQS"
GAUGES = (
    "ApproximateNumberOfMessagesVisible",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateAgeOfOldestMessage",
)


def queue_gauges(queue: Any, now_s: float) -> dict[str, float]:
    """The gauges of one moto queue now: message counts, and the oldest message's age in seconds."""
    messages = list(getattr(queue, "_messages", []))
    gauges = {
        "ApproximateNumberOfMessagesVisible": float(sum(1 for m in messages if m.visible and not m.delayed)),
        "ApproximateNumberOfMessagesNotVisible": float(sum(1 for m in messages if not m.visible)),
        "ApproximateNumberOfMessagesDelayed": float(sum(1 for m in messages if m.delayed)),
    }
    sent = [m.sent_timestamp for m in messages if m.sent_timestamp]
    if sent:
        gauges["ApproximateAgeOfOldestMessage"] = max(0.0, round(now_s - min(sent) / 1000))
    return gauges


def publish(client_factory: Callable[[str], Any], account_id: str, region: str, at: dt.datetime) -> int:
    """Write every queue's gauges to CloudWatch, stamped one second before ``at``; how many queues."""
    from moto.sqs.models import sqs_backends

    queues = list(sqs_backends[account_id][region].queues.values())
    if not queues:
        return 0
    stamp = at - dt.timedelta(seconds=1)
    now_s = time.time()
    data = [
        {
            "MetricName": name,
            "Dimensions": [{"Name": "QueueName", "Value": queue.name}],
            "Timestamp": stamp,
            "Value": value,
            "Unit": "Seconds" if name == "ApproximateAgeOfOldestMessage" else "Count",
        }
        for queue in queues
        for name, value in queue_gauges(queue, now_s).items()
    ]
    cloudwatch = client_factory("cloudwatch")
    for start in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data[start : start + 1000])
    return len(queues)
