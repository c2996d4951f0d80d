"""The readable account engine: callers, executions, keep-alive timers and the database proxy as simpy
processes.

- the *caller* waits for each first attempt and hands it to Lambda (``arrive``);
- a *retry* waits its backoff (a synchronous caller's jitter, or Lambda's own async delays) and tries
  again;
- an *execution* borrows a proxy connection if it needs one (``simpy.Resource``: first come, first served),
  runs, then returns its environment to the idle pool and reports success or failure;
- a *keep-alive timer* per idle period reclaims the environment unless it was reused meanwhile.

Admission (limits, reasons, token buckets) is ``limits.Admission``, shared with the fast engine; time,
pools and the order of events are each engine's own, and tests hold the two to identical decisions.
Every wait carries a priority so simultaneous events resolve in one fixed order: completions, expiries,
first attempts, retries (simpy's own events, priorities 0 and 1, run first).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass

import simpy
from simpy.events import Event

from lambdalab.sim.account import Account, AccountWorkload
from lambdalab.sim.attempts import DROPPED, ERROR, OK, THROTTLED, AccountTrace, build_trace
from lambdalab.sim.callers import Asynchronous, Synchronous
from lambdalab.sim.limits import DATABASE_REFUSED, SERVED, Admission

COMPLETION, EXPIRY, ARRIVAL, RETRY = 2, 3, 4, 5


class _Wait(Event):
    """simpy's Timeout with an explicit priority (see simpy_model.py)."""

    def __init__(self, env: simpy.Environment, delay: float, priority: int) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, priority, delay)


@dataclass(eq=False)
class AccountEnvironment:
    """One environment of one function; ``idle_periods`` tells a keep-alive timer whether the idle period
    it was started for is still the current one."""

    number: int
    function: int
    provisioned: bool
    idle: bool = False
    idle_periods: int = 0


