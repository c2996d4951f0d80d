"""Shared by the SQS trigger tests: a handler whose behaviour each message's body decides, and queues.

A message body ``{"fail_times": n, "sleep": s}`` makes the handler fail that message while its
``ApproximateReceiveCount`` is at most ``n`` (so a failure pattern survives any number of environments and
needs no shared state), and sleep ``s`` seconds before answering. With ``MODE=partial`` it reports failed
messages in ``batchItemFailures``; with ``MODE=raise`` any failure raises (the whole batch fails). Either
way it returns the ids it processed successfully in ``ok``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

HANDLER = """
import json, os, time

def handler(event, context):
    bodies = [json.loads(r["body"]) for r in event["Records"]]
    time.sleep(max((b.get("sleep", 0) for b in bodies), default=0))
    failures, ok = [], []
    for record, body in zip(event["Records"], bodies):
        if int(record["attributes"]["ApproximateReceiveCount"]) <= body.get("fail_times", 0):
            failures.append({"itemIdentifier": record["messageId"]})
        else:
            ok.append(record["messageId"])
    if failures and os.environ.get("MODE") == "raise":
        raise RuntimeError(f"{len(failures)} of {len(bodies)} records failed")
    if os.environ.get("MODE") == "bogus":
        return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}
    return {"batchItemFailures": failures, "ok": ok, "size": len(bodies)}
"""


def make_queue(sqs: Any, *, visibility: int = 30, max_receive_count: int | None = None,
               name: str | None = None) -> dict[str, str]:
    """A fresh queue (and a dead-letter queue when ``max_receive_count`` is given): urls and ARNs."""
    name = name or f"q-{uuid.uuid4().hex[:10]}"
    attributes = {"VisibilityTimeout": str(visibility)}
    info: dict[str, str] = {}
    if max_receive_count is not None:
        info["dlq_url"] = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        info["dlq_arn"] = arn_of(sqs, info["dlq_url"])
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": info["dlq_arn"],
                                                  "maxReceiveCount": str(max_receive_count)})
    info["url"] = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    info["arn"] = arn_of(sqs, info["url"])
    return info


def arn_of(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def send_all(sqs: Any, url: str, bodies: list[dict[str, Any]]) -> list[str]:
    """Send the bodies (in batches of 10) and return their message ids, in order."""
    ids: list[str] = []
    for start in range(0, len(bodies), 10):
        chunk = bodies[start:start + 10]
        sent = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": json.dumps(b)}
                                                             for i, b in enumerate(chunk)])
        by_entry = {int(e["Id"]): e["MessageId"] for e in sent["Successful"]}
        ids.extend(by_entry[i] for i in range(len(chunk)))
    return ids


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message still in a queue (received with a long visibility, so each is seen once)."""
    found: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                  MessageSystemAttributeNames=["All"]).get("Messages", [])
        if not got:
            return found
        found.extend(got)
