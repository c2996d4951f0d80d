"""API Gateway's own throttling: a token bucket per route, with the limits read from the stage.

API Gateway answers 429 only when *its* limits are exceeded, never because Lambda throttled the function
(that is a 500). It throttles with the token bucket algorithm: a bucket holds at most ``burst`` tokens, refills
at ``rate`` tokens per second and every request takes one; an empty bucket means 429 Too Many Requests
(docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html and
…/http-api-throttling.html, checked December 2026).

Where the limits come from, as on AWS:

- REST APIs: the stage's ``methodSettings`` — ``*/*`` (the stage's default method throttling, set with
  ``update_stage`` patch path ``/*/*/throttling/rateLimit`` and ``…/burstLimit``), overridden for one method by
  ``{resource path}/{METHOD}`` (patch path ``/~1items~1{id}/GET/throttling/…``).
- HTTP APIs: the stage's ``DefaultRouteSettings`` and, per route key, ``RouteSettings``
  (``ThrottlingRateLimit``, ``ThrottlingBurstLimit``).
- Without either, the account's per-Region limit: 10,000 requests per second with a burst of 5,000, shared by
  every API of the account.

Stage and route limits apply to each method or route separately (each has its own bucket).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

ACCOUNT_RATE_LIMIT = 10_000.0  # requests per second, per account and Region (API Gateway quotas)
ACCOUNT_BURST_LIMIT = 5_000


@dataclass(frozen=True)
class Limits:
    """A steady-state rate (requests per second) and a burst (the bucket's size)."""

    rate: float
    burst: int


class TokenBucket:
    """Holds up to ``burst`` tokens, refilled at ``rate`` per second; starts full."""

    def __init__(self, limits: Limits, clock: Any = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._tokens = float(limits.burst)
        self._at = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Take one token if there is one (the request passes), else False (429)."""
        with self._lock:
            now = self._clock()
            capacity = float(self.limits.burst)
            self._tokens = min(capacity, self._tokens + (now - self._at) * self.limits.rate)
            self._at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


def _number(settings: dict[str, Any], *names: str) -> float | None:
    for name in names:
        value = settings.get(name)
        if value is not None:
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def _limits_from(
    settings: dict[str, Any] | None, rate_keys: tuple[str, ...], burst_keys: tuple[str, ...]
) -> Limits | None:
    if not settings:
        return None
    rate, burst = _number(settings, *rate_keys), _number(settings, *burst_keys)
    if rate is None and burst is None:
        return None
    return Limits(
        rate=ACCOUNT_RATE_LIMIT if rate is None else max(rate, 0.0),
        burst=ACCOUNT_BURST_LIMIT if burst is None else max(int(burst), 0),
    )


def rest_limits(stage: Any, resource_path: str, method: str) -> Limits | None:
    """The limits of one REST API method in a stage (moto's ``Stage.method_settings``), or None.

    The method's own setting wins (``GET``, or ``ANY`` when the resource answers every method with ``ANY``),
    then the stage's ``*/*``."""
    settings: dict[str, Any] = getattr(stage, "method_settings", None) or {}
    by_method = {key.replace("~1", "/").strip("/"): value for key, value in settings.items()}
    for verb in (method, "ANY"):
        found = _limits_from(
            by_method.get(f"{resource_path.strip('/')}/{verb}"), ("throttlingRateLimit",), ("throttlingBurstLimit",)
        )
        if found is not None:
            return found
    return _limits_from(settings.get("*/*"), ("throttlingRateLimit",), ("throttlingBurstLimit",))


_HTTP_RATE = ("ThrottlingRateLimit", "throttlingRateLimit")
_HTTP_BURST = ("ThrottlingBurstLimit", "throttlingBurstLimit")


def http_limits(stage: Any, route_key: str) -> Limits | None:
    """The limits of one HTTP API route in a stage (moto's apigatewayv2 ``Stage``), or None."""
    per_route: dict[str, Any] = getattr(stage, "route_settings", None) or {}
    found = _limits_from(per_route.get(route_key), _HTTP_RATE, _HTTP_BURST)
    if found is not None:
        return found
    return _limits_from(getattr(stage, "default_route_settings", None), _HTTP_RATE, _HTTP_BURST)


class Throttle:
    """Every bucket of the account: one per (API, stage, route) that has limits, and the account's own."""

    def __init__(self, account: Limits = Limits(ACCOUNT_RATE_LIMIT, ACCOUNT_BURST_LIMIT)) -> None:
        self._account_limits = account
        self._account = TokenBucket(account)
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self._lock = threading.Lock()

    def admit(self, key: tuple[str, ...], limits: Limits | None) -> bool:
        """Whether a request to ``key`` (with its configured limits, if any) may pass now."""
        if limits is not None:
            with self._lock:
                bucket = self._buckets.get(key)
                if bucket is None or bucket.limits != limits:  # new route, or the stage's limits changed
                    bucket = self._buckets[key] = TokenBucket(limits)
            if not bucket.take():
                return False
        return self._account.take()

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self._account = TokenBucket(self._account_limits)
