"""Callers that retry (synchronous backoff with jitter, Lambda's async retries) and a database behind the
functions (connections at init or per request, a pooling proxy)."""

from __future__ import annotations

import numpy as np
import pytest

from lambdalab.sim import (
    Account,
    Asynchronous,
    BurstArrivals,
    Constant,
    Database,
    Exponential,
    FunctionSpec,
    PoissonArrivals,
    RdsProxy,
    Synchronous,
    rds_max_connections,
    simulate_account,
)
from lambdalab.sim.attempts import DROPPED, ERROR, OK, THROTTLED
from lambdalab.sim.database import GIB
from lambdalab.sim.limits import SERVED


def _attempt_gaps(trace, request: int) -> np.ndarray:
    mine = trace.request == request
    return np.diff(trace.time[mine])


def _spiky(caller, **kwargs) -> Account:
    fn = FunctionSpec("f", BurstArrivals(5.0, ((20.0, 3.0, 80.0),)), Constant(0.5), reserved_concurrency=10,
                      caller=caller, **kwargs)
    return Account((fn,), horizon=60.0)


def test_when_a_synchronous_caller_retries_then_each_backoff_is_full_jitter_below_its_cap() -> None:
    caller = Synchronous(max_attempts=4, base_delay=0.1, max_delay=1.0)
    trace = simulate_account(_spiky(caller), seed=1).trace
    retried = np.unique(trace.request[np.bincount(trace.request)[trace.request] > 1])
    assert len(retried) > 50
    for r in retried[:200]:
        for k, gap in enumerate(_attempt_gaps(trace, r)):
            assert 0 <= gap <= min(1.0, 0.1 * 2**k) + 1e-12
    assert np.bincount(trace.request).max() <= 4


def test_when_synchronous_callers_retry_then_more_requests_succeed_than_without_retries() -> None:
    once = simulate_account(_spiky(Synchronous(max_attempts=1)), seed=2)["f"]
    retrying = simulate_account(_spiky(Synchronous(max_attempts=6, base_delay=0.5, max_delay=10.0)), seed=2)["f"]
    assert retrying.requests == once.requests  # same arrivals (common random numbers)
    assert retrying.outcomes["throttled"] < once.outcomes["throttled"] / 2
    assert retrying.attempts > once.attempts
    assert retrying.latency_p99 > once.latency_p99  # paid for in waiting


def test_when_asynchronous_events_are_throttled_then_lambda_retries_them_from_1_s_doubling_to_5_min() -> None:
    result = simulate_account(_spiky(Asynchronous()), seed=3)
    fr = result["f"]
    assert fr.throttles > 100
    assert fr.outcomes["throttled"] == 0 and fr.outcomes["dropped (too old)"] == 0  # delayed, never lost
    assert fr.outcomes["succeeded"] == fr.requests
    trace = result.trace
    for r in np.unique(trace.request[trace.code != SERVED])[:100]:
        gaps = _attempt_gaps(trace, r)
        assert gaps.tolist() == pytest.approx([min(300.0, 2.0**k) for k in range(len(gaps))])


def test_when_an_asynchronous_event_stays_throttled_past_its_maximum_age_then_it_is_dropped() -> None:
    fn = FunctionSpec("off", PoissonArrivals(1.0), Constant(0.1), reserved_concurrency=0,
                      caller=Asynchronous(maximum_event_age=60.0))
    result = simulate_account(Account((fn,), horizon=30.0), seed=4)
    trace = result.trace
    assert np.all(trace.outcome == DROPPED)
    assert np.all(np.bincount(trace.request) == 6)  # tries at 0, 1, 3, 7, 15 and 31 s; 63 s would be too old


def test_when_an_asynchronous_function_fails_then_lambda_runs_it_twice_more_a_minute_then_two_minutes_later() -> None:
    fn = FunctionSpec("flaky", PoissonArrivals(4.0), Exponential(0.2), error_rate=0.5, caller=Asynchronous())
    result = simulate_account(Account((fn,), horizon=1_500.0), seed=5)
    trace = result.trace
    fr = result["flaky"]
    assert fr.outcomes["failed"] / fr.requests == pytest.approx(0.5**3, abs=0.01)
    assert fr.outcomes["succeeded"] + fr.outcomes["failed"] == fr.requests
    for r in np.flatnonzero(trace.outcome == ERROR)[:50]:
        mine = trace.request == r
        assert trace.error[mine].tolist() == [True, True, True]
        waits = trace.time[mine][1:] - trace.finish[mine][:-1]
        assert waits.tolist() == pytest.approx([60.0, 120.0])


