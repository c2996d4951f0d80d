"""CloudWatch Logs and CloudWatch for Lambda's own shippers, answered by moto's backends in this process.

Every invocation leaves log lines and data points behind. Shipped over HTTP, each batch cost a botocore
request (serialise, sign, send), a pass through the sandbox's gateway and moto's request parsing, and the
parse of the answer: measured with py-spy on a loop of warm invokes, that shipping and its HTTP server took
about three quarters of the sandbox process's busy time (``benchmarks/bench_runtime.py`` has the invoke
itself). The shippers run in the sandbox's process, beside moto, so they call the backend methods moto's
request handlers call, with what those handlers would pass, as :mod:`lambdalab.triggers.sqs.in_process`
does for the SQS pollers. What lands in CloudWatch is the same: the EMF extraction
(:mod:`lambdalab.observability.emf_ingest`) and the retention bounds hook the backends, not the requests.
Learners and tests still read it all through boto3.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any


class InProcessLogs:
    """A stand-in for a boto3 CloudWatch Logs client with the three calls the log shipper makes."""

    def __init__(self, account_id: str, region: str) -> None:
        from moto.logs.exceptions import ResourceAlreadyExistsException

        self.account_id = account_id
        self.region = region
        self.exceptions = SimpleNamespace(ResourceAlreadyExistsException=ResourceAlreadyExistsException)

    @property
    def backend(self) -> Any:
        from moto.logs.models import logs_backends

        return logs_backends[self.account_id][self.region]

    def create_log_group(self, *, logGroupName: str) -> None:  # noqa: N803 - boto3's parameter names
        self.backend.create_log_group(logGroupName, {})

    def create_log_stream(self, *, logGroupName: str, logStreamName: str) -> None:  # noqa: N803
        self.backend.create_log_stream(logGroupName, logStreamName)

    def put_log_events(self, *, logGroupName: str, logStreamName: str, logEvents: list[dict[str, Any]]) -> None:  # noqa: N803
        self.backend.put_log_events(logGroupName, logStreamName, logEvents)


class InProcessCloudWatch:
    """A stand-in for a boto3 CloudWatch client with the one call the metric shippers make."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region

    @property
    def backend(self) -> Any:
        from moto.cloudwatch.models import cloudwatch_backends

        return cloudwatch_backends[self.account_id][self.region]

    def put_metric_data(self, *, Namespace: str, MetricData: list[dict[str, Any]]) -> None:  # noqa: N803
        """PutMetricData; timestamps as moto's request parser hands them on (naive, in UTC)."""
        self.backend.put_metric_data(Namespace, [_as_parsed(datum) for datum in MetricData])


def _as_parsed(datum: dict[str, Any]) -> dict[str, Any]:
    timestamp = datum.get("Timestamp")
    if isinstance(timestamp, dt.datetime) and timestamp.tzinfo is not None:
        return {**datum, "Timestamp": timestamp.astimezone(dt.UTC).replace(tzinfo=None)}
    return datum
