"""A target, not a probe: answers every request with the secret in its TOKEN environment variable."""

import os


def handler(event, context):
    return {"statusCode": 200, "body": os.environ["TOKEN"]}
