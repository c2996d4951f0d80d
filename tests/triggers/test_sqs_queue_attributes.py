"""A queue's visibility timeout, changed with SetQueueAttributes, reaches the messages received afterwards."""

from __future__ import annotations

import threading
import time

import lambdalab


def test_when_the_visibility_timeout_changes_during_a_long_poll_then_the_message_takes_the_new_one():
    box = lambdalab.sandbox()
    sqs = box.client("sqs")
    url = sqs.create_queue(QueueName="visibility-changed-mid-poll", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    received: list[dict] = []
    poll = threading.Thread(
        target=lambda: received.extend(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", []))
    )
    poll.start()
    time.sleep(0.3)  # the long poll is waiting, with the queue's old value in hand
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "30"})
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    poll.join()
    assert len(received) == 1
    time.sleep(1.5)  # past the old 1 s: with it, the message would be visible again
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []
    sqs.delete_queue(QueueUrl=url)


def test_when_a_receive_names_its_own_visibility_timeout_then_it_wins_over_the_queue():
    box = lambdalab.sandbox()
    sqs = box.client("sqs")
    url = sqs.create_queue(QueueName="visibility-named", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert len(sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"]) == 1
    time.sleep(1.3)
    assert len(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)["Messages"]) == 1
    sqs.delete_queue(QueueUrl=url)


def test_when_the_visibility_timeout_changes_during_a_mapping_pollers_long_poll_then_its_message_takes_the_new_one():
    from lambdalab.triggers.sqs.in_process import InProcessSqs

    box = lambdalab.sandbox()
    sqs = box.client("sqs")
    url = sqs.create_queue(QueueName="visibility-changed-poller", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    poller = InProcessSqs(box.lambda_service.account_id, box.lambda_service.region)  # what a mapping polls with
    received: list[dict] = []

    def poll() -> None:
        answer = poller.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=5,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        received.extend(answer.get("Messages", []))

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.3)  # the long poll is waiting, with the queue's old value in hand
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "30"})
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    thread.join()
    assert len(received) == 1
    time.sleep(1.5)  # past the old 1 s: with it, the message would be visible again
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []
    sqs.delete_queue(QueueUrl=url)


def test_the_approximate_counts_stay_exact_while_another_thread_sends():
    """Sending skips the counts that moto would compute for nothing (they made a full queue quadratic to
    fill); GetQueueAttributes, read at the same time from another thread, still counts every message."""
    box = lambdalab.sandbox()
    sqs = box.client("sqs")
    url = sqs.create_queue(QueueName="counted-while-sending")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "now"} for i in range(7)])
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "later", "DelaySeconds": 60}
                                                  for i in range(3)])
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=60)
    sender = box.client("sqs")
    stop = threading.Event()

    def keep_sending() -> None:
        other = sender.create_queue(QueueName="counted-while-sending-other")["QueueUrl"]
        while not stop.is_set():
            sender.send_message_batch(QueueUrl=other, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(10)])

    thread = threading.Thread(target=keep_sending)
    thread.start()
    try:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateNumberOfMessagesDelayed"]
        for _ in range(20):
            counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
            assert counts == {"ApproximateNumberOfMessages": "5", "ApproximateNumberOfMessagesNotVisible": "2",
                              "ApproximateNumberOfMessagesDelayed": "3"}
    finally:
        stop.set()
        thread.join()


def test_a_fifo_queue_with_content_based_deduplication_still_drops_a_repeated_body():
    box = lambdalab.sandbox()
    sqs = box.client("sqs")
    url = sqs.create_queue(QueueName="dedup-by-content.fifo",
                           Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g")
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert bodies == ["same", "other"]


def test_a_receive_that_asks_for_some_message_attributes_leaves_the_others_on_the_message():
    """ReceiveMessage filters a copy of each message (moto_patch copies it shallowly, for speed)."""
    sqs = lambdalab.sandbox().client("sqs")
    url = sqs.create_queue(QueueName="attributes-filtered-on-a-copy")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="order", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "book"},
        "priority": {"DataType": "Number", "StringValue": "2"},
    })

    first = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["kind"], VisibilityTimeout=0,
                                MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    second = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], VisibilityTimeout=0,
                                 MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"][0]

    assert set(first["MessageAttributes"]) == {"kind"}
    assert set(second["MessageAttributes"]) == {"kind", "priority"}
    counts = first["Attributes"]["ApproximateReceiveCount"], second["Attributes"]["ApproximateReceiveCount"]
    assert counts == ("1", "2")
    assert first["ReceiptHandle"] != second["ReceiptHandle"]
    sqs.delete_queue(QueueUrl=url)
