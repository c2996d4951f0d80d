"""Lambda's admission rules for one account: which limit stops a request, and the reason its 429 carries.

Both account engines ask this bookkeeping the same questions at the same instants, so they throttle
exactly the same requests. The rules (docs/facts.md, "Scaling" and "Throttling"; the live sandbox's
``service/concurrency.py`` applies the same ones to real environments):

- **concurrency**: a function with reserved concurrency R and provisioned P may run R - P on-demand
  executions besides its provisioned ones; functions without a reservation share the unreserved pool, from
  which their provisioned environments are taken first. Over it: 429
  ``ReservedFunctionConcurrentInvocationLimitExceeded`` or ``ConcurrentInvocationLimitExceeded``.
- **scaling**: since 26 Nov 2023 each function may add 1,000 environments every 10 s (a bucket refilled
  continuously, never above 1,000) -- spent only by requests that need a *new* environment. Before, the
  account's on-demand concurrency could burst to 3,000/1,000/500 and then grow by 500 a minute, counted
  from the moment the burst was first exhausted (AWS documented no rule for scaling back down, so the
  ceiling is never lowered here). AWS gives no separate reason for either: their 429s read
  ``ConcurrentInvocationLimitExceeded``, as in the sandbox.
- **requests per second**: at most 10 x the concurrency limit invocations a second (a bucket of that many
  tokens refilled over one second), per reserved function or shared by the unreserved ones; reasons
  ``ReservedFunctionInvocationRateLimitExceeded`` / ``FunctionInvocationRateLimitExceeded``. Only
  admitted invocations spend a token.
"""

from __future__ import annotations

import math

from lambdalab.aws_facts import ACCOUNT_RATE_EXCEEDED, RESERVED_RATE_EXCEEDED
from lambdalab.sim.account import Account
from lambdalab.sim.scaling import PerFunctionScaling, RegionalBurstScaling
from lambdalab.sim.scenario import ACCOUNT_LIMIT_EXCEEDED, RESERVED_LIMIT_EXCEEDED

#: What happened to one attempt: served (0), or the limit that refused it.
SERVED = 0
ACCOUNT_CONCURRENCY = 1
RESERVED_CONCURRENCY = 2
SCALING_RATE = 3
ACCOUNT_RATE = 4
RESERVED_RATE = 5
DATABASE_REFUSED = 6

#: The limit behind each refusal, in words, and the ``Reason`` of the 429 a caller receives.
CAUSES: dict[int, str] = {
    ACCOUNT_CONCURRENCY: "account concurrency",
    RESERVED_CONCURRENCY: "reserved concurrency",
    SCALING_RATE: "scaling rate",
    ACCOUNT_RATE: "requests per second",
    RESERVED_RATE: "requests per second (reserved)",
    DATABASE_REFUSED: "database connections",
}
REASONS: dict[int, str] = {
    ACCOUNT_CONCURRENCY: ACCOUNT_LIMIT_EXCEEDED,
    RESERVED_CONCURRENCY: RESERVED_LIMIT_EXCEEDED,
    SCALING_RATE: ACCOUNT_LIMIT_EXCEEDED,
    ACCOUNT_RATE: ACCOUNT_RATE_EXCEEDED,
    RESERVED_RATE: RESERVED_RATE_EXCEEDED,
}
THROTTLE_CODES = tuple(REASONS)

_EPSILON = 1e-9  # token counts are refilled in floating point: 0.9999999999 tokens is one token


