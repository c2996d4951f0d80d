"""The readable engine: the keep-alive pool as simpy processes.

Three kinds of process, each a generator that reads like the story it tells:

- the *caller* waits for the next arrival and invokes the function;
- each *execution environment* serves its first (cold) request, goes idle, waits to be handed another
  request, and ends when its keep-alive timer says it has been idle too long;
- a *keep-alive timer* per idle period, which expires the environment unless it was reused meanwhile.

It makes exactly the decisions of the fast engine (``fast.py``) on the same workload; tests hold the two
together. For that, simultaneous events must resolve the same way in both, so every wait here carries a
priority: completions before expiries before arrivals (simpy's own events use priorities 0 and 1, and run
first). simpy orders equal-time, equal-priority events by when they were scheduled, which for completions is
request order, as in the fast engine's heap.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.events import Event

from lambdalab.sim.scenario import Scenario, Workload
from lambdalab.sim.trace import NO_ENVIRONMENT, Trace

COMPLETION, EXPIRY, ARRIVAL = 2, 3, 4


class _Wait(Event):
    """simpy's Timeout with an explicit priority, so that simultaneous events resolve in a fixed order."""

    def __init__(self, env: simpy.Environment, delay: float, priority: int) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, priority, delay)


@dataclass(eq=False)
class SimulatedEnvironment:
    """One sandbox of the function: created by a cold start, reused while warm, gone after keep-alive.

    ``idle_periods`` counts how often it went idle, so a keep-alive timer can tell whether the idle period
    it was started for is still the current one.
    """

    number: int
    idle: bool = False
    idle_periods: int = 0
    wake: Event | None = field(default=None, repr=False)


class KeepAlivePool:
    """The function's pool of execution environments, driven by one workload."""

    def __init__(self, scenario: Scenario, workload: Workload) -> None:
        self.scenario = scenario
        self.workload = workload
        self.env = simpy.Environment()
        self.idle: deque[SimulatedEnvironment] = deque()  # least recently used on the left
        self.busy = 0
        self.created = 0
        self.warm_durations = workload.warm_durations.tolist()  # plain floats: same arithmetic as fast.py
        self.cold_durations = workload.cold_durations.tolist()
        n = workload.requests
        self.environment = [NO_ENVIRONMENT] * n
        self.started_cold = [False] * n
        self.limit = math.inf if scenario.function_limit is None else scenario.function_limit

    def run(self) -> Trace:
        self.env.process(self.caller())
        self.env.run()
        return Trace(
            environment=np.array(self.environment, dtype=np.int64),
            cold=np.array(self.started_cold, dtype=bool),
            engine="simpy",
        )

    def caller(self) -> Generator[Event, object, None]:
        for request, gap in enumerate(self.workload.arrival_gaps.tolist()):
            yield _Wait(self.env, gap, ARRIVAL)
            self.invoke(request)

    def invoke(self, request: int) -> None:
        """Admit or throttle a synchronous invoke, then hand it to an idle environment or start one."""
        if self.busy >= self.limit:
            return  # 429 TooManyRequestsException (scenario.throttle_reason): the caller is told no
        self.busy += 1
        if self.idle:
            ee = self.idle.pop() if self.scenario.routing == "newest" else self.idle.popleft()
            ee.idle = False
            assert ee.wake is not None
            ee.wake.succeed(request)
        else:
            ee = SimulatedEnvironment(number=self.created)
            self.created += 1
            self.started_cold[request] = True
            self.env.process(self.execution_environment(ee, request))
        self.environment[request] = ee.number

    def execution_environment(self, ee: SimulatedEnvironment, request: int) -> Generator[Event, object, None]:
        duration = self.cold_durations[request]  # Init Duration + Duration
        while True:
            yield _Wait(self.env, duration, COMPLETION)
            self.busy -= 1
            ee.idle = True
            ee.idle_periods += 1
            ee.wake = self.env.event()
            self.idle.append(ee)
            if math.isfinite(self.scenario.keep_alive):
                self.env.process(self.keep_alive_timer(ee, ee.idle_periods))
            next_request = yield ee.wake
            if next_request is None:
                return  # expired: Lambda reclaimed the sandbox
            assert isinstance(next_request, int)
            duration = self.warm_durations[next_request]

    def keep_alive_timer(self, ee: SimulatedEnvironment, idle_period: int) -> Generator[Event, object, None]:
        yield _Wait(self.env, self.scenario.keep_alive, EXPIRY)
        if ee.idle and ee.idle_periods == idle_period:
            self.idle.remove(ee)
            ee.idle = False
            assert ee.wake is not None
            ee.wake.succeed(None)


def run_simpy(scenario: Scenario, workload: Workload) -> Trace:
    """Decide, for every request of ``workload``, its environment and whether it started cold (simpy)."""
    return KeepAlivePool(scenario, workload).run()
