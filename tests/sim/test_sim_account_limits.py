"""An account under load: conservation, every limit respected, AWS's reasons, scaling (validation case 6
through the account engine), Little's law (case 2), and provisioned spillover as Erlang's overflow."""

from __future__ import annotations

import numpy as np
import pytest

from lambdalab.sim import (
    ACCOUNT_RATE_EXCEEDED,
    Account,
    BurstArrivals,
    Constant,
    ConstantRateArrivals,
    Exponential,
    FunctionSpec,
    LogNormal,
    PoissonArrivals,
    draw_account_workload,
    simulate_account,
)
from lambdalab.sim.limits import SCALING_RATE, SERVED
from lambdalab.sim.scaling import PerFunctionScaling, RegionalBurstScaling
from lambdalab.sim.scenario import ACCOUNT_LIMIT_EXCEEDED, RESERVED_LIMIT_EXCEEDED


def _peak(starts: np.ndarray, ends: np.ndarray) -> int:
    """Most intervals open at once, by an event sweep (an end at t frees its place before a start at t)."""
    events = sorted([(t, 1) for t in starts] + [(t, -1) for t in ends], key=lambda e: (e[0], e[1]))
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def _busy_account() -> Account:
    """Three functions fighting over a small account: one reserved, one provisioned, one bursting."""
    return Account(
        (
            FunctionSpec("checkout", PoissonArrivals(30.0), LogNormal(0.3, 0.5), reserved_concurrency=12),
            FunctionSpec("search", PoissonArrivals(20.0), Exponential(0.4), provisioned_concurrency=5),
            FunctionSpec("import", BurstArrivals(1.0, ((100.0, 30.0, 150.0),)), Constant(1.0)),
        ),
        horizon=300.0,
        concurrency_limit=130,
        scaling=PerFunctionScaling(burst=40, period=10),
    )


def test_when_an_account_runs_then_every_request_ends_once_and_every_attempt_is_accounted_for() -> None:
    result = simulate_account(_busy_account(), seed=1)
    assert sum(result.outcomes.values()) == result.requests
    assert result.attempts == result.executions + result.throttles + result.database_refusals
    for fr in result.functions.values():
        assert sum(fr.outcomes.values()) == fr.requests
        assert fr.attempts >= fr.requests
        assert fr.cold_starts <= fr.executions
    trace = result.trace
    assert np.all(trace.outcome >= 0) and np.all(np.isfinite(trace.done_at))
    assert np.all(np.bincount(trace.request, minlength=result.requests) >= 1)


def test_when_functions_share_an_account_then_no_limit_is_ever_exceeded() -> None:
    account = _busy_account()
    result = simulate_account(account, seed=2)
    trace = result.trace
    fn = draw_account_workload(account, seed=2).function[trace.request]
    served = trace.code == SERVED
    on_demand = served & ~trace.provisioned
    assert result.throttles > 100  # the limits bind
    # checkout: reserved 12, never more than 12 at once
    mine = served & (fn == 0)
    assert _peak(trace.time[mine], trace.finish[mine]) <= 12
    # the unreserved pool (130 - 12) holds search's 5 provisioned plus both functions' on-demand executions
    unreserved = on_demand & (fn > 0)
    assert _peak(trace.time[unreserved], trace.finish[unreserved]) + 5 <= 130 - 12
    assert result.peak_concurrency <= 130
    # provisioned executions never exceed the provisioned environments
    prov = served & trace.provisioned
    assert _peak(trace.time[prov], trace.finish[prov]) <= 5


def test_when_a_function_is_throttled_then_its_429_names_the_limit_it_hit() -> None:
    result = simulate_account(_busy_account(), seed=3)
    assert set(result["checkout"].throttle_reasons) == {RESERVED_LIMIT_EXCEEDED}
    assert set(result["import"].throttle_reasons) <= {ACCOUNT_LIMIT_EXCEEDED}
    assert result["import"].throttle_causes.keys() <= {"account concurrency", "scaling rate"}
    assert result["import"].throttles > 0


