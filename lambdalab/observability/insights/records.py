"""The fields Insights discovers in a log event, before any command runs.

Every event has the system fields ``@timestamp``, ``@message``, ``@ingestionTime``, ``@logStream`` and
``@log`` (``account-id:log-group-name``). Lambda's platform lines add ``@type`` and ``@requestId``; its
REPORT line adds ``@duration``, ``@billedDuration``, ``@memorySize``, ``@maxMemoryUsed`` and, after a cold
start, ``@initDuration``. A message that is a JSON object has its keys discovered too, nested keys joined
with dots (``order.id``) and array items numbered (``items.0``). See
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_AnalyzeLogData-discoverable-fields.html
(checked December 2026).
"""

from __future__ import annotations

import json
import re
from typing import Any

Record = dict[str, Any]

_PLATFORM = re.compile(r"^(?P<type>START|END|REPORT) RequestId: (?P<id>[0-9A-Za-z-]+)")
_REPORT_FIELDS = {
    "Duration": "@duration",
    "Billed Duration": "@billedDuration",
    "Memory Size": "@memorySize",
    "Max Memory Used": "@maxMemoryUsed",
    "Init Duration": "@initDuration",
}
_REPORT_PART = re.compile(r"(?P<key>[A-Za-z ]+): (?P<value>\d+(?:\.\d+)?) (?:ms|MB)")


def discover(message: str, timestamp_ms: int, ingestion_ms: int, stream: str, group: str, account: str) -> Record:
    """One log event as the record a query sees."""
    record: Record = {
        "@timestamp": timestamp_ms,
        "@message": message,
        "@ingestionTime": ingestion_ms,
        "@logStream": stream,
        "@log": f"{account}:{group}",
    }
    platform = _PLATFORM.match(message)
    if platform is not None:
        record["@type"] = platform["type"]
        record["@requestId"] = platform["id"]
        if platform["type"] == "REPORT":
            for part in _REPORT_PART.finditer(message):
                name = _REPORT_FIELDS.get(part["key"].strip())
                if name is not None:
                    record[name] = float(part["value"])
        return record
    stripped = message.strip()
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except ValueError:
            return record
        if isinstance(document, dict):
            _flatten(document, "", record)
    return record


def _flatten(value: Any, prefix: str, into: Record) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}{key}.", into)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}{index}.", into)
    elif prefix:
        name = prefix[:-1]
        if name not in into:  # a JSON key never hides a system field
            into[name] = value
