"""Many functions in one account: what to simulate (``Account``) and the random inputs of one run.

``Scenario`` (scenario.py) is one function under one limit; an ``Account`` is what production looks like:
several functions sharing the account's concurrency, some with reserved or provisioned concurrency, each
with its own traffic, callers, errors and database habits, under one scaling model and the
requests-per-second cap. The engines (``account_fast``, ``account_simpy``) make identical decisions on the
same ``AccountWorkload``.

Random inputs are drawn up front, per function, from streams spawned from the seed in function order:
adding a function at the end, or changing one function's durations, leaves every other function's
arrivals and durations untouched (common random numbers across scenarios).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from lambdalab.aws_facts import (
    DEFAULT_KEEP_ALIVE_S,
    DEFAULT_REGION,
    MAX_MEMORY_MB,
    MAX_TIMEOUT_S,
    MIN_MEMORY_MB,
    REQUESTS_PER_CONCURRENCY,
)
from lambdalab.sim.arrivals import Arrivals
from lambdalab.sim.callers import Asynchronous, Caller, Synchronous
from lambdalab.sim.database import CONNECT_AT, ConnectAt, Database
from lambdalab.sim.distributions import Constant, Distribution
from lambdalab.sim.presets import COLD_START_PRESETS
from lambdalab.sim.scaling import PerFunctionScaling, RegionalBurstScaling
from lambdalab.sim.scenario import DEFAULT_ACCOUNT_CONCURRENCY, ROUTING_POLICIES, UNRESERVED_MINIMUM, Routing, Scenario

Architecture = Literal["x86_64", "arm64"]
Scaling = PerFunctionScaling | RegionalBurstScaling



@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function: its traffic, how long it runs, its limits, callers and database habits.

    - ``duration``: the handler's run time (REPORT ``Duration``); a cold start adds ``init_duration``
      (REPORT ``Init Duration``, a Python 3.12 median by default) before it.
    - ``keep_alive`` and ``routing`` as in ``Scenario``; 6 minutes by default, as the live sandbox.
    - ``reserved_concurrency``: guaranteed and capped; ``provisioned_concurrency``: environments kept
      initialised from the start, used first, never reclaimed; beyond them requests spill over to
      on-demand environments.
    - ``caller``: ``Synchronous(max_attempts=...)`` or ``Asynchronous(...)``.
    - ``error_rate``: probability that an execution fails (function error), independently each time.
    - ``database``: ``"init"``, ``"request"`` or None (see ``database.py``).
    """

    name: str
    arrivals: Arrivals
    duration: Distribution
    init_duration: Distribution = Constant(COLD_START_PRESETS["python3.12"].extra)
    memory_mb: int = 512
    architecture: Architecture = "x86_64"
    keep_alive: float = DEFAULT_KEEP_ALIVE_S
    routing: Routing = "newest"
    reserved_concurrency: int | None = None
    provisioned_concurrency: int = 0
    caller: Caller = field(default_factory=Synchronous)
    error_rate: float = 0.0
    database: ConnectAt | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a function needs a name")
        if not MIN_MEMORY_MB <= self.memory_mb <= MAX_MEMORY_MB:
            raise ValueError(f"{self.name}: memory_mb must be within Lambda's {MIN_MEMORY_MB}-{MAX_MEMORY_MB:,} MB, "
                             f"got {self.memory_mb}")
        if self.architecture not in ("x86_64", "arm64"):
            raise ValueError(f"{self.name}: architecture must be 'x86_64' or 'arm64', got {self.architecture!r}")
        if not self.keep_alive >= 0:
            raise ValueError(f"{self.name}: keep_alive must be >= 0 seconds, got {self.keep_alive!r}")
        if self.routing not in ROUTING_POLICIES:
            raise ValueError(f"{self.name}: routing must be one of {ROUTING_POLICIES}, got {self.routing!r}")
        if self.reserved_concurrency is not None and self.reserved_concurrency < 0:
            raise ValueError(f"{self.name}: reserved_concurrency must be >= 0, got {self.reserved_concurrency}")
        if self.provisioned_concurrency < 0:
            raise ValueError(f"{self.name}: provisioned_concurrency must be >= 0")
        if self.reserved_concurrency is not None and self.provisioned_concurrency > self.reserved_concurrency:
            raise ValueError(
                f"{self.name}: Requested Provisioned Concurrency ({self.provisioned_concurrency}) should not be "
                f"greater than the reservedConcurrentExecution for function ({self.reserved_concurrency})"
            )
        if not isinstance(self.caller, Synchronous | Asynchronous):
            raise ValueError(f"{self.name}: caller must be Synchronous(...) or Asynchronous(...)")
        if not 0 <= self.error_rate <= 1:
            raise ValueError(f"{self.name}: error_rate must be a probability, got {self.error_rate!r}")
        if self.database is not None and self.database not in CONNECT_AT:
            raise ValueError(f"{self.name}: database must be one of {CONNECT_AT} or None, got {self.database!r}")

    @property
    def max_executions(self) -> int:
        """How many times one request can run (async retries after errors), for pre-drawing errors."""
        return self.caller.max_executions if isinstance(self.caller, Asynchronous) else 1

    @property
    def max_backoffs(self) -> int:
        """How many jittered backoffs one synchronous request can need."""
        return self.caller.max_attempts - 1 if isinstance(self.caller, Synchronous) else 0

    @property
    def gb(self) -> float:
        return self.memory_mb / 1024


