"""What a month of invocations costs: AWS's published us-east-1 prices, free tier, and init billing.

Prices change and differ by Region, so they live in a frozen ``Pricing`` value with its source and date
rather than in the arithmetic. The arithmetic follows AWS's pricing page: requests at a price per million,
compute in GB-seconds (memory in GB times billed seconds, 1 ms granularity since Dec 2020), and a monthly
free tier of 1M requests and 400,000 GB-s taken off on-demand usage. Since 1 Aug 2025 the INIT phase of
on-demand ZIP functions on managed runtimes is billed too, so cold starts cost money as well as latency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from lambdalab.aws_facts import MAX_MEMORY_MB, MIN_MEMORY_MB

if TYPE_CHECKING:
    from lambdalab.sim.account_results import AccountResult
    from lambdalab.sim.results import SimulationResult

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
    source="https://aws.amazon.com/lambda/pricing/ (us-east-1)",
    date="checked 2026-12",
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
    _check_memory(memory_mb)
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


def _check_memory(memory_mb: int) -> None:
    if memory_mb < MIN_MEMORY_MB or memory_mb > MAX_MEMORY_MB:
        raise ValueError(f"memory_mb must be within Lambda's {MIN_MEMORY_MB}-{MAX_MEMORY_MB:,} MB, got {memory_mb}")


def price_simulation(
    result: SimulationResult,
    memory_mb: int,
    architecture: Architecture = "x86_64",
    *,
    free_tier: bool = True,
    pricing: Pricing = US_EAST_1,
) -> MonthlyCost:
    """The monthly on-demand bill of a simulated single-function run, scaled from its horizon to a month.

    Every served request is billed (throttled ones are not), each for its own duration rounded up to the
    millisecond; cold ones include their init when ``pricing.init_billed`` (since 1 Aug 2025). Without init
    billing, each cold start is credited the mean init of the scenario (cold mean minus warm mean), since
    the single-function model draws cold durations whole.
    """
    _check_memory(memory_mb)
    scenario = result.scenario
    scale = SECONDS_PER_MONTH / scenario.horizon
    seconds = result.billed_seconds
    if not pricing.init_billed:
        init = max(0.0, scenario.cold_duration.mean - scenario.warm_duration.mean)
        seconds -= result.cold_starts * billed_seconds(init)
    gb_seconds = memory_mb / 1024 * seconds * scale
    invocations = result.served * scale
    free_requests = pricing.free_requests if free_tier else 0
    free_gb_seconds = pricing.free_gb_seconds if free_tier else 0.0
    return MonthlyCost(
        requests=max(0.0, invocations - free_requests) / 1e6 * pricing.per_million_requests,
        compute=max(0.0, gb_seconds - free_gb_seconds) * pricing.per_gb_second[architecture],
        provisioned=0.0,
        billed_gb_seconds=gb_seconds,
    )


@dataclass(frozen=True)
class AccountCost:
    """An account's month: each function's bill before the free tier, and the total after it."""

    functions: dict[str, MonthlyCost] = field(default_factory=dict)
    total: MonthlyCost = MonthlyCost(0.0, 0.0, 0.0, 0.0)


def price_account(result: AccountResult, *, free_tier: bool = True, pricing: Pricing = US_EAST_1) -> AccountCost:
    """The monthly bill of a simulated account run, scaled from its horizon to a month.

    Per function: requests (every execution, failed ones included) at the request price; on-demand
    billed GB-seconds at the architecture's price -- init included since Aug 2025, and a wait for a proxy
    connection too, since the function is running; provisioned concurrency billed for the whole month while
    enabled, plus its executions at the lower provisioned execution price. Throttled attempts cost nothing.
    The free tier (per account, on-demand usage only) comes off the total, not the per-function bills.
    """
    scale = SECONDS_PER_MONTH / result.account.horizon
    functions: dict[str, MonthlyCost] = {}
    od_requests_total = provisioned_requests_total = 0.0
    od_gb_seconds_by_arch: dict[str, float] = {}
    provisioned_execution_compute = 0.0
    for spec in result.account.functions:
        fr = result.functions[spec.name]
        seconds = fr.billed_seconds_on_demand - (0.0 if pricing.init_billed else fr.billed_init_seconds)
        od_requests = (fr.executions - fr.provisioned_executions + fr.database_refusals) * scale
        od_gb_seconds = spec.gb * seconds * scale
        requests = (od_requests + fr.provisioned_executions * scale) / 1e6 * pricing.per_million_requests
        compute = od_gb_seconds * pricing.per_gb_second[spec.architecture]
        provisioned = prov_gb_seconds = 0.0
        if spec.provisioned_concurrency:
            enabled = pricing.provisioned_per_gb_second_enabled[spec.architecture]
            execution = pricing.provisioned_per_gb_second_execution[spec.architecture]
            if enabled is None or execution is None:
                raise ValueError(f"no verified provisioned concurrency price for {spec.architecture}")
            prov_gb_seconds = spec.gb * fr.billed_seconds_provisioned * scale
            compute += prov_gb_seconds * execution
            provisioned_execution_compute += prov_gb_seconds * execution
            provisioned = spec.provisioned_concurrency * spec.gb * SECONDS_PER_MONTH * enabled
        functions[spec.name] = MonthlyCost(requests, compute, provisioned, od_gb_seconds + prov_gb_seconds)
        od_requests_total += od_requests
        provisioned_requests_total += fr.provisioned_executions * scale
        arch = spec.architecture
        od_gb_seconds_by_arch[arch] = od_gb_seconds_by_arch.get(arch, 0.0) + od_gb_seconds

    free_requests = pricing.free_requests if free_tier else 0
    free_left = pricing.free_gb_seconds if free_tier else 0.0
    on_demand_compute = 0.0
    # The free GB-seconds go to the dearer architecture first, as a bill would apply them.
    for arch in sorted(od_gb_seconds_by_arch, key=lambda a: -pricing.per_gb_second[a]):
        used = od_gb_seconds_by_arch[arch]
        credited = min(used, free_left)
        free_left -= credited
        on_demand_compute += (used - credited) * pricing.per_gb_second[arch]
    billed_requests = max(0.0, od_requests_total - free_requests) + provisioned_requests_total
    total = MonthlyCost(
        requests=billed_requests / 1e6 * pricing.per_million_requests,
        compute=on_demand_compute + provisioned_execution_compute,
        provisioned=sum(c.provisioned for c in functions.values()),
        billed_gb_seconds=sum(c.billed_gb_seconds for c in functions.values()),
    )
    return AccountCost(functions=functions, total=total)


def provisioned_break_even_utilisation(architecture: Architecture = "x86_64", pricing: Pricing = US_EAST_1) -> float:
    """Utilisation above which a provisioned environment is cheaper than on-demand for the same work.

    A provisioned GB-second costs the enabled price whether used or not, plus the execution price when
    used; on-demand costs its price only when used. Equal at u x on_demand = enabled + u x execution.
    (Init billing since Aug 2025 makes on-demand a little dearer still, so this is a conservative bound.)
    """
    enabled = pricing.provisioned_per_gb_second_enabled[architecture]
    execution = pricing.provisioned_per_gb_second_execution[architecture]
    if enabled is None or execution is None:
        raise ValueError(f"no verified provisioned concurrency price for {architecture}")
    return enabled / (pricing.per_gb_second[architecture] - execution)
