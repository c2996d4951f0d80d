"""A target, not a probe: answers an HTTP request with its body and the IAM caller that signed it."""

import base64
import json


def handler(event, context):
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    caller = event["requestContext"].get("authorizer", {}).get("iam", {}).get("accessKey")
    return {"statusCode": 200, "body": json.dumps({"body": body, "caller": caller})}
