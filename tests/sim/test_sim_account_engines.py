"""The account engines: simpy and fast make the same decision for every attempt, and reduce to the
single-function engines when the account is one plain function."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdalab.sim import (
    Account,
    AccountWorkload,
    Asynchronous,
    BurstArrivals,
    Constant,
    Database,
    Exponential,
    FunctionSpec,
    LogNormal,
    PoissonArrivals,
    RdsProxy,
    Scenario,
    Shifted,
    Synchronous,
    account_for_scenario,
    draw_account_workload,
    draw_workload,
    run_account_fast,
    run_account_simpy,
    run_fast,
    simulate_account,
)
from lambdalab.sim.scaling import PerFunctionScaling, RegionalBurstScaling


def _api(**kwargs) -> FunctionSpec:
    defaults = dict(
        name="api",
        arrivals=PoissonArrivals(40.0),
        duration=LogNormal(0.2, 0.6),
        init_duration=Constant(0.3),
        keep_alive=4.0,
        reserved_concurrency=8,
        caller=Synchronous(max_attempts=3, base_delay=0.05, max_delay=1.0),
    )
    defaults.update(kwargs)
    return FunctionSpec(**defaults)  # type: ignore[arg-type]


def _worker(**kwargs) -> FunctionSpec:
    defaults = dict(
        name="worker",
        arrivals=BurstArrivals(4.0, ((60.0, 15.0, 120.0),)),
        duration=Exponential(0.6),
        init_duration=Constant(0.5),
        keep_alive=8.0,
        provisioned_concurrency=3,
        caller=Asynchronous(),
        error_rate=0.15,
    )
    defaults.update(kwargs)
    return FunctionSpec(**defaults)  # type: ignore[arg-type]


ACCOUNTS = {
    "reserved-retries-async-errors-provisioned": Account(
        (_api(), _worker()), horizon=200.0, concurrency_limit=130, scaling=PerFunctionScaling(burst=15, period=10)
    ),
    "database-at-init-and-per-request": Account(
        (_api(database="init"), _worker(database="request")),
        horizon=200.0,
        concurrency_limit=130,
        database=Database(14),
    ),
    "database-behind-a-proxy": Account(
        (_api(database="init", reserved_concurrency=None), _worker(database="request")),
        horizon=150.0,
        concurrency_limit=130,
        database=Database(12, RdsProxy(max_connections_percent=50)),
    ),
    "regional-burst-and-rate-cap": Account(
        (_api(reserved_concurrency=None, duration=Constant(0.05)), _worker(provisioned_concurrency=0)),
        horizon=200.0,
        concurrency_limit=110,
        scaling=RegionalBurstScaling(burst=12, per_minute=6),
        requests_per_concurrency=0.3,
    ),
    "oldest-routing-no-limits": Account(
        (_api(reserved_concurrency=None, routing="oldest"), _worker(routing="oldest")),
        horizon=200.0,
        concurrency_limit=None,
        scaling=None,
        requests_per_concurrency=None,
    ),
}


@pytest.mark.parametrize("name", sorted(ACCOUNTS))
def test_when_both_account_engines_read_the_same_inputs_then_every_attempt_is_decided_alike(name: str) -> None:
    account = ACCOUNTS[name]
    workload = draw_account_workload(account, seed=3)
    fast, slow = run_account_fast(account, workload), run_account_simpy(account, workload)
    assert fast.same_decisions(slow), fast.differences(slow)
    assert workload.requests > 1000
    assert fast.attempts > workload.requests or name == "oldest-routing-no-limits"  # retries happened
    assert int(fast.cold.sum()) > 10


def test_when_the_configurations_run_then_they_exercise_what_they_are_named_for() -> None:
    """Guard for the equivalence test: each configuration really throttles, fails, waits or refuses."""
    results = {name: simulate_account(account, seed=3) for name, account in ACCOUNTS.items()}
    first = results["reserved-retries-async-errors-provisioned"]
    assert first["api"].throttle_causes.get("reserved concurrency", 0) > 50
    assert first["worker"].errors > 50 and first["worker"].provisioned_executions > 50
    assert results["database-at-init-and-per-request"].database_refusals > 20
    proxy = results["database-behind-a-proxy"]
    assert proxy.database_refusals == 0 and sum(f.proxy_waits for f in proxy.functions.values()) > 20
    causes = results["regional-burst-and-rate-cap"]["api"].throttle_causes
    assert causes.get("scaling rate", 0) > 10 and causes.get("requests per second", 0) > 10
    assert results["oldest-routing-no-limits"].throttles == 0


_DURATIONS = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), min_size=40, max_size=40)


@settings(max_examples=60, deadline=None)
@given(
    instants=st.lists(st.tuples(st.integers(0, 12), st.integers(0, 1)), min_size=1, max_size=40).map(sorted),
    durations=_DURATIONS,
    draws=st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.99]), min_size=200, max_size=200),
    keep_alive=st.sampled_from([0.0, 1.0, 2.0, math.inf]),
    reserved=st.sampled_from([None, 1, 2]),
    provisioned=st.sampled_from([0, 1]),
    connections=st.sampled_from([None, 1, 2, 3]),
    proxy=st.booleans(),
)
def test_when_events_coincide_then_both_account_engines_still_decide_alike(
    instants, durations, draws, keep_alive, reserved, provisioned, connections, proxy
) -> None:
    """Integer instants and durations make arrivals, completions, expiries and retries collide."""
    n = len(instants)
    provisioned = min(provisioned, reserved if reserved is not None else 1)
    database = None if connections is None else Database(connections, RdsProxy() if proxy else None)
    sync = FunctionSpec(
        "sync", PoissonArrivals(1.0), Constant(1.0), keep_alive=keep_alive, reserved_concurrency=reserved,
        provisioned_concurrency=provisioned, caller=Synchronous(max_attempts=3, base_delay=2.0, max_delay=4.0),
        database="init" if database else None,
    )
    event = FunctionSpec(
        "event", PoissonArrivals(1.0), Constant(1.0), keep_alive=keep_alive, error_rate=0.3,
        caller=Asynchronous(maximum_event_age=60.0, error_delays=(2.0, 1.0)),
        database="request" if database else None,
    )
    account = Account((sync, event), horizon=20.0, concurrency_limit=12, unreserved_minimum=1,
                      scaling=PerFunctionScaling(burst=2, period=2), requests_per_concurrency=0.5, database=database)
    workload = AccountWorkload.of(
        [float(t) for t, _ in instants],
        [float(w) for w, _ in durations[:n]],
        [float(w + c) for w, c in durations[:n]],
        function=[f for _, f in instants],
        error_draws=np.array(draws[: n * 3]).reshape(n, 3),
        jitter_draws=np.array(draws[120 : 120 + n * 2]).reshape(n, 2),
    )
    fast, slow = run_account_fast(account, workload), run_account_simpy(account, workload)
    assert fast.same_decisions(slow), fast.differences(slow)
    assert np.all(fast.outcome >= 0)  # every request ended


@pytest.mark.parametrize(
    "scenario",
    [
        Scenario(PoissonArrivals(10.0), Exponential(1.0), Exponential(1.5), horizon=1e3, keep_alive=2.0,
                 concurrency_limit=10),
        Scenario(PoissonArrivals(5.0), LogNormal(0.3, 0.8), Shifted(0.2, LogNormal(0.3, 0.8)), horizon=2e3,
                 keep_alive=5.0, routing="oldest", concurrency_limit=None),
        Scenario(PoissonArrivals(8.0), Constant(1.0), Constant(1.0), horizon=1e3, keep_alive=math.inf,
                 concurrency_limit=1000, reserved_concurrency=6),
    ],
    ids=["throttled", "oldest-lognormal", "reserved-no-expiry"],
)
def test_when_an_account_holds_one_plain_function_then_it_decides_as_the_single_function_engine(scenario) -> None:
    """The account engine adds limits; with none of them binding it must be the validated keep-alive pool."""
    workload = draw_workload(scenario, seed=4)
    single = run_fast(scenario, workload)
    trace = run_account_fast(account_for_scenario(scenario), AccountWorkload.of_workload(workload))
    assert trace.attempts == workload.requests  # no retries: one attempt per request, in order
    assert np.array_equal(trace.environment, single.environment)
    assert np.array_equal(trace.cold, single.cold)
