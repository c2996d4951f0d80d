"""What CloudWatch writes when an alarm changes state: the SNS message, a Lambda action's event, the history item.

Metric alarms and composite alarms share these shapes and differ only in their details (a metric alarm's
``Trigger`` and metrics, a composite alarm's rule), so the details are handed in and the envelope is written
once (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html, checked
December 2026).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

#: The region's name as CloudWatch writes it in a notification's ``Region`` and subject.
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "Europe (Ireland)",
    "eu-central-1": "Europe (Frankfurt)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
}


def aware(when: dt.datetime) -> dt.datetime:
    """moto keeps naive UTC datetimes; the sandbox's are aware."""
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def iso(when: dt.datetime) -> str:
    """CloudWatch's timestamp format in alarm messages: milliseconds and ``+0000``."""
    return aware(when).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def sns_message(
    alarm: Any, old: str, new: str, reason: str, at: dt.datetime, account_id: str, region: str, details: dict[str, Any]
) -> dict[str, Any]:
    """The JSON published to an SNS topic when an alarm changes state; ``region`` as in :data:`REGION_NAMES`."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": iso(alarm.configuration_updated_timestamp),
        "NewStateValue": new,
        "NewStateReason": reason,
        "StateChangeTime": iso(at),
        "Region": region,
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old,
        "OKActions": alarm.ok_actions,
        "AlarmActions": alarm.alarm_actions,
        "InsufficientDataActions": alarm.insufficient_data_actions,
        **details,
    }


def lambda_action_event(
    alarm: Any,
    *,
    state: dict[str, Any],
    previous_state: dict[str, Any],
    configuration: dict[str, Any],
    at: dt.datetime,
    account_id: str,
    region: str,
) -> dict[str, Any]:
    """The event a Lambda alarm action receives (``state`` without its timestamp, which is ``at``)."""
    return {
        "source": "aws.cloudwatch",
        "alarmArn": alarm.alarm_arn,
        "accountId": account_id,
        "time": iso(at),
        "region": region,
        "alarmData": {
            "alarmName": alarm.name,
            "state": {**state, "timestamp": iso(at)},
            "previousState": previous_state,
            "configuration": configuration,
        },
    }


def record_state_update(
    alarm: Any, alarm_type: str, old: str, new: str, reason: str, reason_data: dict[str, Any], at: dt.datetime
) -> None:
    """One ``StateUpdate`` item of the alarm's history, in DescribeAlarmHistory's shape (moto keeps none)."""
    data = {
        "version": "1.0",
        "oldState": {"stateValue": old, "stateReason": alarm.history[-1][1] if alarm.history else ""},
        "newState": {"stateValue": new, "stateReason": reason, "stateReasonData": reason_data},
    }
    alarm.__dict__.setdefault("lambdalab_history", []).append(
        {
            "AlarmName": alarm.name,
            "AlarmType": alarm_type,
            "Timestamp": at,
            "HistoryItemType": "StateUpdate",
            "HistorySummary": f"Alarm updated from {old} to {new}",
            "HistoryData": json.dumps(data),
        }
    )