def _first_time_busy_reaches(result, level: int) -> float:
    trace = result.trace
    starts = np.sort(trace.time[trace.code == SERVED])
    return float(starts[level - 1])


def test_when_demand_jumps_since_nov_2023_then_a_function_gains_1000_environments_every_10_seconds() -> None:
    """Validation case 6 in the account engine: 1,000 at once, then 100 a second, 10,000 by t = 90 s."""
    fn = FunctionSpec("surge", ConstantRateArrivals(1000.0), Constant(10_000.0), init_duration=Constant(0.0))
    result = simulate_account(Account((fn,), horizon=100.0, concurrency_limit=30_000), seed=0)
    assert _first_time_busy_reaches(result, 1000) <= 1.01
    assert _first_time_busy_reaches(result, 10_000) == pytest.approx(90.0, abs=10.0)
    assert set(result["surge"].throttle_causes) == {"scaling rate"}


def test_when_demand_jumped_before_nov_2023_then_the_region_allowed_3000_then_500_more_a_minute() -> None:
    fn = FunctionSpec("surge", ConstantRateArrivals(1000.0), Constant(10_000.0), init_duration=Constant(0.0))
    scaling = RegionalBurstScaling.for_region("us-east-1")
    account = Account((fn,), horizon=125.0, concurrency_limit=30_000, scaling=scaling)
    result = simulate_account(account, seed=0)
    trace = result.trace
    exhausted = float(trace.time[trace.code == SCALING_RATE].min())
    assert exhausted == pytest.approx(3.0, abs=0.01)  # 3,000 requests at 1,000/s
    starts = np.sort(trace.time[trace.code == SERVED])
    # 500 more each minute after the burst ran out (taking half a second to fill at 1,000/s)
    assert [int(np.sum(starts < exhausted + t)) for t in (59.9, 60.6, 119.9, 120.6)] == [3000, 3500, 3500, 4000]


def test_when_a_function_scales_per_function_then_no_window_holds_more_new_environments_than_the_bucket() -> None:
    fn = FunctionSpec("f", BurstArrivals(2.0, ((20.0, 60.0, 80.0),)), Constant(5.0), keep_alive=1.0)
    scaling = PerFunctionScaling(burst=30, period=10)
    result = simulate_account(Account((fn,), horizon=120.0, scaling=scaling), seed=4)
    trace = result.trace
    cold = np.sort(trace.time[(trace.code == SERVED) & trace.cold])
    assert result["f"].throttle_causes.get("scaling rate", 0) > 100
    for window in (1.0, 10.0, 40.0):
        counts = np.searchsorted(cold, cold + window, side="left") - np.arange(len(cold))
        assert counts.max() <= 30 + window * 3 + 1e-9


def test_when_functions_are_very_short_then_requests_per_second_are_capped_at_ten_times_concurrency() -> None:
    fn = FunctionSpec("tiny", PoissonArrivals(2_000.0), Constant(0.001), init_duration=Constant(0.0))
    result = simulate_account(Account((fn,), horizon=30.0, concurrency_limit=100), seed=6)
    trace = result.trace
    admitted = np.sort(trace.time[trace.code == SERVED])
    per_second = np.searchsorted(admitted, admitted + 1.0, side="left") - np.arange(len(admitted))
    assert per_second.max() <= 2 * 1000  # a full bucket of 1,000 plus one second of refill
    assert len(admitted) / 30.0 == pytest.approx(1000, rel=0.05)
    assert result["tiny"].throttle_reasons == {ACCOUNT_RATE_EXCEEDED: result["tiny"].throttles}
    assert result["tiny"].peak_busy <= 100


