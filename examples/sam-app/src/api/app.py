"""The order service's front door: POST /orders queues an order, GET /orders/{id} reads one.

The same handler serves the HTTP API and the function URL: both send payload format 2.0.
"""

import base64
import json
import os
import uuid

import boto3
from shop import respond

RELEASE = "1"
TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])
SQS = boto3.client("sqs")


def handler(event, context):
    method = event["requestContext"]["http"]["method"]
    path = event.get("rawPath", "/")
    served = {"release": RELEASE, "version": context.function_version}
    if method == "POST" and path.rstrip("/").endswith("/orders"):
        body = event.get("body") or "{}"
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        try:
            order = json.loads(body)
        except ValueError:
            order = None
        if not isinstance(order, dict):
            return respond(400, {"message": "the body must be a JSON object", **served})
        order.setdefault("id", str(uuid.uuid4()))
        SQS.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(order))
        return respond(202, {"id": order["id"], **served})
    if method == "GET" and "/orders/" in path:
        order_id = path.rsplit("/", 1)[-1]
        item = TABLE.get_item(Key={"id": order_id}).get("Item")
        return respond(200, {"order": item, **served}) if item else respond(404, {"id": order_id, **served})
    return respond(404, {"message": f"no route for {method} {path}", **served})