@dataclass(frozen=True)
class Account:
    """An AWS account in one Region: its functions and the limits they share.

    - ``concurrency_limit``: the account's concurrent executions (1,000 by default; None for no limit).
      Functions without a reservation share what reservations leave; AWS keeps ``unreserved_minimum``
      of it unreserved.
    - ``scaling``: ``PerFunctionScaling()`` (since Nov 2023: 1,000 new environments per function per 10 s),
      ``RegionalBurstScaling.for_region(...)`` (before: a burst of 3,000/1,000/500 shared by the account,
      then +500 a minute), or None for no scaling limit.
    - ``requests_per_concurrency``: the invocation rate cap, 10 x concurrency (None: no cap).
    - ``database``: the one database the functions with ``database=...`` use.
    - ``horizon``: requests arrive in [0, horizon); retries and the last executions may run past it.
    """

    functions: tuple[FunctionSpec, ...]
    horizon: float
    concurrency_limit: int | None = DEFAULT_ACCOUNT_CONCURRENCY
    scaling: Scaling | None = field(default_factory=PerFunctionScaling)
    requests_per_concurrency: float | None = REQUESTS_PER_CONCURRENCY
    database: Database | None = None
    unreserved_minimum: int = UNRESERVED_MINIMUM
    region: str = DEFAULT_REGION

    def __post_init__(self) -> None:
        object.__setattr__(self, "functions", tuple(self.functions))
        if not self.functions:
            raise ValueError("an account needs at least one function")
        names = [f.name for f in self.functions]
        if len(set(names)) != len(names):
            raise ValueError(f"function names must be unique, got {names}")
        if not (self.horizon > 0 and math.isfinite(self.horizon)):
            raise ValueError(f"horizon must be a positive, finite number of seconds, got {self.horizon!r}")
        if self.concurrency_limit is not None and self.concurrency_limit < 0:
            raise ValueError(f"concurrency_limit must be >= 0 or None, got {self.concurrency_limit}")
        if self.requests_per_concurrency is not None and not self.requests_per_concurrency > 0:
            raise ValueError("requests_per_concurrency must be > 0 or None")
        if self.concurrency_limit is not None:
            reserved = sum(f.reserved_concurrency or 0 for f in self.functions)
            pool = self.concurrency_limit - reserved
            if pool < self.unreserved_minimum:
                raise ValueError(
                    "Specified ReservedConcurrentExecutions for function decreases account's "
                    f"UnreservedConcurrentExecution below its minimum value of [{self.unreserved_minimum}]."
                )
            provisioned = sum(f.provisioned_concurrency for f in self.functions if f.reserved_concurrency is None)
            if pool - provisioned < self.unreserved_minimum:
                raise ValueError(
                    f"provisioned concurrency of functions without a reservation ({provisioned}) must leave "
                    f"{self.unreserved_minimum} of the unreserved pool ({pool})"
                )
        users = [f.name for f in self.functions if f.database is not None]
        if users and self.database is None:
            raise ValueError(f"functions {users} use a database but the account has none (database=Database(...))")
        if self.database is not None and self.database.proxy is None:
            held = sum(f.provisioned_concurrency for f in self.functions if f.database == "init")
            if held > self.database.max_connections:
                raise ValueError(
                    f"provisioned environments opening a connection at init ({held}) exceed max_connections "
                    f"({self.database.max_connections}): their init would fail"
                )

    def index(self, name: str) -> int:
        for i, f in enumerate(self.functions):
            if f.name == name:
                return i
        raise KeyError(f"no function named {name!r}; the account has {[f.name for f in self.functions]}")

    @property
    def unreserved_pool(self) -> float:
        """Concurrency shared by functions without a reservation (inf without an account limit)."""
        if self.concurrency_limit is None:
            return math.inf
        return self.concurrency_limit - sum(f.reserved_concurrency or 0 for f in self.functions)


