"""What one invocation returns: the payload or error, the logs, and the REPORT figures as data.

Kept free of any process or server code so that grading, plots and the simulator can use the same
shapes without importing the runtime.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def encode_event(event: object) -> bytes:
    """An invocation's payload as Lambda receives it: bytes as given, a str as UTF-8, anything else as JSON."""
    if isinstance(event, bytes):
        return event
    if isinstance(event, str):
        return event.encode()
    return json.dumps(event).encode()


@dataclass(frozen=True)
class Report:
    """The figures of CloudWatch's REPORT line for one invocation.

    ``billed_duration_ms`` follows AWS's rules today: 1 ms granularity (since Dec 2020) and, on a cold
    start of an on-demand function, the init phase billed too (since 1 Aug 2025).

    ``invoke_init_ms`` is set when the init phase failed and Lambda ran the init again inside this invoke:
    that time is part of ``duration_ms``, and the REPORT line then shows no ``Init Duration``, although the
    request was still a cold start.
    """

    request_id: str
    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None = None
    status: str | None = None  # "timeout" or "error" when the environment ended abnormally
    error_type: str | None = None  # e.g. "Runtime.OutOfMemory", shown after Status: error
    invoke_init_ms: float | None = None  # not on the REPORT line: already inside duration_ms

    @property
    def cold(self) -> bool:
        return self.init_duration_ms is not None or self.invoke_init_ms is not None

    def line(self) -> str:
        """The REPORT line exactly as CloudWatch Logs shows it (tab separated)."""
        parts = [
            f"REPORT RequestId: {self.request_id}",
            f"Duration: {self.duration_ms:.2f} ms",
            f"Billed Duration: {self.billed_duration_ms} ms",
            f"Memory Size: {self.memory_size_mb} MB",
            f"Max Memory Used: {self.max_memory_used_mb} MB",
        ]
        if self.init_duration_ms is not None:
            parts.append(f"Init Duration: {self.init_duration_ms:.2f} ms")
        if self.status is not None:
            parts.append(f"Status: {self.status}")
        if self.error_type is not None:
            parts.append(f"Error Type: {self.error_type}")
        return "\t".join(parts) + "\t"


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invoke, as the caller and CloudWatch see it.

    ``payload`` is the decoded JSON the handler returned (``None`` when it errored); ``error`` is AWS's
    error document (``errorMessage``, ``errorType``, ``stackTrace``) when the function failed.
    ``function_error`` mirrors the ``X-Amz-Function-Error`` header: ``"Unhandled"`` on any failure.
    """

    request_id: str
    function_name: str
    payload: Any
    error: dict[str, Any] | None
    logs: str
    report: Report
    raw_payload: bytes = field(default=b"", repr=False)
    environment_id: str = ""
    log_stream_name: str = ""
    #: The version that ran (Invoke's ``X-Amz-Executed-Version``): through a weighted alias, the one it picked.
    executed_version: str = "$LATEST"

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def cold(self) -> bool:
        return self.report.cold

    @property
    def function_error(self) -> str | None:
        return None if self.error is None else "Unhandled"

    @property
    def error_type(self) -> str | None:
        return None if self.error is None else self.error.get("errorType")

    def response_document(self) -> Any:
        """What boto3's ``invoke`` would return in ``Payload``: the result, or the error document."""
        return self.error if self.error is not None else self.payload

    def __str__(self) -> str:
        body = json.dumps(self.response_document(), indent=2, default=str)
        return f"{body}\n{self.logs}" if self.logs else body
