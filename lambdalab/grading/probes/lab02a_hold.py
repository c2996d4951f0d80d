"""A target, not a probe: holds its environment for ``event["seconds"]`` — a slot of concurrency, for that long."""

import time


def handler(event, context):
    time.sleep(event.get("seconds", 0))
    return "done"