def account_for_scenario(scenario: Scenario) -> Account:
    """The one-function account that behaves like ``scenario``: no scaling limit and no rate cap, as the
    Scenario model has neither. Use ``AccountWorkload.of_workload`` to feed it the Scenario's exact inputs."""
    fn = FunctionSpec(
        name="function",
        arrivals=scenario.arrivals,
        duration=scenario.warm_duration,
        init_duration=Constant(max(0.0, scenario.cold_duration.mean - scenario.warm_duration.mean)),
        keep_alive=scenario.keep_alive,
        routing=scenario.routing,
        reserved_concurrency=scenario.reserved_concurrency,
    )
    return Account(
        functions=(fn,),
        horizon=scenario.horizon,
        concurrency_limit=scenario.concurrency_limit,
        scaling=None,
        requests_per_concurrency=None,
        unreserved_minimum=UNRESERVED_MINIMUM if scenario.reserved_concurrency is not None else 0,
    )


@dataclass(frozen=True)
class AccountWorkload:
    """The pre-drawn inputs of one run, indexed by request (all functions merged in arrival order).

    ``cold[i] - warm[i]`` is request i's Init Duration. ``error_draws[i, k]`` decides whether its execution
    number k fails (it does when the draw is below the function's ``error_rate``); ``jitter_draws[i, k]``
    is the uniform draw of its k-th backoff. Either is None when no function needs it.
    """

    function: np.ndarray
    arrival_gaps: np.ndarray
    arrival_times: np.ndarray
    warm: np.ndarray
    cold: np.ndarray
    error_draws: np.ndarray | None = None
    jitter_draws: np.ndarray | None = None

    @property
    def requests(self) -> int:
        return len(self.arrival_times)

    @classmethod
    def of(
        cls,
        arrival_times: Sequence[float] | np.ndarray,
        warm: Sequence[float] | np.ndarray,
        cold: Sequence[float] | np.ndarray,
        function: Sequence[int] | np.ndarray | None = None,
        error_draws: Sequence[Sequence[float]] | np.ndarray | None = None,
        jitter_draws: Sequence[Sequence[float]] | np.ndarray | None = None,
    ) -> AccountWorkload:
        """A workload written by hand, for worked examples and tests where exact instants matter."""
        times = np.asarray(arrival_times, dtype=float)
        if np.any(np.diff(times) < 0) or (len(times) and times[0] < 0):
            raise ValueError("arrival_times must be sorted seconds from the start (>= 0)")
        n = len(times)
        fn = np.zeros(n, dtype=np.int64) if function is None else np.asarray(function, dtype=np.int64)
        warm_ = np.asarray(warm, dtype=float)
        cold_ = np.asarray(cold, dtype=float)
        if not (len(fn) == len(warm_) == len(cold_) == n):
            raise ValueError("one function index, one warm and one cold duration per request")
        gaps = np.diff(times, prepend=0.0)
        errors = None if error_draws is None else np.asarray(error_draws, dtype=float).reshape(n, -1)
        jitter = None if jitter_draws is None else np.asarray(jitter_draws, dtype=float).reshape(n, -1)
        return cls(fn, gaps, np.cumsum(gaps), warm_, cold_, errors, jitter)

    @classmethod
    def of_workload(cls, workload: object) -> AccountWorkload:
        """The same requests as a ``Scenario`` workload, all for function 0 (for cross-checks)."""
        return cls(
            function=np.zeros(workload.requests, dtype=np.int64),  # type: ignore[attr-defined]
            arrival_gaps=workload.arrival_gaps,  # type: ignore[attr-defined]
            arrival_times=workload.arrival_times,  # type: ignore[attr-defined]
            warm=workload.warm_durations,  # type: ignore[attr-defined]
            cold=workload.cold_durations,  # type: ignore[attr-defined]
        )


