"""S3 → Lambda: bucket notifications invoke functions asynchronously, with AWS's records and encoded keys.

``put_bucket_notification_configuration`` (boto3 or ``aws s3api``) stores the configuration in moto; moto
decides which notification matches an event (``s3:ObjectCreated:*``, ``s3:ObjectRemoved:Delete``, …).
This trigger only installs :mod:`lambdalab.triggers.s3.moto_patch`, which makes the match use the
URL-encoded key, builds AWS's record, and hands it to Lambda's asynchronous queue — so Lambda's retries,
destinations and dead-letter queue apply exactly as for any ``InvocationType=Event`` call.
"""

from __future__ import annotations

from typing import Any


class S3Trigger:
    """The sandbox plugin for S3 event notifications."""

    def __init__(self) -> None:
        #: Every notification S3 could not hand to Lambda (function missing…): AWS drops them; lessons look here.
        self.undelivered: list[dict[str, Any]] = []

    def start(self, box: Any) -> None:
        from lambdalab.service.moto_patching import bind
        from lambdalab.triggers.s3 import moto_patch as s3_patches

        s3_patches.install()
        bind(box.lambda_service, s3=self)

    def reset(self) -> None:
        self.undelivered.clear()

    def stop(self) -> None:
        return None
