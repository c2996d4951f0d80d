"""The order service's back office: one handler for queued orders, uploaded CSV files and the nightly job.

Queued orders report failures one by one (ReportBatchItemFailures), so one bad order is retried alone and,
after the queue's maxReceiveCount, moves to the dead-letter queue instead of blocking its batch.
"""

import json
import os

import boto3
from shop import order_item

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:sqs":
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if not _order(r)]}
    if records and records[0].get("eventSource") == "aws:s3":
        for record in records:
            key = record["s3"]["object"]["key"]
            TABLE.put_item(Item=order_item(f"upload:{key}", "s3", size=record["s3"]["object"]["size"]))
        return {"imported": len(records)}
    if event.get("job") == "nightly":
        TABLE.put_item(Item=order_item(f"nightly:{event['scheduled']}", "schedule"))
        return {"nightly": event["scheduled"]}
    raise ValueError(f"unexpected event: {json.dumps(event)[:200]}")


def _order(record):
    """Store one queued order; False when it cannot be (it is then retried, and dead-lettered at last)."""
    try:
        order = json.loads(record["body"])
        quantity = int(order["quantity"])
    except (ValueError, KeyError, TypeError):
        print(f"refused message {record['messageId']}: not an order")
        return False
    TABLE.put_item(Item=order_item(order["id"], "sqs", item=order.get("item"), quantity=quantity))
    return True
