"""What a month of invocations costs: AWS's published us-east-1 prices, free tier, and init billing.

Prices change and differ by Region, so they live in a frozen ``Pricing`` value with its source and date
rather than in the arithmetic. The arithmetic follows AWS's pricing page: requests at a price per million,
compute in GB-seconds (memory in GB times billed seconds, 1 ms granularity since Dec 2020), and a monthly
free tier of 1M requests and 400,000 GB-s taken off on-demand usage. Since 1 Aug 2025 the INIT phase of
on-demand ZIP functions on managed runtimes is billed too, so cold starts cost money as well as latency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Architecture = Literal["x86_64", "arm64"]


@dataclass(frozen=True)
class Pricing:
    """Lambda's prices in one Region. ``provisioned_*`` are ``None`` where we have no verified figure."""

    per_million_requests: float
    per_gb_second: dict[str, float]
    provisioned_per_gb_second_enabled: dict[str, float | None]
    provisioned_per_gb_second_execution: dict[str, float | None]
    free_requests: int
    free_gb_seconds: float
    init_billed: bool
    source: str
    date: str


US_EAST_1 = Pricing(
    per_million_requests=0.20,
    per_gb_second={"x86_64": 0.0000166667, "arm64": 0.0000133334},
    provisioned_per_gb_second_enabled={"x86_64": 0.0000041667, "arm64": None},
    provisioned_per_gb_second_execution={"x86_64": 0.0000097222, "arm64": None},
    free_requests=1_000_000,
    free_gb_seconds=400_000.0,
    init_billed=True,
    source="https://aws.amazon.com/lambda/pricing/ (us-east-1), as recorded in lambdalab FACTS.md",
    date="2025-08",
)

SECONDS_PER_MONTH = 730 * 3600  # AWS's pricing examples use 730 hours a month


@dataclass(frozen=True)
class MonthlyCost:
    """A month's bill, itemised the way AWS's pricing examples are."""

    requests: float
    compute: float
    provisioned: float
    billed_gb_seconds: float

    @property
    def total(self) -> float:
        return self.requests + self.compute + self.provisioned


def billed_seconds(duration: float) -> float:
    """Billed duration of one invocation: rounded up to the next millisecond (since Dec 2020)."""
    return math.ceil(round(duration * 1000, 6)) / 1000


def monthly_cost(
    invocations: int,
    duration: float,
    memory_mb: int,
    architecture: Architecture = "x86_64",
    *,
    cold_starts: int = 0,
    init_duration: float = 0.0,
    free_tier: bool = True,
    pricing: Pricing = US_EAST_1,
) -> MonthlyCost:
    """On-demand cost of ``invocations`` a month, each running ``duration`` seconds.

    ``cold_starts`` of them also bill ``init_duration`` seconds when ``pricing.init_billed`` (the rule since
    Aug 2025). AWS's own example: 3M invocations of 1 s at 512 MB on x86 with the free tier cost $18.73.
    """
    if memory_mb < 128 or memory_mb > 10_240:
        raise ValueError(f"memory_mb must be within Lambda's 128-10,240 MB, got {memory_mb}")
    if not 0 <= cold_starts <= invocations:
        raise ValueError(f"cold_starts must be between 0 and invocations ({invocations}), got {cold_starts}")
    gb = memory_mb / 1024
    seconds = invocations * billed_seconds(duration)
    if pricing.init_billed:
        seconds += cold_starts * billed_seconds(init_duration)
    gb_seconds = gb * seconds
    free_requests = pricing.free_requests if free_tier else 0
    free_gb_seconds = pricing.free_gb_seconds if free_tier else 0.0
    return MonthlyCost(
        requests=max(0, invocations - free_requests) / 1e6 * pricing.per_million_requests,
        compute=max(0.0, gb_seconds - free_gb_seconds) * pricing.per_gb_second[architecture],
        provisioned=0.0,
        billed_gb_seconds=gb_seconds,
    )


def provisioned_monthly_cost(
    provisioned: int,
    invocations: int,
    duration: float,
    memory_mb: int,
    architecture: Architecture = "x86_64",
    *,
    enabled_seconds: float = SECONDS_PER_MONTH,
    pricing: Pricing = US_EAST_1,
) -> MonthlyCost:
    """Cost of ``provisioned`` environments kept initialised for ``enabled_seconds``, serving every
    invocation (none spilling over to on-demand): billed while enabled, plus a lower execution price."""
    enabled_price = pricing.provisioned_per_gb_second_enabled[architecture]
    execution_price = pricing.provisioned_per_gb_second_execution[architecture]
    if enabled_price is None or execution_price is None:
        raise ValueError(f"no verified provisioned concurrency price for {architecture} in {pricing.source}")
    gb = memory_mb / 1024
    execution_gb_seconds = gb * invocations * billed_seconds(duration)
    return MonthlyCost(
        requests=invocations / 1e6 * pricing.per_million_requests,
        compute=execution_gb_seconds * execution_price,
        provisioned=provisioned * gb * enabled_seconds * enabled_price,
        billed_gb_seconds=execution_gb_seconds,
    )
