"""A target, not a probe: holds its environment — a slot of concurrency — for ``event["seconds"]``, or, given
``event["gate"]`` ({"bucket", "key"}), until the grader creates that S3 object (so a check decides when the
slot frees instead of guessing how long a burst takes to arrive)."""

import time

import boto3


def handler(event, context):
    gate = event.get("gate")
    if gate:
        s3 = boto3.client("s3")
        while True:
            try:
                s3.head_object(Bucket=gate["bucket"], Key=gate["key"])
                break
            except s3.exceptions.ClientError:
                time.sleep(0.02)
    time.sleep(event.get("seconds", 0))
    return "done"