class AccountModel:
    """One account's functions, driven by one workload."""

    def __init__(self, account: Account, workload: AccountWorkload) -> None:
        self.account = account
        self.workload = workload
        self.env = simpy.Environment()
        self.admission = Admission(account)
        functions = account.functions
        self.functions = functions
        self.warm = workload.warm.tolist()
        self.cold = workload.cold.tolist()
        self.times = workload.arrival_times.tolist()
        self.function_of = workload.function.tolist()
        self.error_draws = None if workload.error_draws is None else workload.error_draws.tolist()
        self.jitter_draws = None if workload.jitter_draws is None else workload.jitter_draws.tolist()

        database = account.database
        pool = None if database is None else database.pool_size
        self.max_connections = 0 if database is None else database.max_connections
        self.proxy = None if pool is None else simpy.Resource(self.env, capacity=pool)
        self.held_at_init = 0
        self.request_connections = 0

        self.environments: list[AccountEnvironment] = []
        self.idle: list[deque[AccountEnvironment]] = [deque() for _ in functions]
        self.provisioned_idle: list[list[AccountEnvironment]] = [[] for _ in functions]
        for f, spec in enumerate(functions):
            for _ in range(spec.provisioned_concurrency):
                ee = self._new_environment(f, provisioned=True)
                self.provisioned_idle[f].append(ee)
                if self._direct(f) and spec.database == "init":
                    self.held_at_init += 1

        n = workload.requests
        self.columns: dict[str, list] = {
            k: [] for k in ("request", "time", "code", "environment", "cold", "provisioned", "start", "finish", "error")
        }
        self.outcome = [-1] * n
        self.done_at = [math.nan] * n
        self.attempts = [0] * n
        self.throttles = [0] * n
        self.executions = [0] * n

    # --- helpers ------------------------------------------------------------------------------------
    def _direct(self, f: int) -> bool:
        return self.functions[f].database is not None and self.proxy is None

    def _new_environment(self, f: int, provisioned: bool) -> AccountEnvironment:
        ee = AccountEnvironment(len(self.environments), f, provisioned)
        self.environments.append(ee)
        return ee

    def _database_full(self) -> bool:
        return self.held_at_init + self.request_connections >= self.max_connections

    def _record(self, r: int, code: int, ee: AccountEnvironment | None, cold: bool, error: bool) -> int:
        c = self.columns
        c["request"].append(r)
        c["time"].append(self.env.now)
        c["code"].append(code)
        c["environment"].append(-1 if ee is None else ee.number)
        c["cold"].append(cold)
        c["provisioned"].append(ee is not None and ee.provisioned)
        c["start"].append(math.nan)
        c["finish"].append(math.nan)
        c["error"].append(error)
        return len(c["request"]) - 1

    def run(self) -> AccountTrace:
        self.env.process(self.caller())
        self.env.run()
        columns = dict(self.columns)
        columns.update(
            outcome=self.outcome,
            done_at=self.done_at,
            env_function=[e.function for e in self.environments],
            env_provisioned=[e.provisioned for e in self.environments],
        )
        return build_trace(columns, engine="simpy")

    # --- processes ----------------------------------------------------------------------------------
    def caller(self) -> Generator[Event, object, None]:
        for r, gap in enumerate(self.workload.arrival_gaps.tolist()):
            yield _Wait(self.env, gap, ARRIVAL)
            self.arrive(r)

    def retry(self, r: int, delay: float) -> Generator[Event, object, None]:
        yield _Wait(self.env, delay, RETRY)
        self.arrive(r)

    def arrive(self, r: int) -> None:
        """Lambda admits (or refuses) one attempt of request ``r`` and picks its environment."""
        now = self.env.now
        f = self.function_of[r]
        spec = self.functions[f]
        admission = self.admission
        self.attempts[r] += 1
        direct = self._direct(f)
        ee: AccountEnvironment | None = None
        cold = False
        if self.provisioned_idle[f]:
            code = admission.rate(f, now)
            if code == SERVED:
                admission.spend_rate(f)
                if direct and spec.database == "request" and self._database_full():
                    code = DATABASE_REFUSED
                else:
                    ee = self.provisioned_idle[f].pop()
        else:
            code = admission.concurrency(f, now) or admission.rate(f, now)
            if code == SERVED:
                pool = self.idle[f]
                if pool:
                    if direct and spec.database == "request" and self._database_full():
                        admission.spend_rate(f)
                        code = DATABASE_REFUSED
                    else:
                        ee = pool.pop() if spec.routing == "newest" else pool.popleft()
                        admission.spend_rate(f)
                        admission.start_on_demand(f)
                else:
                    code = admission.new_environment(f, now)
                    if code == SERVED:
                        admission.spend_rate(f)
                        if direct and self._database_full():
                            code = DATABASE_REFUSED
                        else:
                            admission.spend_environment(f)
                            admission.start_on_demand(f)
                            ee = self._new_environment(f, provisioned=False)
                            cold = True
                            if spec.database == "init":
                                self.held_at_init += 1

        if code == SERVED:
            assert ee is not None
            ee.idle = False
            e = self.executions[r]
            self.executions[r] = e + 1
            error = self.error_draws is not None and self.error_draws[r][e] < spec.error_rate
            a = self._record(r, code, ee, cold, error)
            self.env.process(self.execution(a, r, ee, cold))
        elif code == DATABASE_REFUSED:
            self._record(r, code, None, False, True)
            self.executions[r] += 1
            self.failed(r)
        else:
            self._record(r, code, None, False, False)
            self.throttled(r)

    def execution(self, a: int, r: int, ee: AccountEnvironment, cold: bool) -> Generator[Event, object, None]:
        f = ee.function
        duration = self.cold[r] if cold else self.warm[r]
        uses = self.functions[f].database
        if self.proxy is not None and uses is not None:
            with self.proxy.request() as connection:
                yield connection
                self.columns["start"][a] = self.env.now
                self.columns["finish"][a] = self.env.now + duration
                yield _Wait(self.env, duration, COMPLETION)
        else:
            if uses == "request":
                self.request_connections += 1
            self.columns["start"][a] = self.env.now
            self.columns["finish"][a] = self.env.now + duration
            yield _Wait(self.env, duration, COMPLETION)
            if uses == "request":
                self.request_connections -= 1
        self.release(ee)
        if self.columns["error"][a]:
            self.failed(r)
        else:
            self._finish(r, OK)

    def release(self, ee: AccountEnvironment) -> None:
        """The environment goes idle: provisioned ones wait forever, on-demand ones until keep-alive."""
        f = ee.function
        ee.idle = True
        ee.idle_periods += 1
        if ee.provisioned:
            self.provisioned_idle[f].append(ee)
            return
        self.admission.finish_on_demand(f)
        self.idle[f].append(ee)
        if math.isfinite(self.functions[f].keep_alive):
            self.env.process(self.keep_alive_timer(ee, ee.idle_periods))

    def keep_alive_timer(self, ee: AccountEnvironment, idle_period: int) -> Generator[Event, object, None]:
        yield _Wait(self.env, self.functions[ee.function].keep_alive, EXPIRY)
        if ee.idle and ee.idle_periods == idle_period:
            self.idle[ee.function].remove(ee)
            ee.idle = False
            if self._direct(ee.function) and self.functions[ee.function].database == "init":
                self.held_at_init -= 1

    # --- what happens to a request after an attempt -------------------------------------------------
    def _finish(self, r: int, how: int) -> None:
        self.outcome[r] = how
        self.done_at[r] = self.env.now

    def _retry_in(self, r: int, delay: float) -> None:
        caller = self.functions[self.function_of[r]].caller
        if isinstance(caller, Asynchronous) and self.env.now + delay - self.times[r] > caller.maximum_event_age:
            self._finish(r, DROPPED)
        else:
            self.env.process(self.retry(r, delay))

    def failed(self, r: int) -> None:
        caller = self.functions[self.function_of[r]].caller
        if isinstance(caller, Asynchronous) and self.executions[r] < caller.max_executions:
            self._retry_in(r, caller.error_delay(self.executions[r]))
        else:
            self._finish(r, ERROR)

    def throttled(self, r: int) -> None:
        self.throttles[r] += 1
        caller = self.functions[self.function_of[r]].caller
        if isinstance(caller, Synchronous):
            if self.attempts[r] < caller.max_attempts:
                assert self.jitter_draws is not None
                k = self.attempts[r] - 1
                self._retry_in(r, caller.backoff(k, self.jitter_draws[r][k]))
            else:
                self._finish(r, THROTTLED)
        else:
            self._retry_in(r, caller.throttle_delay(self.throttles[r] - 1))


def run_account_simpy(account: Account, workload: AccountWorkload) -> AccountTrace:
    """Decide every attempt of ``workload`` under ``account``'s limits, with simpy processes."""
    return AccountModel(account, workload).run()
