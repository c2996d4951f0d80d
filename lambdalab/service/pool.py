"""Which execution environment serves a request: reuse of warm environments and their expiry.

This is the part of Lambda's data plane a cold-start lesson is about. A request goes to an idle
environment when there is one — the most recently used, which is what AWS was observed to do and what
SimFaaS assumes, so the simulator and the live sandbox share one policy — and otherwise to a new
environment (a cold start). An environment that has been idle for longer than the keep-alive is shut
down, so the next request after a quiet spell is cold again.

AWS does not document its keep-alive and has changed it over the years (FACTS.md), so here it is a
parameter, settable per function, defaulting to a value in the range observed since 2021.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from lambdalab.runtime.environment import EnvironmentState, ExecutionEnvironment

DEFAULT_KEEP_ALIVE_S = 360.0  # 6 minutes: within the 5–7 min observed in 2021 (FACTS.md)
ROUTING_POLICIES = ("newest", "oldest")


@dataclass(frozen=True)
class EnvironmentSnapshot:
    """What a learner can see of one environment at a moment: its id, state, age and use."""

    environment_id: str
    state: str
    invocations: int
    idle_for_s: float
    pid: int | None
    provisioned: bool


class EnvironmentPool:
    """The execution environments of one function version, and the rule that assigns requests to them."""

    def __init__(self, factory: Callable[[], ExecutionEnvironment], *, keep_alive: float = DEFAULT_KEEP_ALIVE_S,
                 routing: str = "newest") -> None:
        if keep_alive <= 0:
            raise ValueError(f"keep_alive must be a positive number of seconds, got {keep_alive!r}")
        if routing not in ROUTING_POLICIES:
            raise ValueError(f"routing must be one of {ROUTING_POLICIES}, got {routing!r}")
        self._factory = factory
        self.keep_alive = float(keep_alive)
        self.routing = routing
        self._idle: list[ExecutionEnvironment] = []  # least recently used first
        self._busy: set[ExecutionEnvironment] = set()
        self._provisioned: set[ExecutionEnvironment] = set()
        self._lock = threading.Lock()
        self._closed = False
        _REAPER.register(self)

    # --- acquire / release ---------------------------------------------------------------------
    def acquire(self) -> ExecutionEnvironment:
        """An idle environment by the routing policy, or a new one (whose first invoke is cold)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this function has been deleted")
            self._expire_locked(time.monotonic())
            if self._idle:
                env = self._idle.pop() if self.routing == "newest" else self._idle.pop(0)
            else:
                env = self._factory()
            self._busy.add(env)
            return env

    def release(self, env: ExecutionEnvironment) -> None:
        """Return an environment after an invocation; a dead one is forgotten."""
        with self._lock:
            self._busy.discard(env)
            if env.state is EnvironmentState.DEAD or self._closed:
                self._provisioned.discard(env)
                if self._closed:
                    env.shutdown()
                return
            self._idle.append(env)

    def add_provisioned(self, env: ExecutionEnvironment) -> None:
        """Keep an environment initialised ahead of traffic; provisioned ones never expire."""
        with self._lock:
            self._provisioned.add(env)
            self._idle.append(env)

    # --- expiry --------------------------------------------------------------------------------
    def expire_idle(self) -> int:
        """Shut down environments idle for longer than the keep-alive; returns how many."""
        with self._lock:
            return self._expire_locked(time.monotonic())

    def _expire_locked(self, now: float) -> int:
        expired = [e for e in self._idle
                   if e not in self._provisioned and now - e.last_used_at >= self.keep_alive]
        for env in expired:
            self._idle.remove(env)
            env.shutdown()
        return len(expired)

    # --- views and teardown --------------------------------------------------------------------
    def snapshot(self) -> list[EnvironmentSnapshot]:
        now = time.monotonic()
        with self._lock:
            envs = [*self._idle, *self._busy]
            return [EnvironmentSnapshot(e.environment_id, e.state.value, e.invocation_count,
                                        0.0 if e in self._busy else round(now - e.last_used_at, 3),
                                        e.pid, e in self._provisioned) for e in envs]

    @property
    def busy_count(self) -> int:
        return len(self._busy)

    @property
    def size(self) -> int:
        return len(self._idle) + len(self._busy)

    def close(self) -> None:
        """Shut every environment down; busy ones end as soon as their invocation returns."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._provisioned.clear()
        for env in idle:
            env.shutdown()


class _Reaper:
    """One background thread that expires idle environments of every pool, so an idle function does not
    keep processes alive for longer than its keep-alive even when nobody invokes it again."""

    def __init__(self, interval: float = 0.25) -> None:
        self._pools: weakref.WeakSet[EnvironmentPool] = weakref.WeakSet()
        self._interval = interval
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def register(self, pool: EnvironmentPool) -> None:
        with self._lock:
            self._pools.add(pool)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lambdalab-reaper", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self._interval)
            for pool in list(self._pools):
                try:
                    pool.expire_idle()
                except Exception:  # noqa: BLE001 - the reaper must outlive any one pool's trouble
                    continue


_REAPER = _Reaper()
