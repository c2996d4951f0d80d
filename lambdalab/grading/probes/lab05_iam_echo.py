"""A target, not a probe: behind an AWS_IAM function URL, answers with what arrived -- method, path, query,
body and the IAM caller that signed it -- or 404 for a path under /missing, so a relay's check can see what
the relay sent and whether it passed an error status on."""

import base64
import json


def handler(event, context):
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    if event["rawPath"].startswith("/missing"):
        return {"statusCode": 404, "body": json.dumps({"message": f"no such thing: {event['rawPath']}"})}
    seen = {
        "method": event["requestContext"]["http"]["method"],
        "path": event["rawPath"],
        "query": event.get("rawQueryString", ""),
        "body": body,
        "caller": event["requestContext"].get("authorizer", {}).get("iam", {}).get("accessKey"),
    }
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(seen)}
