"""Lambda's concurrency rules: who may start another execution, and why not when not.

Three limits stand between a request and an execution environment (docs/facts.md, "Scaling"/"Throttling"):

- the **account's** concurrency (1,000 by default), shared by every function without a reservation —
  AWS always keeps at least 100 of it unreserved (scaled here with the account limit, so a lesson can set
  the account to 20 and still see the rule);
- a function's **reserved** concurrency, which is both a guarantee and a cap (0 disables the function);
- the **scaling rate**: since 26 Nov 2023 each function can add 1,000 concurrent executions every 10
  seconds, refilled continuously and never banked beyond that (settable so it shows at laptop scale).

A request that would exceed one of them is throttled with HTTP 429 and the reason AWS gives. Nothing here
knows about processes or moto: this is bookkeeping, tested on its own and shared by the live sandbox.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lambdalab.aws_facts import ACCOUNT_CONCURRENCY_EXCEEDED, RESERVED_CONCURRENCY_EXCEEDED

DEFAULT_ACCOUNT_CONCURRENCY = 1000
DEFAULT_UNRESERVED_MINIMUM = 100
DEFAULT_SCALING_RATE = 1000  # new concurrent executions per function ...
DEFAULT_SCALING_PERIOD_S = 10.0  # ... every 10 seconds (since Nov 2023)

ACCOUNT_LIMIT = ACCOUNT_CONCURRENCY_EXCEEDED
RESERVED_LIMIT = RESERVED_CONCURRENCY_EXCEEDED
# AWS names no separate reason for the per-function scaling rate; its throttles read as the account's.
SCALING_LIMIT = ACCOUNT_LIMIT


@dataclass(frozen=True)
class AccountSettings:
    """The account-level numbers a lesson may change (``lambdalab.sandbox().lambda_settings(...)``)."""

    concurrent_executions: int = DEFAULT_ACCOUNT_CONCURRENCY
    scaling_rate: int = DEFAULT_SCALING_RATE
    scaling_period_s: float = DEFAULT_SCALING_PERIOD_S

    def __post_init__(self) -> None:
        if self.concurrent_executions < 1:
            raise ValueError(f"concurrent_executions must be at least 1, got {self.concurrent_executions}")
        if self.scaling_rate < 1 or self.scaling_period_s <= 0:
            raise ValueError("scaling_rate must be >= 1 and scaling_period_s > 0")

    @property
    def unreserved_minimum(self) -> int:
        """AWS keeps 100 of 1,000 unreserved; the same tenth of a smaller (or larger) account here."""
        return max(1, round(self.concurrent_executions * DEFAULT_UNRESERVED_MINIMUM / DEFAULT_ACCOUNT_CONCURRENCY))


class TooManyRequests(Exception):
    """A request was throttled (HTTP 429 ``TooManyRequestsException``) for ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Rate Exceeded. ({reason})")
        self.reason = reason


class ReservationError(ValueError):
    """A reservation AWS would refuse, with AWS's words."""


@dataclass
class _ScalingBucket:
    """Tokens for *new* environments: ``rate`` per ``period``, refilled continuously, capped at ``rate``."""

    rate: float
    period: float
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate / self.period)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class _FunctionState:
    in_flight: int = 0
    reserved: int | None = None
    provisioned: int = 0  # environments allocated ahead of traffic; their requests need no admission
    bucket: _ScalingBucket | None = None
    peak: int = 0


