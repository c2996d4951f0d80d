"""The CloudWatch Embedded Metric Format (EMF): metrics a handler prints as a JSON log line.

On AWS, CloudWatch Logs reads every log event it ingests (a Lambda function's, or one put with
``PutLogEvents``, where the header ``x-amzn-logs-format: json/emf`` is optional), and when it is an EMF
document turns it into CloudWatch metrics: each
metric of each directive, once per dimension set, at the document's ``_aws.Timestamp``. A document that
breaks the specification is still stored as a log line but yields no metric. The rules checked here are the
specification's
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html,
checked December 2026): the message is a JSON object; ``_aws`` holds an integer ``Timestamp`` and a
``CloudWatchMetrics`` array of directives; a directive has a ``Namespace``, a non-empty ``Dimensions`` array of
dimension sets (each at most 30 keys, possibly empty) and at most 100 ``Metrics`` (``Name``, optional
``Unit`` among CloudWatch's units, optional ``StorageResolution`` 1 or 60); every referenced key is a member
of the root: a dimension's value a string of at most 1,024 characters, a metric's value a number or an array
of at most 100 numbers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Final

MAX_DIMENSIONS: Final = 30
MAX_METRICS: Final = 100
MAX_VALUES: Final = 100
MAX_DIMENSION_VALUE: Final = 1024
MAX_NAME: Final = 1024
MAX_DIMENSION_KEY: Final = 250
UNITS: Final = frozenset(
    {
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
        "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
        "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
        "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    }
)  # fmt: skip


class InvalidEmf(ValueError):
    """An EMF document that breaks the specification: the log line stays, no metric is made.

    ``metric`` is the ``AWS/Logs`` metric CloudWatch Logs counts it in: ``EMFParsingErrors`` when the
    message is not JSON, ``EMFValidationErrors`` when it is JSON that breaks the rules.
    """

    def __init__(self, reason: str, metric: str = "EMFValidationErrors") -> None:
        super().__init__(reason)
        self.metric = metric


@dataclass(frozen=True)
class EmfMetric:
    """One metric an EMF document publishes: one (directive, dimension set, metric definition)."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    values: tuple[float, ...]
    unit: str
    storage_resolution: int
    timestamp_ms: int


def is_emf(message: str) -> bool:
    """Whether ``message`` claims to be EMF (a JSON object with an ``_aws`` member), valid or not."""
    text = message.strip()
    if not text.startswith("{") or '"_aws"' not in text:
        return False
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return isinstance(document, dict) and "_aws" in document


def extract(message: str) -> tuple[EmfMetric, ...]:
    """The metrics of one log message: none when it is not EMF; :class:`InvalidEmf` when it breaks the rules."""
    text = message.strip()
    if not text.startswith("{"):
        return ()
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        if '"_aws"' in text:
            raise InvalidEmf(f"the message is not a valid JSON object: {error}", "EMFParsingErrors") from None
        return ()
    if not isinstance(document, dict) or "_aws" not in document:
        return ()
    metadata = document["_aws"]
    if not isinstance(metadata, dict):
        raise InvalidEmf("_aws must be an object")
    timestamp = metadata.get("Timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise InvalidEmf("_aws.Timestamp must be an integer: milliseconds since 1970-01-01 00:00:00 UTC")
    directives = metadata.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        raise InvalidEmf("_aws.CloudWatchMetrics must be an array of metric directives")
    metrics: list[EmfMetric] = []
    for index, directive in enumerate(directives):
        metrics.extend(_directive(document, directive, timestamp, f"_aws.CloudWatchMetrics[{index}]"))
    return tuple(metrics)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _directive(document: dict[str, Any], directive: Any, timestamp: int, where: str) -> list[EmfMetric]:
    if not isinstance(directive, dict):
        raise InvalidEmf(f"{where} must be an object")
    namespace = directive.get("Namespace")
    if not isinstance(namespace, str) or not 1 <= len(namespace) <= MAX_NAME:
        raise InvalidEmf(f"{where}.Namespace must be a string of 1 to {MAX_NAME} characters")
    dimension_sets = directive.get("Dimensions")
    if not isinstance(dimension_sets, list) or not dimension_sets:
        raise InvalidEmf(f"{where}.Dimensions must be a non-empty array of dimension sets (a set may be empty)")
    definitions = directive.get("Metrics")
    if not isinstance(definitions, list):
        raise InvalidEmf(f"{where}.Metrics must be an array of metric definitions")
    if len(definitions) > MAX_METRICS:
        raise InvalidEmf(f"{where}.Metrics has {len(definitions)} definitions; at most {MAX_METRICS} are allowed")
    resolved_sets = [_dimension_set(document, s, f"{where}.Dimensions[{i}]") for i, s in enumerate(dimension_sets)]
    metrics = []
    for index, definition in enumerate(definitions):
        name, unit, resolution = _definition(definition, f"{where}.Metrics[{index}]")
        values = _values(document, name, f"{where}.Metrics[{index}]")
        metrics.extend(
            EmfMetric(namespace, name, dimensions, values, unit, resolution, timestamp) for dimensions in resolved_sets
        )
    return metrics


def _dimension_set(document: dict[str, Any], keys: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(keys, list):
        raise InvalidEmf(f"{where} must be an array of dimension keys")
    if len(keys) > MAX_DIMENSIONS:
        raise InvalidEmf(f"{where} has {len(keys)} dimension keys; at most {MAX_DIMENSIONS} are allowed")
    dimensions = []
    for key in keys:
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_DIMENSION_KEY:
            raise InvalidEmf(f"{where}: a dimension key must be a string of 1 to {MAX_DIMENSION_KEY} characters")
        value = document.get(key)
        if not isinstance(value, str):
            raise InvalidEmf(f"{where}: dimension {key!r} must be a member of the root with a string value")
        if len(value) > MAX_DIMENSION_VALUE:
            raise InvalidEmf(f"{where}: the value of dimension {key!r} is longer than {MAX_DIMENSION_VALUE}")
        dimensions.append((key, value))
    return tuple(dimensions)


def _definition(definition: Any, where: str) -> tuple[str, str, int]:
    if not isinstance(definition, dict):
        raise InvalidEmf(f"{where} must be an object with a Name")
    name = definition.get("Name")
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME:
        raise InvalidEmf(f"{where}.Name must be a string of 1 to {MAX_NAME} characters")
    unit = definition.get("Unit", "None")
    if unit not in UNITS:
        raise InvalidEmf(f"{where}.Unit {unit!r} is not a CloudWatch unit (e.g. Count, Milliseconds, Bytes)")
    resolution = definition.get("StorageResolution", 60)
    if resolution not in (1, 60) or isinstance(resolution, bool):
        raise InvalidEmf(f"{where}.StorageResolution must be 1 (high resolution) or 60, not {resolution!r}")
    return name, unit, int(resolution)


def _values(document: dict[str, Any], name: str, where: str) -> tuple[float, ...]:
    if name not in document:
        raise InvalidEmf(f"{where}: metric {name!r} must be a member of the root")
    value = document[name]
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and len(value) > MAX_VALUES:
        raise InvalidEmf(f"{where}: metric {name!r} has {len(value)} values; at most {MAX_VALUES} are allowed")
    numbers = []
    for item in values:
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(item):
            raise InvalidEmf(f"{where}: metric {name!r} must be a number or an array of numbers")
        numbers.append(float(item))
    return tuple(numbers)
