"""Helpers the order service's functions share, shipped as a layer (lesson 04)."""

import json


def respond(status, body):
    """An HTTP API (payload 2.0) or function URL response with a JSON body."""
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def order_item(order_id, source, **fields):
    """The Orders table's item for one order: its id, where it came from, and what it says."""
    return {"id": str(order_id), "source": source, **{k: str(v) for k, v in fields.items()}}