class Admission:
    """The counters and token buckets of one account during one run."""

    def __init__(self, account: Account) -> None:
        functions = account.functions
        n = len(functions)
        self.reserved = [f.reserved_concurrency is not None for f in functions]
        self.on_demand_limit = [
            math.inf if f.reserved_concurrency is None else f.reserved_concurrency - f.provisioned_concurrency
            for f in functions
        ]
        self.on_demand_busy = [0] * n
        self.total_on_demand_busy = 0
        self.unreserved_pool = account.unreserved_pool
        self.unreserved_used = sum(f.provisioned_concurrency for f in functions if f.reserved_concurrency is None)

        # Requests per second: one bucket per reserved function, one shared (index n) by the others.
        per = account.requests_per_concurrency
        self.rate_bucket = [i if self.reserved[i] else n for i in range(n)]
        capacity = [
            math.inf if per is None else per * (functions[i].reserved_concurrency or 0) for i in range(n)
        ]
        capacity.append(
            math.inf if per is None or account.concurrency_limit is None else per * account.concurrency_limit
        )
        self.rate_capacity = capacity
        self.rate_tokens = list(capacity)
        self.rate_stamp = [0.0] * (n + 1)

        # Scaling: a per-function bucket of new environments, or the account's regional ceiling.
        scaling = account.scaling
        self.per_function = isinstance(scaling, PerFunctionScaling)
        self.regional = isinstance(scaling, RegionalBurstScaling)
        if self.per_function:
            assert isinstance(scaling, PerFunctionScaling)
            self.scale_burst = float(scaling.burst)
            self.scale_refill = scaling.burst / scaling.period
            self.scale_tokens = [self.scale_burst] * n
            self.scale_stamp = [0.0] * n
        if self.regional:
            assert isinstance(scaling, RegionalBurstScaling)
            self.regional_burst = scaling.burst
            self.regional_per_minute = scaling.per_minute
            self.exhausted_at: float | None = None

    # --- questions, asked in this order ---------------------------------------------------------
    def concurrency(self, f: int, now: float) -> int:
        """Refusal code if one more on-demand execution of ``f`` would exceed a concurrency limit."""
        if self.reserved[f]:
            if self.on_demand_busy[f] >= self.on_demand_limit[f]:
                return RESERVED_CONCURRENCY
        elif self.unreserved_used >= self.unreserved_pool:
            return ACCOUNT_CONCURRENCY
        if self.regional and self.total_on_demand_busy >= self.regional_ceiling(now):
            if self.exhausted_at is None:
                self.exhausted_at = now
            return SCALING_RATE
        return SERVED

    def regional_ceiling(self, now: float) -> float:
        if self.exhausted_at is None:
            return self.regional_burst
        minutes = math.floor((now - self.exhausted_at) / 60 + _EPSILON)
        return self.regional_burst + self.regional_per_minute * minutes

    def rate(self, f: int, now: float) -> int:
        """Refusal code if ``f`` has used its invocations per second (refills the bucket to ``now``)."""
        b = self.rate_bucket[f]
        capacity = self.rate_capacity[b]
        if capacity == math.inf:
            return SERVED
        self.rate_tokens[b] = min(capacity, self.rate_tokens[b] + (now - self.rate_stamp[b]) * capacity)
        self.rate_stamp[b] = now
        if self.rate_tokens[b] + _EPSILON >= 1.0:
            return SERVED
        return RESERVED_RATE if self.reserved[f] else ACCOUNT_RATE

    def new_environment(self, f: int, now: float) -> int:
        """Refusal code if ``f`` may not start another environment yet (refills its bucket to ``now``)."""
        if not self.per_function:
            return SERVED
        tokens = min(self.scale_burst, self.scale_tokens[f] + (now - self.scale_stamp[f]) * self.scale_refill)
        self.scale_tokens[f] = tokens
        self.scale_stamp[f] = now
        return SERVED if tokens + _EPSILON >= 1.0 else SCALING_RATE

    # --- what an admitted request spends ------------------------------------------------------------
    def spend_rate(self, f: int) -> None:
        b = self.rate_bucket[f]
        if self.rate_capacity[b] != math.inf:
            self.rate_tokens[b] -= 1.0

    def spend_environment(self, f: int) -> None:
        if self.per_function:
            self.scale_tokens[f] -= 1.0

    def start_on_demand(self, f: int) -> None:
        self.on_demand_busy[f] += 1
        self.total_on_demand_busy += 1
        if not self.reserved[f]:
            self.unreserved_used += 1

    def finish_on_demand(self, f: int) -> None:
        self.on_demand_busy[f] -= 1
        self.total_on_demand_busy -= 1
        if not self.reserved[f]:
            self.unreserved_used -= 1
