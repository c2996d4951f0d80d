"""The simulator and the live sandbox agree at laptop scale: same traffic in, same cold starts and throttles out.

Each test replays a few requests on real execution environments (``lambdalab.replay``), then gives the
simulator the same arrival instants and the durations the sandbox measured, and compares what happened at
each instant. The instants keep every decision well clear of its boundary (a keep-alive about to run out,
a request about to finish), so scheduling jitter of a loaded machine cannot flip one; requests sent at the
same instant are compared as a group, since which of them wins a race is arbitrary in both.
"""

from __future__ import annotations

import statistics
from collections import Counter

import numpy as np
import pytest

import lambdalab
from lambdalab.service.concurrency import TooManyRequests
from lambdalab.sim import (
    Account,
    AccountWorkload,
    Constant,
    FunctionSpec,
    ReplayedArrivals,
    Scenario,
    Workload,
    run_account_fast,
    run_fast,
)
from lambdalab.sim.limits import REASONS, SERVED
from lambdalab.sim.scaling import PerFunctionScaling

pytestmark = pytest.mark.runs_long  # about 13 s together: collected first (tests/conftest.py)

SLEEPER = "import time\ndef handler(event, context):\n    time.sleep(event['sleep'])\n    return 'ok'\n"


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


class _Caller:
    """A synchronous caller that records a 429 as its outcome instead of raising it."""

    def __init__(self, function: object) -> None:
        self.function = function

    def invoke(self, event: object) -> object:
        try:
            return self.function.invoke(event)  # type: ignore[attr-defined]
        except TooManyRequests as throttle:
            return throttle


def _outcome(invocation: object) -> str:
    if isinstance(invocation, TooManyRequests):
        return invocation.reason
    return "cold" if invocation.cold else "warm"  # type: ignore[attr-defined]


Grouped = dict[float, Counter]


def _live(function: object, arrivals: list[float], sleep: float) -> tuple[Grouped, list[float], list[float]]:
    """Replay ``arrivals``; outcomes grouped by instant, and per request the warm and cold durations to
    simulate: its own measured latency for what it was, the median of the other kind for what it was not."""
    replayed = lambdalab.replay(_Caller(function), arrivals, event={"sleep": sleep})
    assert len(replayed) == len(arrivals)
    by_instant: dict[float, Counter] = {}
    latencies: dict[str, list[float]] = {"warm": [], "cold": []}
    measured: list[tuple[str, float]] = []
    for request in replayed:
        outcome = _outcome(request.invocation)
        by_instant.setdefault(request.scheduled_at, Counter())[outcome] += 1
        latency = request.finished_at - request.sent_at
        if outcome in latencies:
            latencies[outcome].append(latency)
        measured.append((outcome, latency))
    typical_warm = statistics.median(latencies["warm"]) if latencies["warm"] else sleep
    typical_cold = statistics.median(latencies["cold"]) if latencies["cold"] else typical_warm + 0.3
    warm = [latency if kind == "warm" else typical_warm for kind, latency in measured]
    cold = [latency if kind == "cold" else typical_cold for kind, latency in measured]
    return by_instant, warm, cold


def _grouped(arrivals: list[float], outcomes: list[str]) -> dict[float, Counter]:
    grouped: dict[float, Counter] = {}
    for at, outcome in zip(arrivals, outcomes, strict=True):
        grouped.setdefault(at, Counter())[outcome] += 1
    return grouped


def test_when_the_same_traffic_meets_the_same_keep_alive_then_sandbox_and_simulator_start_the_same_cold(box):
    """Cold at 0; at 1.0 one request reuses it and one needs a second environment; warm at 2.0; everything
    idle for over 1.5 s by 4.6, so cold again; warm at 6.0."""
    arrivals = [0.0, 1.0, 1.0, 2.0, 4.6, 6.0]
    fn = lambdalab.deploy("sim-vs-sandbox-keep-alive", code=SLEEPER, timeout=5, keep_alive=1.5)
    try:
        live, warm, cold = _live(fn, arrivals, sleep=0.05)
    finally:
        fn.delete()
    scenario = Scenario(ReplayedArrivals(arrivals), Constant(0.0), Constant(0.0), horizon=10.0, keep_alive=1.5,
                        concurrency_limit=None)
    trace = run_fast(scenario, Workload.of(arrivals, warm, cold))
    simulated = _grouped(arrivals, ["cold" if c else "warm" for c in trace.cold])
    assert live == simulated
    total = sum(live.values(), Counter())
    assert total["cold"] >= 2 and total["warm"] >= 1  # both kinds happened (3 cold, 3 warm when unhurried)


def test_when_a_reserved_limit_binds_then_sandbox_and_simulator_throttle_the_same_requests_for_the_same_reason(box):
    """Reserved concurrency 2: six at once, two run; three more after those finished, two run again."""
    arrivals = [0.0] * 6 + [2.5] * 3
    fn = lambdalab.deploy("sim-vs-sandbox-reserved", code=SLEEPER, timeout=5)
    box.client("lambda").put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=2)
    try:
        live, warm, cold = _live(fn, arrivals, sleep=1.0)
    finally:
        fn.delete()
    spec = FunctionSpec(fn.name, ReplayedArrivals(arrivals), Constant(1.0), reserved_concurrency=2)
    account = Account((spec,), horizon=10.0)
    trace = run_account_fast(account, AccountWorkload.of(arrivals, warm, cold))
    outcomes = [("cold" if c else "warm") if code == SERVED else REASONS[code]
                for code, c in zip(trace.code.tolist(), trace.cold.tolist(), strict=True)]
    assert live == _grouped(arrivals, outcomes)
    assert live[0.0]["ReservedFunctionConcurrentInvocationLimitExceeded"] == 4


def test_when_the_scaling_rate_binds_then_sandbox_and_simulator_start_the_same_environments(box):
    """3 new environments per 2 s: of eight at once, three start; 2.5 s later five arrive, three reuse
    those environments and the refilled bucket lets two more start."""
    box.configure_lambda(scaling_rate=3, scaling_period_s=2.0)
    arrivals = [0.0] * 8 + [2.5] * 5
    fn = lambdalab.deploy("sim-vs-sandbox-scaling", code=SLEEPER, timeout=5)
    try:
        live, warm, cold = _live(fn, arrivals, sleep=0.8)
    finally:
        fn.delete()
        box.configure_lambda(scaling_rate=1000, scaling_period_s=10.0)
    spec = FunctionSpec(fn.name, ReplayedArrivals(arrivals), Constant(0.8))
    account = Account((spec,), horizon=10.0, scaling=PerFunctionScaling(burst=3, period=2.0))
    trace = run_account_fast(account, AccountWorkload.of(arrivals, warm, cold))
    outcomes = [("cold" if c else "warm") if code == SERVED else REASONS[code]
                for code, c in zip(trace.code.tolist(), trace.cold.tolist(), strict=True)]
    assert live == _grouped(arrivals, outcomes)
    assert live[2.5] == Counter({"warm": 3, "cold": 2})
    assert np.sum(trace.code != SERVED) == 5
