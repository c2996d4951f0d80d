"""Properties that hold for every run, whatever the numbers: conservation, limits, monotonicity, seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_helpers import hand_scenario, hand_workload

from lambdalab.sim import (
    Exponential,
    LogNormal,
    PoissonArrivals,
    Scenario,
    Shifted,
    draw_workload,
    run_fast,
    simulate,
    summarize,
)


def _loaded(limit: int | None, routing: str = "newest", keep_alive: float = 5.0) -> Scenario:
    return Scenario(
        PoissonArrivals(20.0),
        LogNormal(0.4, 0.6),
        Shifted(0.3, LogNormal(0.4, 0.6)),
        horizon=2e3,
        keep_alive=keep_alive,
        concurrency_limit=limit,
        routing=routing,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("limit", [None, 0, 1, 5, 12])
@pytest.mark.parametrize("routing", ["newest", "oldest"])
def test_when_requests_arrive_then_each_is_either_served_or_throttled_and_busy_never_exceeds_the_limit(
    limit: int | None, routing: str
) -> None:
    result = simulate(_loaded(limit, routing), seed=1)
    assert result.requests == result.served + result.throttles
    assert result.cold_starts <= result.served
    if limit is not None:
        assert result.peak_busy <= limit
        assert np.all(result.series.busy <= limit + 1e-9)
    assert result.peak_busy <= result.peak_live
    assert 0 <= result.mean_busy <= result.mean_live
    assert result.mean_idle == pytest.approx(result.mean_live - result.mean_busy)
    if limit == 0:
        assert result.served == 0 and result.throttled_fraction == 1.0
    if limit is None:
        assert result.throttles == 0


def test_when_the_limit_binds_then_requests_are_throttled_rather_than_queued() -> None:
    result = simulate(_loaded(5), seed=1)
    assert result.throttles > 0 and result.peak_busy == 5
    # no queueing: every served request's latency is one of its own pre-drawn durations
    workload = draw_workload(_loaded(5), seed=1)
    assert result.latency_p99 <= max(workload.cold_durations.max(), workload.warm_durations.max())


def test_when_the_same_seed_is_used_then_the_result_is_identical_and_another_seed_differs() -> None:
    a, b, c = (simulate(_loaded(12), seed=s) for s in (3, 3, 4))
    assert (a.requests, a.cold_starts, a.throttles, a.mean_live) == (
        b.requests,
        b.cold_starts,
        b.throttles,
        b.mean_live,
    )
    assert (a.requests, a.mean_live) != (c.requests, c.mean_live)


def test_when_only_the_cold_distribution_changes_then_arrivals_and_warm_durations_are_unchanged() -> None:
    """Common random numbers: scenarios differ only where they differ."""
    base = _loaded(None)
    other = Scenario(base.arrivals, base.warm_duration, Exponential(9.0), base.horizon, keep_alive=60.0)
    w1, w2 = draw_workload(base, seed=8), draw_workload(other, seed=8)
    assert np.array_equal(w1.arrival_times, w2.arrival_times)
    assert np.array_equal(w1.warm_durations, w2.warm_durations)
    assert not np.array_equal(w1.cold_durations, w2.cold_durations)


def test_when_keep_alive_grows_then_the_cold_start_fraction_falls() -> None:
    keep_alives = [0.0, 10.0, 60.0, 300.0, 600.0, 1800.0]
    fractions = []
    for keep_alive in keep_alives:
        scenario = Scenario(
            PoissonArrivals(0.02), Exponential(0.1), Shifted(0.085, Exponential(0.1)), 1e6, keep_alive
        )
        fractions.append(simulate(scenario, seed=9).cold_start_probability)
    assert fractions[0] == 1.0
    assert all(later < earlier for earlier, later in zip(fractions, fractions[1:], strict=False))


def test_when_keep_alive_is_infinite_and_there_is_no_limit_then_environments_are_never_reclaimed() -> None:
    scenario = _loaded(None, keep_alive=math.inf)
    result = simulate(scenario, seed=2)
    assert result.peak_live == result.cold_starts  # every environment ever created is still alive at the end


def test_when_routing_is_oldest_then_more_environments_stay_alive_than_with_newest() -> None:
    """Least-recently-used routing touches every idle environment in turn, so fewer reach their expiry."""
    newest = simulate(_loaded(None, "newest", keep_alive=2.0), seed=6)
    oldest = simulate(_loaded(None, "oldest", keep_alive=2.0), seed=6)
    assert oldest.mean_live > newest.mean_live * 1.05
    assert oldest.cold_starts < newest.cold_starts


@settings(max_examples=100, deadline=None)
@given(
    instants=st.lists(st.floats(0, 50, allow_nan=False), min_size=1, max_size=60).map(sorted),
    durations=st.lists(st.floats(0, 5, allow_nan=False), min_size=60, max_size=60),
    keep_alives=st.lists(st.floats(0, 30, allow_nan=False), min_size=2, max_size=2).map(sorted),
)
def test_when_durations_do_not_depend_on_coldness_then_a_longer_keep_alive_never_adds_a_cold_start(
    instants: list[float], durations: list[float], keep_alives: list[float]
) -> None:
    """Pathwise under "newest" with no limit: the shorter keep-alive's idle stack is always a top slice of
    the longer one's, so whenever the shorter finds an idle environment, so does the longer."""
    n = len(instants)
    workload = hand_workload(instants, durations[:n], durations[:n])
    short, long = (run_fast(hand_scenario(60.0, keep_alive=k), workload) for k in keep_alives)
    assert long.cold.sum() <= short.cold.sum()
    assert not np.any(long.cold & ~short.cold)


def test_when_a_small_run_is_worked_by_hand_then_every_figure_matches() -> None:
    """Requests at 0, 1 and 10 s; cold 2 s, warm 1 s; keep-alive 5 s; horizon 20 s.

    At 0: cold, environment 0 busy until 2 (expires 7). At 1: environment 0 busy, so cold, environment 1
    busy until 3 (expires 8). At 10: both expired, cold, environment 2 busy until 12 (expires 17).
    Live time 7 + 7 + 7 = 21 s, busy time 2 + 2 + 2 = 6 s, over 20 s.
    """
    scenario = hand_scenario(horizon=20.0, keep_alive=5.0)
    workload = hand_workload([0.0, 1.0, 10.0], warm=1.0, cold=2.0)
    result = summarize(scenario, workload, run_fast(scenario, workload))
    assert (result.requests, result.cold_starts, result.throttles) == (3, 3, 0)
    assert result.mean_live == pytest.approx(21 / 20)
    assert result.mean_busy == pytest.approx(6 / 20)
    assert (result.peak_busy, result.peak_live) == (2, 2)
    assert result.latency_p50 == 2.0
    assert result.series.busy.sum() * result.series.width == pytest.approx(6.0)
    assert result.series.live.sum() * result.series.width == pytest.approx(21.0)
