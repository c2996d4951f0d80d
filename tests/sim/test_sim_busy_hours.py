"""The busy-hours model: a traffic step meets cold starts unless provisioned environments are ready, and the
bill counts provisioned concurrency only for the busy hours."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from lambdalab.sim.busy_hours import BusyHours

SALE = BusyHours(
    requests_per_second=200.0,
    duration_median_ms=100.0,
    duration_sigma=0.3,
    init_ms=3000.0,
    memory_mb=1024,
    busy_hours=8.0,
    p99_objective_ms=400.0,
)


def test_when_nothing_is_provisioned_then_the_first_minute_p99_is_the_cold_start():
    run = SALE.simulate(0, seed=1)
    first, second = run.minute_p99_ms
    assert first >= SALE.init_ms  # more than 1 % of the first minute waited for an Init
    assert second < SALE.p99_objective_ms  # by the second minute the on-demand environments are warm
    assert not SALE.meets_objective(run)
    assert run.cold_starts > 0.01 * SALE.requests_per_second * 60


def test_when_enough_environments_are_provisioned_then_no_request_starts_cold_and_the_objective_holds():
    enough = math.ceil(SALE.mean_busy + 6 * math.sqrt(SALE.mean_busy))
    run = SALE.simulate(enough, seed=1)
    assert run.cold_starts == 0 and run.spillover == 0
    warm_p99 = SALE.duration_median_ms * math.exp(2.326 * SALE.duration_sigma)
    assert run.worst_minute_p99_ms == pytest.approx(warm_p99, rel=0.15)
    assert SALE.meets_objective(run)


def test_the_bill_counts_provisioned_concurrency_for_the_busy_hours_only_and_grows_with_idle_environments():
    run = SALE.simulate(30, seed=1)
    assert replace(SALE, busy_hours=16.0).simulate(30, seed=1).monthly_cost == pytest.approx(2 * run.monthly_cost)
    idle = SALE.simulate(300, seed=1)
    # 270 more environments, idle: 270 x 1 GB x 8 h x 30.4 days x $0.0000041667 per GB-second enabled
    extra = 270 * 1.0 * 8 * 3600 * 730 / 24 * 0.0000041667
    assert idle.monthly_cost - run.monthly_cost == pytest.approx(extra, rel=0.1)


def test_bad_provisioned_concurrency_is_refused_with_what_was_given():
    with pytest.raises(ValueError, match="int >= 0, got -1"):
        SALE.simulate(-1)
    with pytest.raises(ValueError, match="busy_hours"):
        replace(SALE, busy_hours=30.0)
