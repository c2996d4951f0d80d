"""The four SQS calls a poller makes, answered by moto's SQS backend in this process instead of over HTTP.

A mapping's poller receives, reads one queue attribute and deletes; over HTTP each call costs a botocore
request (serialise, sign, send), a pass through the gateway and moto's response layer, then the parse back:
about 3 ms of CPU per call, under the GIL the pollers share with everything else. That capped a mapping
near 600 messages a second. Here the same backend methods run directly (``receive_message`` with the
queue's own visibility timeout, ``delete_message_batch``, ``get_queue_attributes``), so visibility,
``ApproximateReceiveCount``, the redrive to a dead-letter queue and the queue's locks are exactly those of
the HTTP path; only the request parsing and the response rendering are skipped. The answers have boto3's
shape (the shape moto's ``SQSResponse.receive_message`` builds), so the poller cannot tell the difference.

Only the poller uses this: learners, tests and ``wait_until_empty`` still go through boto3 and HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lambdalab.triggers.sqs.moto_patch import long_poll_ends_when, visibility_read_at_receipt

#: The system attributes ``MessageSystemAttributeNames=["All"]`` returns (moto's SQSResponse, same order).
_SYSTEM_ATTRIBUTES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "SequenceNumber",
)


class InProcessSqs:
    """A stand-in for a boto3 SQS client with the calls a poller makes, for one account and Region."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region

    @property
    def backend(self) -> Any:
        from moto.sqs.models import sqs_backends

        return sqs_backends[self.account_id][self.region]

    def get_queue_url(self, *, QueueName: str) -> dict[str, str]:  # noqa: N803 - boto3's parameter names
        """The queue's name stands for its URL (SQS accepts either); raises if the queue does not exist."""
        return {"QueueUrl": self.backend.get_queue_url(QueueName).name}

    def get_queue_attributes(self, *, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:  # noqa: N803
        attributes = self.backend.get_queue_attributes(_queue_name(QueueUrl), AttributeNames)
        return {"Attributes": {key: str(value) for key, value in attributes.items() if value is not None}}

    def receive_message(
        self,
        *,
        QueueUrl: str,  # noqa: N803
        MaxNumberOfMessages: int,  # noqa: N803
        WaitTimeSeconds: int,  # noqa: N803
        MessageSystemAttributeNames: list[str],  # noqa: N803
        MessageAttributeNames: list[str],  # noqa: N803
        give_up: Callable[[], bool] = lambda: False,
    ) -> dict[str, Any]:
        """ReceiveMessage with the queue's visibility timeout, answered as boto3 would parse moto's reply.
        A long poll still waiting ends early, empty, once ``give_up()`` is true (not a parameter of SQS's:
        the poller's own way to stop or scale down without sitting out its wait)."""
        name = _queue_name(QueueUrl)
        backend = self.backend
        queue = backend.get_queue(name)
        # a SetQueueAttributes during the long poll reaches these messages
        with visibility_read_at_receipt(), long_poll_ends_when(give_up):
            messages = backend.receive_message(
                name, MaxNumberOfMessages, WaitTimeSeconds, queue.visibility_timeout, MessageAttributeNames
            )
        wanted = set(MessageSystemAttributeNames)
        include = [a for a in _SYSTEM_ATTRIBUTES if "All" in wanted or a in wanted]
        return {"Messages": [_as_boto3(message, include) for message in messages]} if messages else {}

    def delete_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:  # noqa: N803
        successful, failed = self.backend.delete_message_batch(_queue_name(QueueUrl), Entries)
        return {"Successful": [{"Id": entry_id} for entry_id in successful], "Failed": failed}


def _queue_name(queue_url: str) -> str:
    return queue_url.rsplit("/", 1)[-1]


def _as_boto3(message: Any, include: list[str]) -> dict[str, Any]:
    """One received message as boto3 returns it (moto's ``SQSResponse.receive_message``, field by field)."""
    shaped: dict[str, Any] = {
        "MessageId": message.id,
        "ReceiptHandle": message.receipt_handle,
        "MD5OfBody": message.body_md5,
        "Body": message.body,
    }
    if message.message_attributes:
        shaped["MessageAttributes"] = message.message_attributes
        shaped["MD5OfMessageAttributes"] = message.attribute_md5
    if include:
        values = {
            "SenderId": message.sender_id,
            "SentTimestamp": str(message.sent_timestamp),
            "ApproximateReceiveCount": str(message.approximate_receive_count),
            "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
            "MessageDeduplicationId": message.deduplication_id,
            "MessageGroupId": message.group_id,
            "AWSTraceHeader": (message.system_attributes.get("AWSTraceHeader") or {}).get("StringValue"),
            "SequenceNumber": message.sequence_number,
        }
        shaped["Attributes"] = {name: values[name] for name in include if values[name] is not None}
    return shaped
