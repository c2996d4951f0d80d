"""S3 event notifications: the record S3 sends to a function when an object is created or removed.

The structure is AWS's version 2.1 event message ("Event message structure",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html). What trips
handlers up is the key: **S3 sends it URL-encoded** as a form value — a space becomes ``+``, a ``+``
becomes ``%2B``, non-ASCII characters are percent-encoded as UTF-8, ``=`` becomes ``%3D`` — while ``/``
stays as it is (what S3 itself sends, reported against MinIO in minio/minio#11665). A handler must decode
it with ``urllib.parse.unquote_plus`` before calling S3 with it. Prefix and suffix filters are matched
against the same encoded form, which is why S3's guide asks for them URL-encoded
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html).
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import threading
import urllib.parse
from typing import Any

from lambdalab.aws_facts import DEFAULT_REGION

#: The principal S3 names as the one who caused the event (the sandbox's single IAM user).
DEFAULT_PRINCIPAL_ID = "AWS:AIDAJDPLRKLG7UEXAMPLE"
DEFAULT_OWNER_ID = "A3NL1KOZZKExample"

_sequence = itertools.count(1)
_sequence_lock = threading.Lock()


def encode_key(key: str) -> str:
    """An object key as S3 writes it into an event: form-encoded UTF-8, slashes kept."""
    return urllib.parse.quote_plus(key, safe="/")


def decode_key(encoded: str) -> str:
    """The object key back from an event (what every S3-triggered handler must do first)."""
    return urllib.parse.unquote_plus(encoded)


def next_sequencer() -> str:
    """S3's ``sequencer``: a hex string that orders events for the same key (later events compare greater
    as strings of equal length)."""
    with _sequence_lock:
        return f"{next(_sequence):018X}"


def event_time(when: dt.datetime | None = None) -> str:
    """ISO-8601 with milliseconds and a ``Z``, as S3's ``eventTime``: ``2025-01-31T12:00:00.123Z``."""
    moment = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def s3_record(bucket: str, key: str, *, event_name: str = "ObjectCreated:Put", size: int | None = 0,
              etag: str | None = "d41d8cd98f00b204e9800998ecf8427e", version_id: str | None = None,
              sequencer: str | None = None, configuration_id: str = "lambdalab-notification",
              region: str = DEFAULT_REGION, when: dt.datetime | None = None,
              principal_id: str = DEFAULT_PRINCIPAL_ID, source_ip: str = "127.0.0.1") -> dict[str, Any]:
    """One notification record for ``key`` (the real, unencoded key: it is encoded here, as S3 does).

    ``event_name`` is written without the ``s3:`` prefix (``ObjectCreated:Put``, ``ObjectRemoved:Delete``).
    Removal events carry no ``size`` or ``eTag``, as on AWS; ``versionId`` appears only for a versioned
    bucket.
    """
    event_name = event_name.removeprefix("s3:")
    s3_object: dict[str, Any] = {"key": encode_key(key)}
    if not event_name.startswith("ObjectRemoved"):
        if size is not None:
            s3_object["size"] = int(size)
        if etag is not None:
            s3_object["eTag"] = etag.strip('"')
    if version_id is not None:
        s3_object["versionId"] = version_id
    s3_object["sequencer"] = sequencer or next_sequencer()
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": event_time(when),
        "eventName": event_name,
        "userIdentity": {"principalId": principal_id},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {"x-amz-request-id": secrets.token_hex(8).upper(),
                             "x-amz-id-2": secrets.token_urlsafe(48)},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": DEFAULT_OWNER_ID},
                       "arn": f"arn:aws:s3:::{bucket}"},
            "object": s3_object,
        },
    }


def s3_event(*records: dict[str, Any]) -> dict[str, Any]:
    """The event a function receives: S3 sends one record per notification."""
    return {"Records": list(records)}
