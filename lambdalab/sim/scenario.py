"""What to simulate (a Scenario) and the random inputs of one run (a Workload).

The random numbers are drawn before any engine runs, indexed by request: request ``i`` arrives at
``arrival_times[i]`` and, if it is served, keeps its environment busy for ``cold_durations[i]`` when it
starts one (init + run) or ``warm_durations[i]`` when it reuses one. Because nothing is drawn during the
run, the simpy model and the fast engine see identical inputs and must make identical decisions.
Arrivals, warm and cold durations come from three independent streams spawned from the seed, so changing
the cold-start distribution (or the keep-alive) leaves the arrivals untouched: comparisons between
scenarios use common random numbers, which makes curves smooth and differences real.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from lambdalab.aws_facts import ACCOUNT_CONCURRENCY_EXCEEDED, DEFAULT_KEEP_ALIVE_S, RESERVED_CONCURRENCY_EXCEEDED
from lambdalab.sim.arrivals import Arrivals
from lambdalab.sim.distributions import Distribution

Routing = Literal["newest", "oldest"]
ROUTING_POLICIES: tuple[Routing, ...] = ("newest", "oldest")

#: Lambda's default concurrency quota per account and Region (docs/facts.md, "Scaling").
DEFAULT_ACCOUNT_CONCURRENCY = 1000
#: Reserved concurrency may take at most the account's limit minus this unreserved minimum.
UNRESERVED_MINIMUM = 100

#: The ``Reason`` of a 429 ``TooManyRequestsException``: which limit the request ran into.
ACCOUNT_LIMIT_EXCEEDED = ACCOUNT_CONCURRENCY_EXCEEDED
RESERVED_LIMIT_EXCEEDED = RESERVED_CONCURRENCY_EXCEEDED


@dataclass(frozen=True)
class Scenario:
    """One function behind a pool of execution environments, under one arrival process.

    - ``keep_alive``: seconds an idle environment survives after its last request finished (``math.inf``
      for never). Undocumented by AWS and changed over the years: see ``presets.KEEP_ALIVE_PRESETS``.
    - ``concurrency_limit``: how many environments may be busy at once; a request arriving when that many
      are busy is throttled (HTTP 429), not queued, as for a synchronous invoke. ``None`` for no limit.
    - ``routing``: which idle environment a warm request reuses, ``"newest"`` (most recently used, what AWS
      appears to do and SimFaaS's default) or ``"oldest"`` (least recently used, which spreads requests and
      keeps more environments alive).
    - ``reserved_concurrency``: the function's ReservedConcurrency, if set. It becomes the function's limit
      (guaranteed and capped), and its throttles carry ``ReservedFunctionConcurrentInvocationLimitExceeded``;
      without it the function shares the account's unreserved pool (here ``concurrency_limit``, as if it
      were the account's only unreserved function) and throttles carry ``ConcurrentInvocationLimitExceeded``.
    - ``horizon``: requests arriving in ``[0, horizon)`` are simulated; time averages cover ``[0, horizon]``.
    """

    arrivals: Arrivals
    warm_duration: Distribution
    cold_duration: Distribution
    horizon: float
    keep_alive: float = DEFAULT_KEEP_ALIVE_S
    concurrency_limit: int | None = DEFAULT_ACCOUNT_CONCURRENCY
    routing: Routing = "newest"
    reserved_concurrency: int | None = None

    def __post_init__(self) -> None:
        if not (self.horizon > 0 and math.isfinite(self.horizon)):
            raise ValueError(f"horizon must be a positive, finite number of seconds, got {self.horizon!r}")
        if not self.keep_alive >= 0:
            raise ValueError(f"keep_alive must be >= 0 seconds (math.inf for never), got {self.keep_alive!r}")
        if self.concurrency_limit is not None and self.concurrency_limit < 0:
            raise ValueError(f"concurrency_limit must be >= 0 or None, got {self.concurrency_limit!r}")
        if self.routing not in ROUTING_POLICIES:
            raise ValueError(f"routing must be one of {ROUTING_POLICIES}, got {self.routing!r}")
        if self.reserved_concurrency is not None:
            if self.reserved_concurrency < 0:
                raise ValueError(f"reserved_concurrency must be >= 0, got {self.reserved_concurrency!r}")
            account = self.concurrency_limit
            if account is not None and self.reserved_concurrency > account - UNRESERVED_MINIMUM:
                raise ValueError(
                    f"reserved_concurrency {self.reserved_concurrency} leaves less than {UNRESERVED_MINIMUM} "
                    f"of the account's {account} unreserved: AWS refuses it"
                )

    @property
    def function_limit(self) -> int | None:
        """How many of this function's environments may be busy at once."""
        return self.concurrency_limit if self.reserved_concurrency is None else self.reserved_concurrency

    @property
    def throttle_reason(self) -> str:
        """The reason every throttle of this function carries (only one limit can bind for it)."""
        return ACCOUNT_LIMIT_EXCEEDED if self.reserved_concurrency is None else RESERVED_LIMIT_EXCEEDED


@dataclass(frozen=True)
class Workload:
    """The pre-drawn random inputs of one run, indexed by request."""

    arrival_gaps: np.ndarray
    arrival_times: np.ndarray
    warm_durations: np.ndarray
    cold_durations: np.ndarray

    @property
    def requests(self) -> int:
        return len(self.arrival_times)

    @classmethod
    def of(
        cls,
        arrival_times: Sequence[float] | np.ndarray,
        warm_durations: Sequence[float] | np.ndarray,
        cold_durations: Sequence[float] | np.ndarray,
    ) -> Workload:
        """A workload written by hand (sorted arrival instants, one warm and one cold duration each):
        for worked examples and tests where the exact instants matter."""
        times = np.asarray(arrival_times, dtype=float)
        if np.any(np.diff(times) < 0) or (len(times) and times[0] < 0):
            raise ValueError("arrival_times must be sorted seconds from the start (>= 0)")
        warm = np.asarray(warm_durations, dtype=float)
        cold = np.asarray(cold_durations, dtype=float)
        if not (len(warm) == len(cold) == len(times)):
            raise ValueError(
                f"one warm and one cold duration per request: got {len(times)} arrivals, "
                f"{len(warm)} warm and {len(cold)} cold durations"
            )
        gaps = np.diff(times, prepend=0.0)
        return cls(arrival_gaps=gaps, arrival_times=np.cumsum(gaps), warm_durations=warm, cold_durations=cold)


def draw_workload(scenario: Scenario, seed: int | np.random.SeedSequence = 0) -> Workload:
    """Draw every random input of a run from ``seed`` (same seed, same workload, on any machine)."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    arrivals_seed, warm_seed, cold_seed = root.spawn(3)
    gaps = np.asarray(scenario.arrivals.gaps(np.random.default_rng(arrivals_seed), scenario.horizon), float)
    n = len(gaps)
    return Workload(
        arrival_gaps=gaps,
        # np.cumsum adds sequentially, exactly as simpy reaches each instant by waiting one gap at a time.
        arrival_times=np.cumsum(gaps),
        warm_durations=np.asarray(scenario.warm_duration.sample(np.random.default_rng(warm_seed), n), float),
        cold_durations=np.asarray(scenario.cold_duration.sample(np.random.default_rng(cold_seed), n), float),
    )
