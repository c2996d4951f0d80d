"""Bills from simulated runs: one function, a whole account with provisioned concurrency and the free
tier, the provisioned break-even, and the container fleet it is compared with."""

from __future__ import annotations

import dataclasses
import math

import pytest

from lambdalab.sim import (
    US_EAST_1,
    Account,
    BurstArrivals,
    Constant,
    ConstantRateArrivals,
    ContainerFleet,
    FunctionSpec,
    PoissonArrivals,
    Scenario,
    crossover_rate,
    lambda_monthly_cost_at_rate,
    price_account,
    price_simulation,
    provisioned_break_even_utilisation,
    simulate,
    simulate_account,
)
from lambdalab.sim.cost import SECONDS_PER_MONTH


def test_when_a_simulated_month_of_aws_pricing_example_is_priced_then_it_costs_18_73() -> None:
    """Validation case 8 from a run: 3M one-second invocations a month at 512 MB (free tier applied)."""
    rate = 3_000_000 / SECONDS_PER_MONTH
    scenario = Scenario(ConstantRateArrivals(rate), Constant(1.0), Constant(1.0), horizon=SECONDS_PER_MONTH / 500)
    result = simulate(scenario)
    cost = price_simulation(result, memory_mb=512)
    assert result.served == pytest.approx(6_000, abs=1)
    assert cost.total == pytest.approx(18.73, abs=0.02)


def test_when_cold_starts_are_priced_then_their_init_is_billed_since_august_2025() -> None:
    fn = FunctionSpec("f", PoissonArrivals(0.05), Constant(0.1), init_duration=Constant(0.4), keep_alive=30.0,
                      memory_mb=1024)
    result = simulate_account(Account((fn,), horizon=20_000.0), seed=1)
    fr = result["f"]
    assert fr.billed_init_seconds == pytest.approx(fr.cold_starts * 0.4)
    assert fr.billed_seconds_on_demand == pytest.approx(fr.executions * 0.1 + fr.cold_starts * 0.4)
    with_init = price_account(result, free_tier=False).total
    before = price_account(result, free_tier=False, pricing=dataclasses.replace(US_EAST_1, init_billed=False)).total
    scale = SECONDS_PER_MONTH / 20_000.0
    assert with_init.compute - before.compute == pytest.approx(
        fr.cold_starts * 0.4 * scale * US_EAST_1.per_gb_second["x86_64"]
    )


def test_when_provisioned_concurrency_sits_idle_all_month_then_it_still_bills_while_enabled() -> None:
    idle = FunctionSpec("idle", BurstArrivals(0.0), Constant(0.1), memory_mb=1024, provisioned_concurrency=10)
    cost = price_account(simulate_account(Account((idle,), horizon=3600.0)))
    assert cost.functions["idle"].provisioned == pytest.approx(10 * 730 * 3600 * 0.0000041667)
    assert cost.total.requests == 0 and cost.total.compute == 0


def test_when_an_account_is_priced_then_the_free_tier_comes_off_the_total_not_each_function() -> None:
    functions = tuple(FunctionSpec(n, PoissonArrivals(0.05), Constant(0.2)) for n in ("a", "b"))
    cost = price_account(simulate_account(Account(functions, horizon=10_000.0), seed=2))
    assert all(c.total > 0 for c in cost.functions.values())
    assert cost.total.total == 0.0  # about 260,000 requests and 26,000 GB-s a month: inside the free tier
    without = price_account(simulate_account(Account(functions, horizon=10_000.0), seed=2), free_tier=False)
    assert without.total.total == pytest.approx(sum(c.total for c in without.functions.values()))


def test_when_provisioned_concurrency_grows_then_cold_starts_fall() -> None:
    colds = []
    for provisioned in (0, 2, 4, 8):
        fn = FunctionSpec("api", PoissonArrivals(3.0), Constant(0.5), init_duration=Constant(1.0), keep_alive=2.0,
                          provisioned_concurrency=provisioned)
        colds.append(simulate_account(Account((fn,), horizon=3_000.0), seed=3)["api"].cold_starts)
    assert all(b < a for a, b in zip(colds, colds[1:], strict=False))
    assert colds[-1] <= 2


@pytest.mark.parametrize(("rate", "pays"), [(20.0, True), (1.0, False)], ids=["busy", "quiet"])
def test_when_provisioned_environments_are_busier_than_the_break_even_then_they_lower_the_bill(rate, pays):
    """Five provisioned environments under 10 erlangs are busy 87 % of the time (Erlang overflow): cheaper
    than on-demand. Under 0.5 erlangs they are busy 10 %: dearer. (No init, to isolate the prices.)"""

    def bill(provisioned: int) -> float:
        fn = FunctionSpec("api", PoissonArrivals(rate), Constant(0.5), init_duration=Constant(0.0),
                          memory_mb=1024, keep_alive=2.0, provisioned_concurrency=provisioned)
        return price_account(simulate_account(Account((fn,), horizon=1_000.0), seed=4), free_tier=False).total.total

    assert (bill(5) < bill(0)) is pays


def test_when_provisioned_concurrency_is_busier_than_60_percent_then_it_is_cheaper_than_on_demand() -> None:
    """The x86 prices: enabled $0.0000041667 + execution $0.0000097222 vs on-demand $0.0000166667 per GB-s."""
    u = provisioned_break_even_utilisation("x86_64")
    assert u == pytest.approx(0.6, abs=1e-4)
    for busy, cheaper in ((0.5, False), (0.7, True)):
        on_demand = busy * US_EAST_1.per_gb_second["x86_64"]
        provisioned = 0.0000041667 + busy * 0.0000097222
        assert (provisioned < on_demand) is cheaper


def test_when_a_fleet_serves_several_requests_per_task_then_it_becomes_cheaper_above_a_crossover_rate() -> None:
    fleet = ContainerFleet(vcpu=1, memory_gb=2, concurrency_per_task=10)
    crossover = crossover_rate(0.1, 1024, fleet)
    assert 5 < crossover < 50
    assert fleet.monthly_cost(crossover * 2, 0.1) < lambda_monthly_cost_at_rate(crossover * 2, 0.1, 1024)
    assert fleet.monthly_cost(crossover / 2, 0.1) > lambda_monthly_cost_at_rate(crossover / 2, 0.1, 1024)
    # one request per task (no multiplexing of I/O waits) and a small Lambda: Lambda never loses
    assert crossover_rate(0.1, 512, ContainerFleet(concurrency_per_task=1)) == math.inf
    # a fleet sized for a spiky peak costs more: the crossover moves up
    assert crossover_rate(0.1, 1024, fleet, peak_to_mean=10) > crossover
