"""Provisioned concurrency for the busy hours: what the first minutes after a traffic step cost and feel like.

Every day at the same hour traffic jumps from almost nothing to its busy rate (a sale opens, an office logs
in). Without environments ready, each request that finds no idle one waits for a cold start (Init
Duration), and the first minute's p99 -- what a p99 alarm with a 60-second period sees -- is the init cost.
Provisioned concurrency, scheduled for the busy hours, keeps environments initialised; requests beyond it
spill over to on-demand environments, which start cold.

``BusyHours.simulate(provisioned, seed)`` runs the first ``window`` seconds of the busy hours in the account
simulator (synchronous callers, no scaling limit or rate cap: the step is the only thing measured) and
returns the worst one-minute p99 of the latency callers see (init included) and the month's bill for the
busy hours at AWS's prices (``cost.US_EAST_1``), provisioned concurrency enabled only while they last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lambdalab.sim.account import Account, FunctionSpec
from lambdalab.sim.arrivals import PoissonArrivals
from lambdalab.sim.callers import Synchronous
from lambdalab.sim.cost import US_EAST_1, Pricing, price_account
from lambdalab.sim.distributions import Constant, LogNormal
from lambdalab.sim.simulate import simulate_account

#: The p99 alarm's period: the objective holds in every minute, the first one after the step included.
MINUTE = 60.0


@dataclass(frozen=True)
class BusyHoursRun:
    """One simulated start of the busy hours with ``provisioned`` environments."""

    provisioned: int
    worst_minute_p99_ms: float
    minute_p99_ms: tuple[float, ...]
    cold_starts: int
    spillover: int
    provisioned_utilisation: float
    monthly_cost: float


@dataclass(frozen=True)
class BusyHours:
    """A service whose traffic steps to ``requests_per_second`` for ``busy_hours`` a day.

    Durations are log-normal (``duration_median_ms``, ``duration_sigma``); a cold start adds ``init_ms``.
    The objective: the p99 latency callers see is at most ``p99_objective_ms`` in every minute.
    """

    requests_per_second: float
    duration_median_ms: float
    duration_sigma: float
    init_ms: float
    memory_mb: int
    busy_hours: float
    p99_objective_ms: float
    window: float = 2 * MINUTE

    def __post_init__(self) -> None:
        if not self.requests_per_second > 0:
            raise ValueError(f"requests_per_second must be > 0, got {self.requests_per_second!r}")
        if not 0 < self.busy_hours <= 24:
            raise ValueError(f"busy_hours must be within (0, 24], got {self.busy_hours!r}")
        if self.window < MINUTE or self.window % MINUTE:
            raise ValueError(f"window must be whole minutes, got {self.window!r} s")

    @classmethod
    def of(cls, profile: dict) -> BusyHours:
        """From the plain dict a lab hands out (the field names above)."""
        return cls(**profile)

    @property
    def mean_busy(self) -> float:
        """Environments busy on average (Little's law: rate x mean duration)."""
        mean_s = self.duration_median_ms / 1000 * math.exp(self.duration_sigma**2 / 2)
        return self.requests_per_second * mean_s

    def simulate(self, provisioned: int, seed: int = 0, pricing: Pricing = US_EAST_1) -> BusyHoursRun:
        """The first ``window`` seconds of the busy hours with ``provisioned`` environments ready."""
        if isinstance(provisioned, bool) or not isinstance(provisioned, int) or provisioned < 0:
            raise ValueError(f"provisioned concurrency must be an int >= 0, got {provisioned!r}")
        spec = FunctionSpec(
            "service",
            PoissonArrivals(self.requests_per_second),
            LogNormal(self.duration_median_ms / 1000, self.duration_sigma),
            init_duration=Constant(self.init_ms / 1000),
            memory_mb=self.memory_mb,
            provisioned_concurrency=provisioned,
            caller=Synchronous(max_attempts=1),
        )
        account = Account(
            [spec], horizon=self.window, concurrency_limit=None, scaling=None, requests_per_concurrency=None
        )
        result = simulate_account(account, seed=seed, progress=False)
        fr = result["service"]
        minutes = self._minute_p99s(result)
        # price_account bills provisioned concurrency for a whole month; without the free tier every item is
        # proportional to time, so the busy hours' share of the day scales the bill exactly.
        monthly = price_account(result, free_tier=False, pricing=pricing).total.total * self.busy_hours / 24
        return BusyHoursRun(
            provisioned=provisioned,
            worst_minute_p99_ms=max(minutes),
            minute_p99_ms=minutes,
            cold_starts=fr.cold_starts,
            spillover=fr.spillover,
            provisioned_utilisation=fr.provisioned_utilisation,
            monthly_cost=monthly,
        )

    def _minute_p99s(self, result: object) -> tuple[float, ...]:
        trace = result.trace  # type: ignore[attr-defined]
        served = np.flatnonzero(trace.outcome == 0)
        arrivals = np.full(len(trace.outcome), np.nan)
        first = np.unique(trace.request, return_index=True)
        arrivals[first[0]] = trace.time[first[1]]
        latency_ms = (trace.done_at[served] - arrivals[served]) * 1000
        minute = np.floor(arrivals[served] / MINUTE)
        return tuple(
            float(np.percentile(latency_ms[minute == m], 99)) if np.any(minute == m) else 0.0
            for m in range(int(self.window // MINUTE))
        )

    def meets_objective(self, run: BusyHoursRun) -> bool:
        return run.worst_minute_p99_ms <= self.p99_objective_ms
