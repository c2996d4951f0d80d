"""Validation cases (docs/validation.md) 5-8: reserved concurrency, scaling since Nov 2023, SQS duplicates, and cost."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lambdalab.sim import Constant, Exponential, PoissonArrivals, Scenario, simulate
from lambdalab.sim.cost import billed_seconds, monthly_cost, provisioned_monthly_cost
from lambdalab.sim.scaling import PerFunctionScaling, RegionalBurstScaling, scale_out
from lambdalab.sim.scenario import ACCOUNT_LIMIT_EXCEEDED, RESERVED_LIMIT_EXCEEDED
from lambdalab.sim.sqs import simulate_visibility


def _erlang_b(servers: int, load: float) -> float:
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def test_when_reserved_concurrency_is_100_at_500_per_second_then_7_6_percent_get_a_reserved_429() -> None:
    """Case 5: synchronous callers without retry; 100 erlangs offered to 100 reserved environments."""
    scenario = Scenario(
        PoissonArrivals(500.0), Constant(0.2), Constant(0.2), horizon=400.0, reserved_concurrency=100
    )
    result = simulate(scenario, seed=5)
    assert _erlang_b(100, 100.0) == pytest.approx(0.0757, abs=5e-5)
    assert result.throttled_fraction == pytest.approx(0.0757, abs=0.004)
    assert result.peak_busy <= 100
    assert result.throttle_reasons == {RESERVED_LIMIT_EXCEEDED: result.throttles}


def test_when_a_function_has_no_reserved_concurrency_then_its_throttles_carry_the_account_reason() -> None:
    scenario = Scenario(PoissonArrivals(500.0), Constant(0.2), Constant(0.2), 100.0, concurrency_limit=100)
    result = simulate(scenario, seed=5)
    assert result.throttles > 0
    assert result.throttle_reasons == {ACCOUNT_LIMIT_EXCEEDED: result.throttles}


def test_when_reserved_concurrency_would_leave_under_100_unreserved_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="unreserved"):
        Scenario(
            PoissonArrivals(1.0),
            Constant(1),
            Constant(1),
            10,
            concurrency_limit=1000,
            reserved_concurrency=901,
        )


def _at(times: np.ndarray, available: np.ndarray, t: float) -> int:
    return int(available[np.searchsorted(times, t - 1e-9)])


def test_when_20000_long_requests_hit_a_cold_function_then_it_scales_1000_per_10_seconds_to_10000_at_90s():
    """Case 6: since 26 Nov 2023, per function, refilled continuously."""
    times, available = scale_out(PerFunctionScaling(), lambda t: 20_000, account_limit=30_000, horizon=300)
    assert _at(times, available, 0.0) == 1000
    reached = float(times[np.argmax(available >= 10_000)])
    assert reached == pytest.approx(90.0, abs=10.0)
    assert available[-1] == 20_000  # then it meets demand


def test_when_a_function_was_idle_then_its_unused_scaling_allowance_was_not_banked() -> None:
    demand = lambda t: 0 if t < 3600 else 20_000  # noqa: E731
    times, available = scale_out(PerFunctionScaling(), demand, account_limit=30_000, horizon=3700)
    assert _at(times, available, 3600.0) == 1000
    assert _at(times, available, 3610.0) == pytest.approx(2000, abs=10)


def test_when_demand_exceeds_the_account_limit_then_scaling_stops_at_the_limit() -> None:
    times, available = scale_out(PerFunctionScaling(), lambda t: 50_000, account_limit=5_000, horizon=120)
    assert available.max() == 5_000


def test_when_scaling_follows_the_pre_2023_regional_burst_then_it_jumps_to_3000_and_adds_500_a_minute() -> (
    None
):
    model = RegionalBurstScaling.for_region("us-east-1")
    times, available = scale_out(model, lambda t: 20_000, account_limit=30_000, horizon=300)
    assert [_at(times, available, t) for t in (0, 59.9, 60, 120, 300)] == [3000, 3000, 3500, 4000, 5500]
    assert RegionalBurstScaling.for_region("eu-central-1").burst == 1000
    assert RegionalBurstScaling.for_region("sa-east-1").burst == 500


def test_when_processing_averages_10s_under_a_30s_visibility_timeout_then_e_minus_3_are_delivered_twice():
    """Case 7: no failures, yet a first copy still running at 30 s makes SQS deliver the message again."""
    result = simulate_visibility(200_000, Exponential(10.0), visibility_timeout=30.0, seed=7)
    assert result.duplicate_fraction == pytest.approx(math.exp(-3), abs=0.005)
    assert result.deliveries.min() == 1


def test_when_the_visibility_timeout_is_six_times_the_longest_run_then_no_message_is_duplicated() -> None:
    result = simulate_visibility(10_000, Constant(10.0), visibility_timeout=60.0)
    assert result.duplicate_fraction == 0.0


def test_when_aws_pricing_example_is_priced_then_the_month_costs_18_73() -> None:
    """Case 8: 512 MB, 3M invocations of 1 s, x86, free tier applied."""
    cost = monthly_cost(3_000_000, duration=1.0, memory_mb=512, architecture="x86_64")
    assert cost.total == pytest.approx(18.73, abs=0.02)
    assert cost.requests == pytest.approx(0.40)


def test_when_the_same_month_runs_on_arm64_then_compute_is_20_percent_cheaper() -> None:
    x86 = monthly_cost(3_000_000, 1.0, 512, "x86_64")
    arm = monthly_cost(3_000_000, 1.0, 512, "arm64")
    assert arm.compute / x86.compute == pytest.approx(0.0000133334 / 0.0000166667)


def test_when_cold_starts_bill_their_init_since_aug_2025_then_the_month_costs_more() -> None:
    warm_only = monthly_cost(3_000_000, 0.1, 1024, free_tier=False)
    with_init = monthly_cost(3_000_000, 0.1, 1024, free_tier=False, cold_starts=30_000, init_duration=0.5)
    assert with_init.billed_gb_seconds - warm_only.billed_gb_seconds == pytest.approx(30_000 * 0.5)


def test_when_durations_are_billed_then_they_round_up_to_the_millisecond() -> None:
    assert billed_seconds(0.0151) == pytest.approx(0.016)
    assert billed_seconds(0.015) == pytest.approx(0.015)


def test_when_provisioned_concurrency_is_enabled_all_month_then_it_bills_while_idle() -> None:
    idle = provisioned_monthly_cost(10, invocations=0, duration=0.1, memory_mb=1024)
    assert idle.provisioned == pytest.approx(10 * 1.0 * 730 * 3600 * 0.0000041667)
    assert idle.compute == 0.0
    with pytest.raises(ValueError, match="arm64"):
        provisioned_monthly_cost(10, 0, 0.1, 1024, "arm64")
