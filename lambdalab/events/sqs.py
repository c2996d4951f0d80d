"""SQS events: the batch of records an event source mapping hands to a function.

Lambda's record is not the message SQS's ``ReceiveMessage`` returns: its keys are camelCase
(``messageId``, ``receiptHandle``, ``md5OfBody``), every value of ``attributes`` is a string, message
attributes become ``{"stringValue", "stringListValues", "binaryListValues", "dataType"}`` with binary
values base64-encoded, and the queue is named by ``eventSourceARN``. The structure follows AWS's published
sample ("Using Lambda with Amazon SQS", example standard queue message event:
https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html).

Two ways in: :func:`sqs_record` for a record made up from a body (tests, lessons, graders), and
:func:`record_from_message` for one the poller really received, so that ``ApproximateReceiveCount`` and the
timestamps are SQS's own.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from lambdalab.aws_facts import DEFAULT_ACCOUNT_ID, DEFAULT_REGION

#: The IAM user id a message sent with the sandbox's credentials carries (moto's default sender).
DEFAULT_SENDER_ID = "AIDAIT2UOQQY3AUEKVGXU"

# System attributes Lambda copies into ``attributes`` when SQS returns them.
_SYSTEM_ATTRIBUTES = ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
                      "SequenceNumber", "MessageGroupId", "MessageDeduplicationId", "AWSTraceHeader",
                      "DeadLetterQueueSourceArn")


def queue_arn(queue_name: str, *, region: str = DEFAULT_REGION, account_id: str = DEFAULT_ACCOUNT_ID) -> str:
    return f"arn:aws:sqs:{region}:{account_id}:{queue_name}"


def md5_of(text: str) -> str:
    """SQS's ``MD5OfBody``: the hex MD5 of the body's UTF-8 bytes."""
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def lambda_message_attributes(attributes: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """SQS API message attributes (``StringValue``/``BinaryValue``/``DataType``) in Lambda's event spelling."""
    converted: dict[str, dict[str, Any]] = {}
    for name, value in (attributes or {}).items():
        entry: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType",
                                                                                                  "String")}
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            entry["binaryValue"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else str(raw)
        converted[name] = entry
    return converted


def sqs_record(body: str, *, message_id: str | None = None, receipt_handle: str | None = None,
               receive_count: int = 1, sent_timestamp_ms: int | None = None,
               first_receive_timestamp_ms: int | None = None, sender_id: str = DEFAULT_SENDER_ID,
               message_attributes: Mapping[str, Mapping[str, Any]] | None = None,
               message_group_id: str | None = None, message_deduplication_id: str | None = None,
               sequence_number: str | None = None, queue_name: str = "my-queue", region: str = DEFAULT_REGION,
               account_id: str = DEFAULT_ACCOUNT_ID) -> dict[str, Any]:
    """One SQS record as Lambda delivers it. ``message_attributes`` use the SQS API's spelling
    (``{"name": {"DataType": "String", "StringValue": "v"}}``) and are converted; a FIFO queue's
    records carry ``MessageGroupId``, ``MessageDeduplicationId`` and ``SequenceNumber``."""
    now_ms = int(time.time() * 1000)
    sent = sent_timestamp_ms if sent_timestamp_ms is not None else now_ms
    attributes = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": str(sent),
        "SenderId": sender_id,
        "ApproximateFirstReceiveTimestamp": str(first_receive_timestamp_ms if first_receive_timestamp_ms
                                                is not None else sent),
    }
    for key, value in (("SequenceNumber", sequence_number), ("MessageGroupId", message_group_id),
                       ("MessageDeduplicationId", message_deduplication_id)):
        if value is not None:
            attributes[key] = value
    record: dict[str, Any] = {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": receipt_handle or base64.b64encode(uuid.uuid4().bytes * 4).decode(),
        "body": body,
        "attributes": attributes,
        "messageAttributes": lambda_message_attributes(message_attributes),
        "md5OfBody": md5_of(body),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn(queue_name, region=region, account_id=account_id),
        "awsRegion": region,
    }
    return record


def record_from_message(message: Mapping[str, Any], *, event_source_arn: str) -> dict[str, Any]:
    """The record for one message as boto3's ``receive_message`` returned it (ask for
    ``MessageSystemAttributeNames=["All"]`` and ``MessageAttributeNames=["All"]``)."""
    region = event_source_arn.split(":")[3]
    returned = message.get("Attributes") or {}
    attributes = {key: str(returned[key]) for key in _SYSTEM_ATTRIBUTES if key in returned}
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": lambda_message_attributes(message.get("MessageAttributes")),
        "md5OfBody": message.get("MD5OfBody") or md5_of(message["Body"]),
        "eventSource": "aws:sqs",
        "eventSourceARN": event_source_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def sqs_event(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The event a function receives: ``{"Records": [...]}``, up to the mapping's batch size."""
    return {"Records": [dict(record) for record in records]}


def sqs_event_from_bodies(bodies: Iterable[str], **record_options: Any) -> dict[str, Any]:
    """A batch with one fresh record per body (same queue and options for every record)."""
    return sqs_event(sqs_record(body, **record_options) for body in bodies)