def draw_account_workload(account: Account, seed: int | np.random.SeedSequence = 0) -> AccountWorkload:
    """Draw every random input of a run from ``seed`` (same seed, same workload, on any machine)."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    per_function = root.spawn(len(account.functions))
    times, functions, warms, colds, errors, jitters = [], [], [], [], [], []
    # One draw per possible execution of every request (a retried async event may run up to 3 times, even
    # in a function without errors of its own, when a database refuses it), if any function can fail at all.
    failing = any(f.error_rate > 0 for f in account.functions)
    n_errors = max(f.max_executions for f in account.functions) if failing else 0
    n_jitter = max((f.max_backoffs for f in account.functions), default=0)
    for index, (spec, child) in enumerate(zip(account.functions, per_function, strict=True)):
        arrivals_seed, duration_seed, init_seed, error_seed, jitter_seed = child.spawn(5)
        gaps = np.asarray(spec.arrivals.gaps(np.random.default_rng(arrivals_seed), account.horizon), float)
        n = len(gaps)
        durations = spec.duration.sample(np.random.default_rng(duration_seed), n)
        warm = np.minimum(np.asarray(durations, float), MAX_TIMEOUT_S)
        init = np.asarray(spec.init_duration.sample(np.random.default_rng(init_seed), n), float)
        times.append(np.cumsum(gaps))
        functions.append(np.full(n, index, dtype=np.int64))
        warms.append(warm)
        colds.append(warm + init)
        if n_errors:
            draws = np.ones((n, n_errors))
            if spec.error_rate > 0:
                draws[:, : spec.max_executions] = np.random.default_rng(error_seed).random((n, spec.max_executions))
            errors.append(draws)
        if n_jitter:
            draws = np.zeros((n, n_jitter))
            if spec.max_backoffs:
                draws[:, : spec.max_backoffs] = np.random.default_rng(jitter_seed).random((n, spec.max_backoffs))
            jitters.append(draws)
    all_times = np.concatenate(times)
    order = np.argsort(all_times, kind="stable")  # ties: function order, then request order
    # Canonical instants: the running sum of the merged gaps, so simpy (waiting gap after gap) reaches
    # exactly the same floats as the fast engine reading them.
    gaps = np.diff(all_times[order], prepend=0.0)
    return AccountWorkload(
        function=np.concatenate(functions)[order],
        arrival_gaps=gaps,
        arrival_times=np.cumsum(gaps),
        warm=np.concatenate(warms)[order],
        cold=np.concatenate(colds)[order],
        error_draws=np.concatenate(errors)[order] if n_errors else None,
        jitter_draws=np.concatenate(jitters)[order] if n_jitter else None,
    )
