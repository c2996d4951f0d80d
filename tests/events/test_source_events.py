"""SQS, S3 and EventBridge events are built as AWS builds them: Powertools parses them, their keys are AWS's.

The key sets below are those of AWS's published sample events:

- SQS: "Using Lambda with Amazon SQS", example standard queue message event
  (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html);
- S3: "Event message structure", version 2.1
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html);
- EventBridge: "Event structure reference" and the scheduled event of "Using AWS Lambda with Amazon
  EventBridge" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html,
  https://docs.aws.amazon.com/lambda/latest/dg/services-cloudwatchevents.html).
"""

from __future__ import annotations

import base64
import datetime as dt
import urllib.parse

import pytest
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, S3Event, SQSEvent

from lambdalab.events.eventbridge import event_time, eventbridge_event, rule_arn, scheduled_event
from lambdalab.events.s3 import decode_key, encode_key, s3_event, s3_record
from lambdalab.events.sqs import md5_of, record_from_message, sqs_event, sqs_event_from_bodies, sqs_record

SQS_SAMPLE_KEYS = {"messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody",
                   "eventSource", "eventSourceARN", "awsRegion"}
SQS_SAMPLE_ATTRIBUTES = {"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"}
S3_SAMPLE_KEYS = {"eventVersion", "eventSource", "awsRegion", "eventTime", "eventName", "userIdentity",
                  "requestParameters", "responseElements", "s3"}
S3_SAMPLE_S3_KEYS = {"s3SchemaVersion", "configurationId", "bucket", "object"}
S3_SAMPLE_OBJECT_KEYS = {"key", "size", "eTag", "sequencer"}  # versionId only for a versioned bucket
EVENTBRIDGE_SAMPLE_KEYS = {"version", "id", "detail-type", "source", "account", "time", "region", "resources",
                           "detail"}


def test_an_sqs_record_has_the_sample_keys_and_powertools_reads_every_field():
    event = sqs_event([sqs_record('{"order": 1}', message_id="m-1", receive_count=3, queue_name="orders",
                                  message_attributes={"kind": {"DataType": "String", "StringValue": "gift"}})])
    [record] = event["Records"]
    assert set(record) == SQS_SAMPLE_KEYS
    assert set(record["attributes"]) == SQS_SAMPLE_ATTRIBUTES
    assert all(isinstance(v, str) for v in record["attributes"].values())
    parsed = next(iter(SQSEvent(event).records))
    assert parsed.message_id == "m-1"
    assert parsed.json_body == {"order": 1}
    assert parsed.attributes.approximate_receive_count == "3"
    assert parsed.event_source_arn == "arn:aws:sqs:us-east-1:123456789012:orders"
    assert parsed.message_attributes["kind"].string_value == "gift"
    assert parsed.md5_of_body == md5_of('{"order": 1}')


