"""What an account engine decided: every attempt (first tries and retries), and how each request ended.

As ``Trace`` is for one function, this is the whole output of an account engine; summaries, plots and
bills are computed from it and the workload, so two engines agree exactly when their traces are equal.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

#: How a request ended.
OK = 0  # an execution succeeded
ERROR = 1  # the function failed (a synchronous caller got the error; an async event ran out of retries)
THROTTLED = 2  # a synchronous caller got 429s until it gave up (or never retried)
DROPPED = 3  # an asynchronous event grew older than MaximumEventAgeInSeconds while throttled
OUTCOMES = {OK: "succeeded", ERROR: "failed", THROTTLED: "throttled", DROPPED: "dropped (too old)"}


@dataclass(frozen=True)
class AccountTrace:
    """Per attempt ``a``: request, arrival at Lambda, ``code`` (``limits.SERVED`` or why refused),
    environment (-1 if refused), cold, provisioned, handler start (later than ``time`` when it waited for
    a proxy connection), finish and error. Per request: ``outcome`` and ``done_at``. Per environment (in
    creation order, provisioned ones first): its function and whether it is provisioned."""

    request: np.ndarray
    time: np.ndarray
    code: np.ndarray
    environment: np.ndarray
    cold: np.ndarray
    provisioned: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    error: np.ndarray
    outcome: np.ndarray
    done_at: np.ndarray
    env_function: np.ndarray
    env_provisioned: np.ndarray
    engine: str

    @property
    def attempts(self) -> int:
        return len(self.request)

    def same_decisions(self, other: AccountTrace) -> bool:
        """True when both engines made every decision identically (NaNs of refused attempts included)."""
        for f in fields(self):
            if f.name == "engine":
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            if not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                return False
        return True

    def differences(self, other: AccountTrace) -> list[str]:
        """Which fields differ, and where first (for test messages)."""
        out = []
        for f in fields(self):
            if f.name == "engine":
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            if a.shape != b.shape:
                out.append(f"{f.name}: {a.shape} vs {b.shape}")
            elif not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                first = int(np.argmax(~((a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else a == b)))
                out.append(f"{f.name}[{first}]: {a[first]!r} vs {b[first]!r}")
        return out


def build_trace(columns: dict[str, list], engine: str) -> AccountTrace:
    """Arrays from the plain lists an engine appends to while it runs."""
    return AccountTrace(
        request=np.array(columns["request"], dtype=np.int64),
        time=np.array(columns["time"], dtype=float),
        code=np.array(columns["code"], dtype=np.int8),
        environment=np.array(columns["environment"], dtype=np.int64),
        cold=np.array(columns["cold"], dtype=bool),
        provisioned=np.array(columns["provisioned"], dtype=bool),
        start=np.array(columns["start"], dtype=float),
        finish=np.array(columns["finish"], dtype=float),
        error=np.array(columns["error"], dtype=bool),
        outcome=np.array(columns["outcome"], dtype=np.int8),
        done_at=np.array(columns["done_at"], dtype=float),
        env_function=np.array(columns["env_function"], dtype=np.int64),
        env_provisioned=np.array(columns["env_provisioned"], dtype=bool),
        engine=engine,
    )