@pytest.mark.parametrize(
    ("name", "arrivals", "warm", "cold", "limit"),
    [
        ("throttled-lognormal", PoissonArrivals(40.0), LogNormal(0.3, 0.5), 0.4, 10),
        ("no-keep-alive", PoissonArrivals(6.0), Exponential(0.3), 0.2, None),
    ],
)
def test_when_an_account_runs_then_mean_busy_obeys_littles_law_within_one_percent(name, arrivals, warm, cold, limit):
    """Validation case 2 for the account engine (no retries, so each request has one attempt)."""
    keep_alive = 0.0 if name == "no-keep-alive" else 30.0
    fn = FunctionSpec("f", arrivals, warm, init_duration=Constant(cold), reserved_concurrency=limit,
                      keep_alive=keep_alive)
    result = simulate_account(Account((fn,), horizon=1_500.0, scaling=None, requests_per_concurrency=None), seed=7)
    fr = result["f"]
    p_reject = fr.throttles / fr.attempts
    p_cold = fr.cold_start_fraction
    expected = arrivals.rate * (1 - p_reject) * (warm.mean + p_cold * cold)
    assert fr.executions > 8_000
    assert fr.mean_busy == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize("seed", [1, 2])
def test_when_reserved_concurrency_grows_then_throttles_fall(seed: int) -> None:
    fractions = []
    for reserved in (4, 8, 16, 32):
        fn = FunctionSpec("f", PoissonArrivals(40.0), Exponential(0.5), reserved_concurrency=reserved)
        fractions.append(simulate_account(Account((fn,), horizon=200.0), seed=seed)["f"].throttled_fraction)
    assert all(b < a for a, b in zip(fractions, fractions[1:], strict=False))
    assert fractions[-1] < 0.01 < 0.3 < fractions[0]


def test_when_keep_alive_grows_then_every_function_starts_cold_less_often() -> None:
    colds = []
    for keep_alive in (1.0, 10.0, 60.0, 600.0):
        functions = tuple(
            FunctionSpec(name, PoissonArrivals(rate), Exponential(0.2), keep_alive=keep_alive)
            for name, rate in (("rare", 0.05), ("busy", 5.0))
        )
        result = simulate_account(Account(functions, horizon=4_000.0), seed=8)
        colds.append([result[name].cold_starts for name in ("rare", "busy")])
    for earlier, later in zip(colds, colds[1:], strict=False):
        assert later[0] < earlier[0] and later[1] < earlier[1]


def test_when_provisioned_concurrency_covers_the_traffic_then_nothing_starts_cold_and_it_is_utilised() -> None:
    fn = FunctionSpec("f", PoissonArrivals(2.0), Constant(0.5), provisioned_concurrency=10, keep_alive=1.0)
    fr = simulate_account(Account((fn,), horizon=2_000.0), seed=9)["f"]
    assert fr.cold_starts == 0 and fr.spillover == 0
    assert fr.provisioned_utilisation == pytest.approx(2.0 * 0.5 / 10, rel=0.05)


def _erlang_b(servers: int, load: float) -> float:
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def test_when_traffic_outgrows_provisioned_concurrency_then_the_overflow_spills_over_as_erlang_b_predicts():
    """Provisioned environments are tried first, so they form a loss system and spillover is its overflow:
    with 10 erlangs on 5 provisioned environments, B(5, 10) = 56.4 % spills over, and each provisioned
    environment is busy 10 (1 - B) / 5 = 87.2 % of the time."""
    fn = FunctionSpec("f", PoissonArrivals(20.0), Constant(0.5), provisioned_concurrency=5, keep_alive=1.0)
    fr = simulate_account(Account((fn,), horizon=1_000.0), seed=10)["f"]
    overflow = _erlang_b(5, 10.0)
    assert fr.provisioned_executions + fr.spillover == fr.executions
    assert fr.spillover / fr.executions == pytest.approx(overflow, abs=0.01)
    assert fr.provisioned_utilisation == pytest.approx(10 * (1 - overflow) / 5, abs=0.01)
    assert fr.cold_starts > 0
