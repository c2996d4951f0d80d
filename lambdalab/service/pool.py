"""Which execution environment serves a request: reuse of warm environments and their expiry.

This is the part of Lambda's data plane a cold-start lesson is about. A request goes to an idle
environment when there is one — the most recently used, which is what AWS was observed to do and what
SimFaaS assumes, so the simulator and the live sandbox share one policy — and otherwise to a new
environment (a cold start). An environment that has been idle for longer than the keep-alive is shut
down, so the next request after a quiet spell is cold again.

AWS does not document its keep-alive and has changed it over the years (docs/facts.md), so here it is a
parameter, settable per function, defaulting to a value in the range observed since 2021.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from lambdalab.aws_facts import DEFAULT_KEEP_ALIVE_S
from lambdalab.runtime.environment import EnvironmentState, ExecutionEnvironment

ROUTING_POLICIES = ("newest", "oldest")


class PoolClosed(RuntimeError):
    """The pool was closed (its function deleted, or its configuration replaced) before it could serve."""


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
    def acquire(self, admit: Callable[[bool], None] | None = None) -> tuple[ExecutionEnvironment, bool]:
        """An environment for one request, and whether it is a provisioned one.

        Idle provisioned environments come first (they exist to take traffic); then an idle on-demand
        one by the routing policy; else a new one, whose first invoke is cold. ``admit(new_environment)``
        is asked before an on-demand environment is used and may raise to throttle the request, in which
        case nothing changes.
        """
        with self._lock:
            if self._closed:
                raise PoolClosed("this function version's environments were retired (deleted or reconfigured)")
            self._expire_locked(time.monotonic())
            provisioned = [e for e in self._idle if e in self._provisioned]
            if provisioned:
                env = provisioned[-1]
                self._idle.remove(env)
                self._busy.add(env)
                return env, True
            on_demand = [e for e in self._idle if e not in self._provisioned]
            env = None
            if on_demand:
                env = on_demand[-1] if self.routing == "newest" else on_demand[0]
            if admit is not None:
                admit(env is None)
            if env is not None:
                self._idle.remove(env)
            else:
                env = self._factory()
            self._busy.add(env)
            return env, False

    def release(self, env: ExecutionEnvironment) -> None:
        """Return an environment after an invocation; a dead one is forgotten."""
        with self._lock:
            self._busy.discard(env)
            if env.state is EnvironmentState.DEAD or self._closed or env.shutdown_after_use:
                self._provisioned.discard(env)
                if env.state is not EnvironmentState.DEAD:
                    env.shutdown()
                return
            self._idle.append(env)

    def add_provisioned(self, env: ExecutionEnvironment) -> None:
        """Keep an environment initialised ahead of traffic; provisioned ones never expire."""
        with self._lock:
            if self._closed:
                env.shutdown()
                return
            self._provisioned.add(env)
            self._idle.append(env)

    def remove_provisioned(self) -> None:
        """Release the provisioned environments: idle ones end now, busy ones after their request."""
        with self._lock:
            idle = [e for e in self._idle if e in self._provisioned]
            for env in idle:
                self._idle.remove(env)
            self._provisioned -= set(idle)
            for env in self._provisioned:  # busy ones: forget they were provisioned, end on release
                env.shutdown_after_use = True
            self._provisioned.clear()
        for env in idle:
            env.shutdown()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def provisioned_count(self) -> int:
        return len(self._provisioned)

    @property
    def busy_provisioned(self) -> int:
        with self._lock:
            return len(self._busy & self._provisioned)

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
    def size(self) -> int:
        return len(self._idle) + len(self._busy)

    def close(self, *, force: bool = False) -> None:
        """Shut every environment down; busy ones end as soon as their invocation returns (or now, with
        ``force``, when the whole sandbox is going away)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            busy = list(self._busy) if force else []
            self._provisioned.clear()
        for env in idle:
            env.shutdown()
        for env in busy:
            env.kill()


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
