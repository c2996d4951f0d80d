"""SQS's request metrics in AWS/SQS, as a user reads them: requests through boto3, then
``get_metric_statistics`` with the dimension ``QueueName`` and the statistic Sum."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

import lambdalab
from lambdalab.triggers import sqs as mappings
from tests.triggers.sqs_helpers import make_queue

COUNTS = ("NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted", "NumberOfEmptyReceives")


@pytest.fixture(scope="module")
def clients(box):
    return box.client("sqs"), box.client("cloudwatch"), box.client("lambda")


def queue_sum(cloudwatch, queue_name, metric, statistic="Sum"):
    """The metric's statistic for the queue over the last hour and the next (None when it has no data)."""
    lambdalab.flush_logs()
    now = dt.datetime.now(dt.UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/SQS",
        MetricName=metric,
        Dimensions=[{"Name": "QueueName", "Value": queue_name}],
        StartTime=now - dt.timedelta(hours=1),
        EndTime=now + dt.timedelta(hours=1),
        Period=7200,
        Statistics=[statistic],
    )["Datapoints"]
    return sum(p[statistic] for p in points) if points else None


def test_when_messages_are_sent_received_and_deleted_then_each_is_counted_once(clients):
    sqs, cloudwatch, _ = clients
    name = f"counted-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(4)])
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    while len(received) < 5:
        received += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])
    sqs.delete_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received[1:3])]
    )

    assert queue_sum(cloudwatch, name, "NumberOfMessagesSent") == 5
    assert queue_sum(cloudwatch, name, "NumberOfMessagesReceived") == 5
    assert queue_sum(cloudwatch, name, "NumberOfMessagesDeleted") == 3
    assert queue_sum(cloudwatch, name, "NumberOfEmptyReceives") is None


def test_when_a_receive_returns_nothing_then_it_is_one_empty_receive_however_long_it_waited(clients):
    sqs, cloudwatch, _ = clients
    name = f"empty-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)

    assert queue_sum(cloudwatch, name, "NumberOfEmptyReceives") == 2
    assert queue_sum(cloudwatch, name, "NumberOfMessagesReceived") is None


def test_when_a_message_is_received_twice_then_both_receives_and_both_deletes_count(clients):
    sqs, cloudwatch, _ = clients
    name = f"twice-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="again")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
    second = sqs.receive_message(QueueUrl=url)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"])  # AWS counts a duplicate deletion

    assert queue_sum(cloudwatch, name, "NumberOfMessagesSent") == 1
    assert queue_sum(cloudwatch, name, "NumberOfMessagesReceived") == 2
    assert queue_sum(cloudwatch, name, "NumberOfMessagesDeleted") == 2


def test_when_a_delete_names_an_invalid_receipt_handle_then_nothing_is_counted(clients):
    sqs, cloudwatch, _ = clients
    name = f"invalid-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="kept")
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-receipt-handle")

    assert queue_sum(cloudwatch, name, "NumberOfMessagesDeleted") is None


def test_when_sqs_moves_a_message_to_the_dead_letter_queue_then_it_is_not_counted_as_sent_there(clients):
    sqs, cloudwatch, _ = clients
    queues = make_queue(sqs, max_receive_count=1)
    source, dead = queues["url"].rsplit("/", 1)[-1], queues["dlq_url"].rsplit("/", 1)[-1]
    sqs.set_queue_attributes(QueueUrl=queues["url"], Attributes={"VisibilityTimeout": "0"})
    sqs.send_message(QueueUrl=queues["url"], MessageBody="poison")
    sqs.receive_message(QueueUrl=queues["url"])  # its one allowed receive
    sqs.receive_message(QueueUrl=queues["url"])  # SQS moves it to the dead-letter queue instead

    assert queue_sum(cloudwatch, source, "NumberOfMessagesSent") == 1
    moved = sqs.get_queue_attributes(QueueUrl=queues["dlq_url"], AttributeNames=["ApproximateNumberOfMessages"])
    assert moved["Attributes"]["ApproximateNumberOfMessages"] == "1"
    assert queue_sum(cloudwatch, dead, "NumberOfMessagesSent") is None


def test_sent_message_size_counts_the_body_and_the_attributes_in_bytes(clients):
    sqs, cloudwatch, _ = clients
    name = f"sized-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 100)
    sqs.send_message(
        QueueUrl=url,
        MessageBody="é" * 50,  # 100 bytes in UTF-8
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}},  # 4 + 6 + 5 bytes
    )

    assert queue_sum(cloudwatch, name, "SentMessageSize", "Sum") == 215
    assert queue_sum(cloudwatch, name, "SentMessageSize", "SampleCount") == 2
    assert queue_sum(cloudwatch, name, "SentMessageSize", "Maximum") == 115


def test_when_a_lambda_mapping_consumes_a_queue_then_its_pollers_receives_and_deletes_are_counted(box, clients):
    sqs, cloudwatch, lam = clients
    queues = make_queue(sqs)
    name = queues["url"].rsplit("/", 1)[-1]
    function = f"consumer-{uuid.uuid4().hex[:8]}"
    lambdalab.deploy(function, code="def handler(event, context):\n    return None\n")
    mapping = lam.create_event_source_mapping(EventSourceArn=queues["arn"], FunctionName=function, BatchSize=1)
    sqs.send_message_batch(
        QueueUrl=queues["url"], Entries=[{"Id": str(i), "MessageBody": json.dumps({"n": i})} for i in range(6)]
    )
    assert mappings.wait_until_empty(queues["url"], timeout=30)
    lam.delete_event_source_mapping(UUID=mapping["UUID"])

    assert queue_sum(cloudwatch, name, "NumberOfMessagesSent") == 6
    assert queue_sum(cloudwatch, name, "NumberOfMessagesReceived") == 6
    assert queue_sum(cloudwatch, name, "NumberOfMessagesDeleted") == 6
