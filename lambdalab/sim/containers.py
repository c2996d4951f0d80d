"""The alternative: the same traffic on an always-on container fleet (AWS Fargate), for cost comparisons.

Lambda bills per request and per GB-second used; a fleet bills per task-hour whether busy or not. At low
or spiky traffic Lambda wins; at high, steady traffic a fleet sized for the load does. This module sizes a
fleet the usual way and prices it, so a lesson can find the crossover instead of asserting one.

Assumptions, stated because they decide the answer:

- price: Fargate Linux/x86 in us-east-1, $0.04048 per vCPU-hour and $0.004445 per GB-hour (AWS Fargate
  pricing page, https://aws.amazon.com/fargate/pricing/, as quoted by Vantage and others in March 2026);
  per-second billing, no free tier, no Savings Plans or Spot, no load balancer (about $16/month plus
  LCUs, which only widens Lambda's lead at low traffic);
- capacity: each task serves ``concurrency_per_task`` requests at once (1 per vCPU for CPU-bound
  handlers, more for I/O-bound ones), and the fleet is sized by Little's law for the *peak* rate at
  ``target_utilisation`` (auto scaling's usual 60-70 %), never below ``min_tasks`` (two, for availability).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lambdalab.sim.cost import SECONDS_PER_MONTH, US_EAST_1, Architecture, Pricing, billed_seconds


@dataclass(frozen=True)
class FargatePricing:
    per_vcpu_hour: float
    per_gb_hour: float
    source: str
    date: str


FARGATE_US_EAST_1 = FargatePricing(
    per_vcpu_hour=0.04048,
    per_gb_hour=0.004445,
    source="https://aws.amazon.com/fargate/pricing/ (Linux/x86, us-east-1)",
    date="2026-03",
)


@dataclass(frozen=True)
class ContainerFleet:
    """A fleet of identical tasks: their size, how many requests each serves at once, and how it is sized."""

    vcpu: float = 1.0
    memory_gb: float = 2.0
    concurrency_per_task: int = 1
    target_utilisation: float = 0.65
    min_tasks: int = 2
    pricing: FargatePricing = FARGATE_US_EAST_1

    def __post_init__(self) -> None:
        if self.vcpu <= 0 or self.memory_gb <= 0 or self.concurrency_per_task < 1 or self.min_tasks < 0:
            raise ValueError("vcpu and memory_gb must be > 0, concurrency_per_task >= 1, min_tasks >= 0")
        if not 0 < self.target_utilisation <= 1:
            raise ValueError(f"target_utilisation must be in (0, 1], got {self.target_utilisation}")

    @property
    def task_hour(self) -> float:
        return self.vcpu * self.pricing.per_vcpu_hour + self.memory_gb * self.pricing.per_gb_hour

    def tasks_for(self, peak_rate: float, duration: float) -> int:
        """Tasks needed for ``peak_rate`` requests a second lasting ``duration`` seconds (Little's law)."""
        busy = peak_rate * duration
        return max(self.min_tasks, math.ceil(busy / (self.concurrency_per_task * self.target_utilisation)))

    def monthly_cost(self, peak_rate: float, duration: float) -> float:
        """Dollars a month for a fleet sized for ``peak_rate``, running all month."""
        return self.tasks_for(peak_rate, duration) * self.task_hour * SECONDS_PER_MONTH / 3600


def lambda_monthly_cost_at_rate(
    rate: float,
    duration: float,
    memory_mb: int,
    architecture: Architecture = "x86_64",
    *,
    cold_fraction: float = 0.0,
    init_duration: float = 0.0,
    free_tier: bool = False,
    pricing: Pricing = US_EAST_1,
) -> float:
    """On-demand Lambda dollars a month for a steady ``rate`` (per second) of ``duration``-second requests."""
    invocations = rate * SECONDS_PER_MONTH
    seconds = invocations * billed_seconds(duration)
    if pricing.init_billed:
        seconds += invocations * cold_fraction * billed_seconds(init_duration)
    gb_seconds = memory_mb / 1024 * seconds
    free_requests = pricing.free_requests if free_tier else 0
    free_gb_seconds = pricing.free_gb_seconds if free_tier else 0.0
    return (
        max(0.0, invocations - free_requests) / 1e6 * pricing.per_million_requests
        + max(0.0, gb_seconds - free_gb_seconds) * pricing.per_gb_second[architecture]
    )


def crossover_rate(
    duration: float,
    memory_mb: int,
    fleet: ContainerFleet = ContainerFleet(),
    architecture: Architecture = "x86_64",
    peak_to_mean: float = 1.0,
    low: float = 1e-3,
    high: float = 1e5,
    points: int = 601,
) -> float:
    """The mean rate (per second) from which on the fleet stays cheaper than Lambda, on a log grid.

    ``peak_to_mean``: the fleet is sized for the peak (mean x this), Lambda pays for the mean. The fleet's
    cost is a staircase (whole tasks), so "cheaper" can flip back and forth at low rates; this returns
    the first grid rate after which it never flips back, or ``math.inf`` if Lambda is still cheaper at
    ``high`` (as it is when a task serves no more requests at once than Lambda's environments do).
    """
    rates = np.logspace(math.log10(low), math.log10(high), points)
    cheaper = np.array(
        [
            fleet.monthly_cost(r * peak_to_mean, duration)
            < lambda_monthly_cost_at_rate(r, duration, memory_mb, architecture)
            for r in rates
        ]
    )
    if not cheaper[-1]:
        return math.inf
    flips = np.flatnonzero(~cheaper)
    return float(rates[0] if len(flips) == 0 else rates[flips[-1] + 1])