def test_when_a_synchronous_function_fails_then_the_caller_gets_the_error_and_no_retry() -> None:
    fn = FunctionSpec("flaky", PoissonArrivals(4.0), Exponential(0.2), error_rate=0.3,
                      caller=Synchronous(max_attempts=3))
    result = simulate_account(Account((fn,), horizon=500.0), seed=6)
    trace = result.trace
    assert result.attempts == result.requests  # nothing throttled, nothing retried
    assert result["flaky"].outcomes["failed"] / result.requests == pytest.approx(0.3, abs=0.02)
    assert set(np.unique(trace.outcome).tolist()) == {OK, ERROR}


def test_when_rds_sizes_max_connections_then_it_follows_the_memory_formulas() -> None:
    assert rds_max_connections(8 * GIB) == 901
    assert rds_max_connections(64 * GIB) == 5000  # PostgreSQL caps at 5,000
    assert rds_max_connections(16 * GIB, "mysql") == 1365
    assert Database.rds(8).max_connections == 901
    with pytest.raises(ValueError, match="engine"):
        rds_max_connections(GIB, "oracle")


def _hammering(database: Database, connect_at: str = "init", reserved: int | None = None, burst: float = 300.0):
    fn = FunctionSpec("api", BurstArrivals(10.0, ((30.0, 20.0, burst),)), Constant(0.5), keep_alive=60.0,
                      reserved_concurrency=reserved, database=connect_at)  # type: ignore[arg-type]
    return Account((fn,), horizon=120.0, database=database)


def test_when_environments_connect_at_init_then_a_burst_exhausts_the_database() -> None:
    result = simulate_account(_hammering(Database(50)), seed=7)
    assert result.database_refusals > 100
    assert result.peak_connections == 50
    assert result["api"].outcomes["failed"] == result.database_refusals  # synchronous: the caller sees it


def test_when_reserved_concurrency_is_below_max_connections_then_the_database_is_protected() -> None:
    result = simulate_account(_hammering(Database(50), reserved=40), seed=7)
    assert result.database_refusals == 0
    assert result.peak_connections <= 40
    assert result["api"].throttle_causes.get("reserved concurrency", 0) > 100  # the price: 429s instead


def test_when_connections_are_opened_at_init_then_idle_environments_hold_them_too() -> None:
    at_init = simulate_account(_hammering(Database(10_000), "init"), seed=8)
    per_request = simulate_account(_hammering(Database(10_000), "request"), seed=8)
    assert at_init.mean_connections == pytest.approx(at_init["api"].mean_live)
    assert per_request.mean_connections == pytest.approx(per_request["api"].mean_busy)
    assert at_init.mean_connections > 2 * per_request.mean_connections


def test_when_a_proxy_pools_connections_then_nothing_is_refused_and_requests_wait_instead() -> None:
    direct = simulate_account(_hammering(Database(50), "request", burst=100.0), seed=9)
    pooled = simulate_account(_hammering(Database(50, RdsProxy(max_connections_percent=80)), burst=100.0), seed=9)
    assert direct.database_refusals > 100
    assert pooled.database_refusals == 0
    assert pooled.peak_connections <= 40
    assert pooled["api"].proxy_waits > 100 and pooled["api"].proxy_wait_p99 > 0
    assert pooled["api"].outcomes["succeeded"] == pooled.requests
    assert sum(pooled.outcomes.values()) == pooled.requests


def test_when_every_outcome_is_counted_then_requests_are_conserved_with_retries_and_a_database() -> None:
    functions = (
        FunctionSpec("sync", PoissonArrivals(20.0), Exponential(0.3), reserved_concurrency=5,
                     caller=Synchronous(max_attempts=3), database="init"),
        FunctionSpec("async", PoissonArrivals(10.0), Exponential(0.5), error_rate=0.2, caller=Asynchronous(),
                     database="request"),
    )
    result = simulate_account(Account(functions, horizon=300.0, database=Database(8)), seed=10)
    assert sum(result.outcomes.values()) == result.requests
    assert result.outcomes["throttled"] == result["sync"].outcomes["throttled"] > 0
    assert result["async"].outcomes["throttled"] == 0
    codes = {OK, ERROR, THROTTLED, DROPPED}
    assert set(np.unique(result.trace.outcome).tolist()) <= codes
    assert result.peak_connections <= 8


def test_when_an_async_function_without_errors_shares_an_account_with_a_failing_one_then_db_retries_still_run():
    """Every request gets a draw for each execution it may need, whichever function fails."""
    functions = (
        FunctionSpec("events", PoissonArrivals(30.0), Constant(0.5), caller=Asynchronous(), database="request"),
        FunctionSpec("flaky", PoissonArrivals(1.0), Constant(0.1), error_rate=0.5),
    )
    result = simulate_account(Account(functions, horizon=60.0, database=Database(3)), seed=11)
    events = result["events"]
    assert events.database_refusals > 0 and events.errors >= events.database_refusals
    assert sum(events.outcomes.values()) == events.requests
