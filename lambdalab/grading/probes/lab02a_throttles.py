"""Lab 02a exercise 4: calls the learner's count_throttles for each function named in the event."""

import datetime as dt

import boto3
import lambdalab_answer

_answer = lambdalab_answer.load_module()

cloudwatch = boto3.client("cloudwatch")


def handler(event, context):
    start, end = (dt.datetime.fromisoformat(event[k]) for k in ("start", "end"))
    return [_answer.count_throttles(cloudwatch, name, start, end) for name in event["functions"]]