def test_an_sqs_record_from_a_received_message_keeps_sqs_counts_and_converts_attributes():
    message = {"MessageId": "abc", "ReceiptHandle": "rh", "Body": "hi", "MD5OfBody": md5_of("hi"),
               "Attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1700000000000",
                              "SenderId": "AIDA", "ApproximateFirstReceiveTimestamp": "1700000000100"},
               "MD5OfMessageAttributes": "0" * 32,
               "MessageAttributes": {"blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}}
    record = record_from_message(message, event_source_arn="arn:aws:sqs:eu-west-1:123456789012:q")
    assert record["attributes"]["ApproximateReceiveCount"] == "2"
    assert record["awsRegion"] == "eu-west-1"
    assert record["messageAttributes"]["blob"] == {"stringListValues": [], "binaryListValues": [],
                                                   "dataType": "Binary",
                                                   "binaryValue": base64.b64encode(b"\x00\x01").decode()}
    assert set(record) == SQS_SAMPLE_KEYS | {"md5OfMessageAttributes"}


def test_a_fifo_record_carries_the_group_and_deduplication_ids():
    record = sqs_record("x", message_group_id="g", message_deduplication_id="d", sequence_number="1",
                        queue_name="q.fifo")
    parsed = next(iter(SQSEvent({"Records": [record]}).records))
    assert parsed.attributes.message_group_id == "g"
    assert parsed.attributes.message_deduplication_id == "d"


def test_a_batch_from_bodies_has_one_distinct_record_per_body():
    event = sqs_event_from_bodies(["a", "b", "c"])
    assert [r["body"] for r in event["Records"]] == ["a", "b", "c"]
    assert len({r["messageId"] for r in event["Records"]}) == 3


@pytest.mark.parametrize(("key", "encoded"), [
    ("red flower.jpg", "red+flower.jpg"),  # AWS's own example
    ("photos/2025/day 1.png", "photos/2025/day+1.png"),  # slashes are kept
    ("año/naïve café.txt", "a%C3%B1o/na%C3%AFve+caf%C3%A9.txt"),  # UTF-8, percent-encoded
    ("c++ notes.md", "c%2B%2B+notes.md"),  # a real plus must not decode to a space
    ("dt=2025-01-01/part:1.csv", "dt%3D2025-01-01/part%3A1.csv"),
])
def test_s3_keys_are_url_encoded_as_s3_sends_them_and_decode_back(key, encoded):
    assert encode_key(key) == encoded
    assert decode_key(encoded) == key == urllib.parse.unquote_plus(encoded)


def test_an_s3_created_record_has_the_sample_keys_and_powertools_decodes_the_key():
    event = s3_event(s3_record("my-bucket", "uploads/my photo ü.jpg", size=1024, etag='"abc"'))
    [record] = event["Records"]
    assert set(record) == S3_SAMPLE_KEYS
    assert set(record["s3"]) == S3_SAMPLE_S3_KEYS
    assert set(record["s3"]["object"]) == S3_SAMPLE_OBJECT_KEYS
    assert set(record["s3"]["bucket"]) == {"name", "ownerIdentity", "arn"}
    parsed = S3Event(event)
    assert parsed.object_key == "uploads/my photo ü.jpg"
    assert parsed.bucket_name == "my-bucket"
    first = next(iter(parsed.records))
    assert first.event_name == "ObjectCreated:Put"
    assert first.s3.get_object.size == 1024
    assert first.s3.get_object.etag == "abc"
    assert first.event_time.endswith("Z") and len(first.event_time) == len("2025-01-31T12:00:00.123Z")


def test_an_s3_removal_record_has_no_size_or_etag_and_a_versioned_one_has_a_version():
    removed = s3_record("b-1", "k", event_name="s3:ObjectRemoved:Delete", version_id="v1")
    assert removed["eventName"] == "ObjectRemoved:Delete"
    assert set(removed["s3"]["object"]) == {"key", "versionId", "sequencer"}
    assert S3Event(s3_event(removed)).object_key == "k"


def test_s3_sequencers_order_events_for_the_same_key():
    first, second = (s3_record("b-1", "k")["s3"]["object"]["sequencer"] for _ in range(2))
    assert len(first) == len(second) and second > first


def test_a_scheduled_event_is_the_sample_shape_with_the_rule_and_the_due_instant():
    due = dt.datetime(2025, 3, 4, 2, 0, tzinfo=dt.UTC)
    event = scheduled_event("nightly", due)
    assert set(event) == EVENTBRIDGE_SAMPLE_KEYS
    parsed = EventBridgeEvent(event)
    assert parsed.source == "aws.events"
    assert parsed.detail_type == "Scheduled Event"
    assert parsed.resources == ["arn:aws:events:us-east-1:123456789012:rule/nightly"]
    assert parsed.time == "2025-03-04T02:00:00Z"
    assert parsed.detail == {}
    assert parsed.account == "123456789012" and parsed.version == "0"


def test_a_custom_event_keeps_source_detail_type_and_detail():
    event = eventbridge_event("shop.orders", "OrderPlaced", {"orderId": 7}, resources=["arn:x"], when=0)
    parsed = EventBridgeEvent(event)
    assert (parsed.source, parsed.detail_type, parsed.detail) == ("shop.orders", "OrderPlaced", {"orderId": 7})
    assert parsed.time == "1970-01-01T00:00:00Z"
    assert set(event) == EVENTBRIDGE_SAMPLE_KEYS


def test_rule_arns_name_the_bus_only_when_it_is_not_the_default_one():
    assert rule_arn("r") == "arn:aws:events:us-east-1:123456789012:rule/r"
    assert rule_arn("r", event_bus="orders") == "arn:aws:events:us-east-1:123456789012:rule/orders/r"
    assert event_time(dt.datetime(2025, 1, 1, 12, 30, 15, 999)) == "2025-01-01T12:30:15Z"
