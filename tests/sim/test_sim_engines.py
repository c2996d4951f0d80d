"""The simpy model and the fast engine make the same decision for every request of the same workload."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sim_helpers import hand_scenario, hand_workload

from lambdalab.sim import (
    NO_ENVIRONMENT,
    ConstantRateArrivals,
    Exponential,
    LogNormal,
    PoissonArrivals,
    Scenario,
    Shifted,
    draw_workload,
    run_fast,
    run_simpy,
    simulate,
)
from lambdalab.sim.fast import most_concurrent

SHARED_STREAM_SCENARIOS = {
    "simfaas-case-1": Scenario(
        PoissonArrivals(0.9), Exponential(1.991), Exponential(2.244), horizon=2e4, keep_alive=600
    ),
    "throttled-short-keep-alive": Scenario(
        PoissonArrivals(10.0),
        Exponential(1.0),
        Exponential(1.5),
        horizon=2e3,
        keep_alive=2.0,
        concurrency_limit=10,
    ),
    "oldest-lognormal": Scenario(
        PoissonArrivals(5.0),
        LogNormal(0.3, 0.8),
        Shifted(0.2, LogNormal(0.3, 0.8)),
        horizon=4e3,
        keep_alive=5.0,
        routing="oldest",
    ),
    "constant-rate-ties": Scenario(
        ConstantRateArrivals(4.0), Exponential(0.5), Exponential(0.75), horizon=4e3, keep_alive=1.0
    ),
}


@pytest.mark.parametrize("name", sorted(SHARED_STREAM_SCENARIOS))
def test_when_both_engines_read_the_same_random_stream_then_every_decision_is_identical(name: str) -> None:
    scenario = SHARED_STREAM_SCENARIOS[name]
    workload = draw_workload(scenario, seed=11)
    fast, slow = run_fast(scenario, workload), run_simpy(scenario, workload)
    assert workload.requests > 10_000
    assert int(fast.cold.sum()) > 10  # the comparison covers cold starts...
    assert fast.same_decisions(slow)


def test_when_both_engines_simulate_then_every_reported_figure_is_equal() -> None:
    scenario = SHARED_STREAM_SCENARIOS["throttled-short-keep-alive"]
    fast, slow = simulate(scenario, seed=5, engine="fast"), simulate(scenario, seed=5, engine="simpy")
    assert fast.throttles > 100  # ...and throttles
    figures = [name for name in dir(fast) if not name.startswith("_") and not callable(getattr(fast, name))]
    assert {"mean_live", "peak_busy", "latency_p99", "series", "billed_seconds"} <= set(figures)
    for name in figures:  # the fields and the figures computed on first read alike
        a, b = getattr(fast, name), getattr(slow, name)
        if name == "engine":
            assert (a, b) == ("fast", "simpy")
        elif name == "series":
            assert np.array_equal(a.busy, b.busy) and np.array_equal(a.live, b.live)
        else:
            assert a == b, name


def test_when_a_request_arrives_the_instant_an_environment_finishes_then_it_reuses_it() -> None:
    scenario = hand_scenario(horizon=10.0, keep_alive=5.0)
    workload = hand_workload([0.0, 1.0], warm=1.0, cold=1.0)
    for run in (run_fast, run_simpy):
        trace = run(scenario, workload)
        assert trace.environment.tolist() == [0, 0]
        assert trace.cold.tolist() == [True, False]


def test_when_an_environment_has_been_idle_exactly_keep_alive_then_it_is_gone() -> None:
    scenario = hand_scenario(horizon=10.0, keep_alive=2.0)
    workload = hand_workload([0.0, 3.0], warm=1.0, cold=1.0)  # finishes at 1, expires at 1 + 2 = 3
    for run in (run_fast, run_simpy):
        assert run(scenario, workload).cold.tolist() == [True, True]


def test_when_routing_is_newest_then_the_most_recently_used_environment_serves_and_oldest_the_least() -> None:
    workload = hand_workload([0.0, 1.0, 10.0], warm=1.0, cold=[2.0, 2.0, 2.0])  # idle since 2 and since 3
    for routing, expected in (("newest", 1), ("oldest", 0)):
        scenario = hand_scenario(horizon=20.0, keep_alive=9.0, routing=routing)
        for run in (run_fast, run_simpy):
            assert run(scenario, workload).environment.tolist() == [0, 1, expected]


_instants = st.lists(st.integers(0, 12), min_size=1, max_size=40).map(sorted)


@settings(max_examples=150, deadline=None)
@given(
    instants=_instants,
    durations=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6)), min_size=40, max_size=40),
    keep_alive=st.sampled_from([0.0, 1.0, 2.0, 3.0, math.inf]),
    limit=st.sampled_from([None, 0, 1, 2, 3]),
    routing=st.sampled_from(["newest", "oldest"]),
)
def test_when_events_coincide_then_both_engines_still_decide_alike(
    instants: list[int], durations: list[tuple[int, int]], keep_alive: float, limit: int | None, routing: str
) -> None:
    """Integer instants and durations make arrivals, completions and expiries collide all the time."""
    n = len(instants)
    warm = [float(w) for w, _ in durations[:n]]
    cold = [float(c) for _, c in durations[:n]]
    scenario = hand_scenario(horizon=20.0, keep_alive=keep_alive, concurrency_limit=limit, routing=routing)
    workload = hand_workload([float(t) for t in instants], warm, cold)
    fast, slow = run_fast(scenario, workload), run_simpy(scenario, workload)
    assert fast.same_decisions(slow), (fast, slow)
    assert np.all((fast.environment == NO_ENVIRONMENT) != (fast.environment >= 0))


def _in_flight_at_each_arrival(workload, cold: np.ndarray) -> list[int]:
    """Requests running when each one arrives, itself included, counted pair by pair (no limit applied)."""
    times = workload.arrival_times
    finish = np.where(cold, times + workload.cold_durations, times + workload.warm_durations)
    return [1 + sum(1 for j in range(i) if finish[j] > times[i]) for i in range(len(times))]


@settings(max_examples=200, deadline=None)
@given(
    instants=st.lists(st.floats(0, 30, allow_subnormal=False), min_size=1, max_size=50).map(sorted),
    durations=st.lists(st.tuples(st.floats(0, 8), st.floats(0, 8)), min_size=50, max_size=50),
    tenths=st.booleans(),
)
# Three overlapping requests, each just across a boundary of buckets narrower than the longest duration.
@example(instants=[3.9, 4.1, 8.1], durations=[(8.0, 8.0)] * 50, tenths=False)
def test_the_bound_that_lets_the_fast_engine_skip_the_limit_check_is_never_below_the_real_peak(
    instants: list[float], durations: list[tuple[float, float]], tenths: bool
) -> None:
    """Below the bound a limit can never bind, so the engine skips its check; a bound one too low would
    let a request through that AWS throttles. Rounded to tenths, finishes land exactly on arrivals."""
    n = len(instants)
    shape = (lambda x: round(x, 1)) if tenths else (lambda x: x)
    times = [shape(t) for t in instants]
    warm = [shape(w) for w, _ in durations[:n]]
    cold = [shape(c) for _, c in durations[:n]]
    workload = hand_workload(times, warm, cold)
    trace = run_fast(hand_scenario(horizon=40.0, keep_alive=1.0), workload)
    assert most_concurrent(workload) >= max(_in_flight_at_each_arrival(workload, trace.cold))


def test_when_the_limit_equals_the_requests_in_flight_then_the_next_one_is_throttled() -> None:
    """Three requests overlap at t = 2: a limit of 2 throttles the third, a limit of 3 lets all through."""
    workload = hand_workload([0.0, 1.0, 2.0, 5.0], warm=3.0, cold=3.0)
    assert most_concurrent(workload) >= 3  # so the fast engine does check a limit of 2
    for limit, served in ((2, [0, 1, NO_ENVIRONMENT, 1]), (3, [0, 1, 2, 2])):
        scenario = hand_scenario(horizon=10.0, concurrency_limit=limit)
        assert run_fast(scenario, workload).environment.tolist() == served
        assert run_simpy(scenario, workload).environment.tolist() == served
