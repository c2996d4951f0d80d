"""The alarms that matter for a Lambda function in production, each one ``put_metric_alarm`` call to read.

Each alarm answers one question an on-call engineer has, with AWS's own metric name, dimensions and statistic
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html,
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-concurrency.html,
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html,
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html, all checked December 2026):

============================  =====================================================  ===========================
alarm (name suffix)           metric, statistic                                      breaches when
============================  =====================================================  ===========================
``error-rate``                metric math on Errors and Invocations (Sum)            > ``error_rate_percent``
``throttles``                 Throttles, Sum                                         > 0
``p99-duration``              Duration, p99                                          >= 80 % of the timeout
``concurrency``               ConcurrentExecutions, Maximum                          >= 80 % of the limit
``async-dropped``             AsyncEventsDropped, Sum                                > 0
``pc-spillover``              ProvisionedConcurrencySpilloverInvocations, Sum        > 0 (alias's ``Resource``)
``dlq-depth``                 AWS/SQS ApproximateNumberOfMessagesVisible, Maximum    > 0 on the dead-letter queue
``oldest-message``            AWS/SQS ApproximateAgeOfOldestMessage, Maximum         >= ``max_message_age_s``
``db-connections``            AWS/RDS DatabaseConnections, Maximum                   >= 80 % of max_connections
============================  =====================================================  ===========================

Every alarm notifies ``topic_arn`` on ALARM and OK. Periods are one minute (Lambda's metrics have one-minute
granularity) and missing data is ``notBreaching``: no traffic is not an incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LAMBDA, SQS, RDS = "AWS/Lambda", "AWS/SQS", "AWS/RDS"
HEADROOM = 0.8  # alarm at 80 % of a hard limit: time to act before the limit refuses work


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: its name's suffix (the failure case it watches), and the ``put_metric_alarm`` arguments."""

    case: str
    arguments: dict[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return str(self.arguments["AlarmName"])


def production_alarms(
    function_name: str,
    *,
    timeout_s: float,
    concurrency_limit: int,
    error_rate_percent: float = 1.0,
    alias: str | None = None,
    dead_letter_queue: str | None = None,
    queue: str | None = None,
    max_message_age_s: int = 300,
    db_instance: str | None = None,
    max_connections: int | None = None,
    topic_arn: str | None = None,
    evaluation_periods: int = 1,
) -> list[AlarmSpec]:
    """The alarms for one function (and its queue, dead-letter queue and database, when named)."""
    fn = [{"Name": "FunctionName", "Value": function_name}]
    actions = {"AlarmActions": [topic_arn], "OKActions": [topic_arn]} if topic_arn else {}
    common = {
        "Period": 60,
        "EvaluationPeriods": evaluation_periods,
        "DatapointsToAlarm": evaluation_periods,
        "TreatMissingData": "notBreaching",
        **actions,
    }

    def metric(case: str, namespace: str, name: str, dims: list[dict[str, str]], stat: str, **rule: Any) -> AlarmSpec:
        statistic = {"ExtendedStatistic": stat} if stat.startswith("p") else {"Statistic": stat}
        owner = dims[0]["Value"]
        return AlarmSpec(
            case,
            {
                "AlarmName": f"{owner}-{case}",
                "Namespace": namespace,
                "MetricName": name,
                "Dimensions": dims,
                **statistic,
                **common,
                **rule,
            },
        )

    def stat(qid: str, name: str) -> dict[str, Any]:
        return {
            "Id": qid,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {"Namespace": LAMBDA, "MetricName": name, "Dimensions": fn},
                "Period": 60,
                "Stat": "Sum",
            },
        }

    alarms = [
        AlarmSpec(
            "error-rate",
            {
                "AlarmName": f"{function_name}-error-rate",
                "AlarmDescription": "Percentage of invocations that ended in a function error",
                "Metrics": [
                    stat("errors", "Errors"),
                    stat("invocations", "Invocations"),
                    {
                        "Id": "rate",
                        "Expression": "IF(invocations > 0, 100 * FILL(errors, 0) / invocations, 0)",
                        "Label": "Error rate (%)",
                        "ReturnData": True,
                    },
                ],
                "Threshold": error_rate_percent,
                "ComparisonOperator": "GreaterThanThreshold",
                **{k: v for k, v in common.items() if k != "Period"},
            },
        ),
        metric("throttles", LAMBDA, "Throttles", fn, "Sum", Threshold=0, ComparisonOperator="GreaterThanThreshold"),
        metric(
            "p99-duration",
            LAMBDA,
            "Duration",
            fn,
            "p99",
            Threshold=HEADROOM * timeout_s * 1000,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        ),
        metric(
            "concurrency",
            LAMBDA,
            "ConcurrentExecutions",
            fn,
            "Maximum",
            Threshold=HEADROOM * concurrency_limit,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        ),
        metric(
            "async-dropped",
            LAMBDA,
            "AsyncEventsDropped",
            fn,
            "Sum",
            Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
        ),
    ]
    if alias:
        resource = fn + [{"Name": "Resource", "Value": f"{function_name}:{alias}"}]
        alarms.append(
            metric(
                "pc-spillover",
                LAMBDA,
                "ProvisionedConcurrencySpilloverInvocations",
                resource,
                "Sum",
                Threshold=0,
                ComparisonOperator="GreaterThanThreshold",
            )
        )
    if dead_letter_queue:
        alarms.append(
            metric(
                "dlq-depth",
                SQS,
                "ApproximateNumberOfMessagesVisible",
                [{"Name": "QueueName", "Value": dead_letter_queue}],
                "Maximum",
                Threshold=0,
                ComparisonOperator="GreaterThanThreshold",
            )
        )
    if queue:
        alarms.append(
            metric(
                "oldest-message",
                SQS,
                "ApproximateAgeOfOldestMessage",
                [{"Name": "QueueName", "Value": queue}],
                "Maximum",
                Threshold=max_message_age_s,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
            )
        )
    if db_instance and max_connections:
        alarms.append(
            metric(
                "db-connections",
                RDS,
                "DatabaseConnections",
                [{"Name": "DBInstanceIdentifier", "Value": db_instance}],
                "Maximum",
                Threshold=HEADROOM * max_connections,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
            )
        )
    return alarms


def put_production_alarms(cloudwatch: Any, function_name: str, **settings: Any) -> list[AlarmSpec]:
    """Create (or update) every alarm of :func:`production_alarms` with ``cloudwatch.put_metric_alarm``."""
    alarms = production_alarms(function_name, **settings)
    for alarm in alarms:
        cloudwatch.put_metric_alarm(**alarm.arguments)
    return alarms