@dataclass
class ConcurrencyGovernor:
    """Admits or throttles executions for every function of one account and Region."""

    settings: AccountSettings = field(default_factory=AccountSettings)
    clock: Callable[[], float] = time.monotonic
    _functions: dict[str, _FunctionState] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, settings: AccountSettings) -> None:
        with self._lock:
            self.settings = settings
            for state in self._functions.values():
                state.bucket = None

    def _state(self, function: str) -> _FunctionState:
        return self._functions.setdefault(function, _FunctionState())

    # --- reservations --------------------------------------------------------------------------
    def reserve(self, function: str, reserved: int | None) -> None:
        """Set (or with ``None`` remove) a function's reserved concurrency, refusing what AWS refuses."""
        with self._lock:
            if reserved is not None:
                if reserved < 0:
                    raise ReservationError("ReservedConcurrentExecutions must be >= 0")
                others = sum(s.reserved or 0 for name, s in self._functions.items() if name != function)
                unreserved_left = self.settings.concurrent_executions - others - reserved
                if unreserved_left < self.settings.unreserved_minimum:
                    raise ReservationError(
                        "Specified ReservedConcurrentExecutions for function decreases account's "
                        f"UnreservedConcurrentExecution below its minimum value of "
                        f"[{self.settings.unreserved_minimum}].")
            self._state(function).reserved = reserved

    def reserved(self, function: str) -> int | None:
        with self._lock:
            return self._state(function).reserved

    def provision(self, function: str, provisioned: int) -> None:
        """Allocate provisioned concurrency, which comes out of the reservation or the unreserved pool."""
        with self._lock:
            state = self._state(function)
            if provisioned < 0:
                raise ReservationError("ProvisionedConcurrentExecutions must be >= 0")
            if state.reserved is not None and provisioned > state.reserved:
                raise ReservationError(
                    f"Requested Provisioned Concurrency ({provisioned}) should not be greater than the "
                    f"reservedConcurrentExecution for function ({state.reserved})")
            if state.reserved is None:
                if provisioned > self._unreserved_pool_locked():
                    raise ReservationError(
                        "Specified ConcurrentExecutions for function is greater than account's unreserved "
                        f"concurrency [{self._unreserved_pool_locked()}].")
                others = sum(s.provisioned for n, s in self._functions.items() if n != function and s.reserved is None)
                if self._unreserved_pool_locked() - others - provisioned < self.settings.unreserved_minimum:
                    raise ReservationError(
                        "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
                        f"below its minimum value of [{self.settings.unreserved_minimum}].")
            state.provisioned = provisioned

    def _unreserved_pool_locked(self) -> int:
        return self.settings.concurrent_executions - sum(s.reserved or 0 for s in self._functions.values())

    @property
    def unreserved_pool(self) -> int:
        """The account concurrency left for functions without a reservation."""
        with self._lock:
            return self._unreserved_pool_locked()

    # --- admission -----------------------------------------------------------------------------
    def admit(self, function: str, *, new_environment: bool) -> None:
        """Count one more execution of ``function``, or raise :class:`TooManyRequests` with AWS's reason.

        ``new_environment`` says whether the request needs an environment started for it (only those
        spend the function's scaling allowance; a warm reuse does not).
        """
        with self._lock:
            state = self._state(function)
            if state.reserved is not None:
                if state.in_flight >= state.reserved - state.provisioned:
                    raise TooManyRequests(RESERVED_LIMIT)
            else:
                unreserved_busy = sum(s.in_flight + s.provisioned for s in self._functions.values()
                                      if s.reserved is None)
                if unreserved_busy >= self._unreserved_pool_locked():
                    raise TooManyRequests(ACCOUNT_LIMIT)
            if new_environment:
                self._take_scaling_locked(state)
            state.in_flight += 1
            state.peak = max(state.peak, state.in_flight)

    def take_scaling(self, function: str) -> None:
        """Spend one new environment of the function's scaling allowance, or raise TooManyRequests (for a
        request whose concurrency slot was already taken on arrival)."""
        with self._lock:
            self._take_scaling_locked(self._state(function))

    def _take_scaling_locked(self, state: _FunctionState) -> None:
        now = self.clock()
        if state.bucket is None:
            rate = float(self.settings.scaling_rate)
            state.bucket = _ScalingBucket(rate, self.settings.scaling_period_s, rate, now)
        if not state.bucket.take(now):
            raise TooManyRequests(SCALING_LIMIT)

    def release(self, function: str) -> None:
        with self._lock:
            state = self._state(function)
            state.in_flight = max(0, state.in_flight - 1)

    def provisioned(self, function: str) -> int:
        """Provisioned concurrency allocated to ``function`` (all its versions and aliases)."""
        with self._lock:
            return self._state(function).provisioned

    def in_flight(self, function: str | None = None) -> int:
        """Executions running now, for one function or the whole account."""
        with self._lock:
            if function is not None:
                return self._state(function).in_flight
            return sum(s.in_flight for s in self._functions.values())

    def peak(self, function: str) -> int:
        with self._lock:
            return self._state(function).peak

    def forget(self, function: str) -> None:
        with self._lock:
            self._functions.pop(function, None)

    def clear(self) -> None:
        with self._lock:
            self._functions.clear()
