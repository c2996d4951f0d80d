"""moto's S3 notifications to Lambda, made AWS's: full records, encoded keys, asynchronous delivery.

moto builds a thin record (no ``userIdentity``, ``sequencer``, …), encodes ``/`` in keys, matches prefix
and suffix filters against the raw key, and invokes the function *synchronously* inside the ``PutObject``
request, swallowing every error. AWS invokes asynchronously — the event joins Lambda's async queue, so a
failing function is retried twice and then goes to its on-failure destination or dead-letter queue — and
matches filters against the URL-encoded key. Replaced in ``moto.s3``: ``notifications._get_s3_event``
(the record, also what S3 sends to SQS and SNS), ``notifications._invoke_awslambda`` (asynchronous,
through :func:`lambdalab.service.async_invoke.enqueue`), ``Notification._key_matches`` (filters on the
encoded key), and — because moto completes a multipart upload by an internal ``put_object`` that sends an
extra ``ObjectCreated:Put`` — ``S3Backend.complete_multipart_upload`` with ``notifications.send_event``,
so that completing an upload sends only ``ObjectCreated:CompleteMultipartUpload``, as S3 does.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from lambdalab.events.s3 import encode_key, s3_event, s3_record
from lambdalab.service.moto_patching import bound, bound_service, original, replace

_completing = threading.local()


def install() -> None:
    """Install the S3 patches (idempotent)."""
    from moto.s3 import notifications
    from moto.s3.models import Notification, S3Backend

    replace(notifications, "_get_s3_event", _get_s3_event)
    replace(notifications, "_invoke_awslambda", _invoke_awslambda)
    replace(Notification, "_key_matches", _key_matches)
    replace(notifications, "send_event", _send_event)
    replace(S3Backend, "complete_multipart_upload", _complete_multipart_upload)


def _get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
    versioned = getattr(bucket, "is_versioned", False)
    version = getattr(key, "version_id", None) if versioned else None
    name = str(getattr(event_name, "value", event_name))
    record = s3_record(bucket.name, key.name, event_name=name, size=getattr(key, "size", None),
                       etag=getattr(key, "etag", None), version_id=str(version) if version else None,
                       configuration_id=notification_id, region=bucket.region_name)
    return s3_event(record)


def _invoke_awslambda(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
    from lambdalab.service.async_invoke import enqueue

    parts = fn_arn.split(":")
    name = parts[6] if len(parts) > 6 else fn_arn
    qualifier = parts[7] if len(parts) > 7 and parts[7] != "$LATEST" else None
    payload = event_body if isinstance(event_body, str) else json.dumps(event_body)
    try:
        enqueue(bound_service(), name, payload.encode(), qualifier=qualifier)
    except Exception as exc:  # noqa: BLE001 - S3 delivers asynchronously: PutObject must still succeed
        s3 = bound().s3
        if s3 is not None:
            s3.undelivered.append({"function": fn_arn, "reason": str(exc), "event": json.loads(payload)})


def _key_matches(notification: Any, key_name: str) -> bool:
    """Prefix and suffix rules compare with the key as S3 encodes it into the event."""
    rules = (notification.filters or {}).get("S3Key", {}).get("FilterRule", [])
    if isinstance(rules, dict):
        rules = [rules]
    encoded = encode_key(key_name)
    for rule in rules:
        name, value = str(rule.get("Name", "")).lower(), str(rule.get("Value", ""))
        if name == "prefix" and not encoded.startswith(value):
            return False
        if name == "suffix" and not encoded.endswith(value):
            return False
    return True


def _send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
    from moto.s3 import notifications

    put = notifications.S3NotificationEvent.OBJECT_CREATED_PUT_EVENT
    if getattr(_completing, "active", False) and event_name == put:
        return
    original(notifications, "send_event")(account_id, event_name, bucket, key)


def _complete_multipart_upload(backend: Any, *args: Any, **kwargs: Any) -> Any:
    from moto.s3.models import S3Backend

    _completing.active = True
    try:
        return original(S3Backend, "complete_multipart_upload")(backend, *args, **kwargs)
    finally:
        _completing.active = False
