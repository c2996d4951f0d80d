"""From an engine's trace to the figures a lesson shows: cold starts, throttles, environments, latency.

Time averages are exact integrals over ``[0, horizon]``, computed from each request's busy interval and
each environment's lifetime (from its cold start to ``keep_alive`` after its last request finished), not
from sampling the state now and then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from lambdalab.sim.scenario import Scenario, Workload
from lambdalab.sim.trace import NO_ENVIRONMENT, Trace

#: Number of bins in the concurrency time series kept for plots.
SERIES_BINS = 200


@dataclass(frozen=True)
class ConcurrencySeries:
    """Mean busy and live environments in each of equal time bins starting at ``start[k]``: for plots."""

    start: np.ndarray
    width: float
    busy: np.ndarray
    live: np.ndarray


@dataclass(frozen=True)
class SimulationResult:
    """The outcome of one simulated run.

    ``cold_start_probability`` is the fraction of *served* requests that started an environment (SimFaaS
    divides by all requests instead; the two agree when nothing is throttled). Latencies are the durations
    of served requests (cold ones include the init), in seconds: no queueing, as for a synchronous invoke.
    ``throttle_reasons`` counts throttles by the ``Reason`` of their 429 (see ``Scenario.throttle_reason``).

    The counts and time averages are computed when the result is made; the figures that cost a pass of
    their own over every request (peaks, latency percentiles, the concurrency series, billed seconds) on
    first read, once, since a sweep of hundreds of runs often reads none of them.
    """

    scenario: Scenario
    seed: int
    engine: str
    requests: int
    served: int
    cold_starts: int
    throttles: int
    throttle_reasons: dict[str, int]
    cold_start_probability: float
    throttled_fraction: float
    mean_live: float
    mean_busy: float
    mean_idle: float
    _durations: np.ndarray = field(repr=False, compare=False)
    _busy_from: np.ndarray = field(repr=False, compare=False)  # each served request's [start, finish)
    _busy_until: np.ndarray = field(repr=False, compare=False)
    _live_from: np.ndarray = field(repr=False, compare=False)  # each environment's [creation, expiry)
    _live_until: np.ndarray = field(repr=False, compare=False)

    @cached_property
    def _busy(self) -> _Intervals:
        return _Intervals.of(self._busy_from, self._busy_until)

    @cached_property
    def _live(self) -> _Intervals:
        return _Intervals.of(self._live_from, self._live_until)

    @cached_property
    def peak_busy(self) -> int:
        """Most requests running at once."""
        return self._busy.peak()

    @cached_property
    def peak_live(self) -> int:
        """Most environments alive (busy or idle) at once."""
        return self._live.peak()

    @cached_property
    def _latency_percentiles(self) -> tuple[float, float, float]:
        if len(self._durations) == 0:
            return (float("nan"),) * 3
        p50, p95, p99 = np.percentile(self._durations, [50, 95, 99])
        return float(p50), float(p95), float(p99)

    @property
    def latency_p50(self) -> float:
        return self._latency_percentiles[0]

    @property
    def latency_p95(self) -> float:
        return self._latency_percentiles[1]

    @property
    def latency_p99(self) -> float:
        return self._latency_percentiles[2]

    @cached_property
    def series(self) -> ConcurrencySeries:
        edges = np.linspace(0.0, self.scenario.horizon, SERIES_BINS + 1)
        width = self.scenario.horizon / SERIES_BINS
        return ConcurrencySeries(
            start=edges[:-1],
            width=width,
            busy=np.diff(self._busy.integral_until(edges)) / width,
            live=np.diff(self._live.integral_until(edges)) / width,
        )

    @cached_property
    def billed_seconds(self) -> float:
        """Sum of every served request's billed duration (rounded up to the ms; cold ones include their
        init, as billed since Aug 2025): what ``cost.price_simulation`` multiplies by the price."""
        return float((np.ceil(np.round(self._durations * 1000, 6)) / 1000).sum())


@dataclass(frozen=True)
class _Intervals:
    """Half-open intervals ``[start, end)`` kept as two sorted arrays with prefix sums: enough to
    integrate or count them at any instant by binary search, O((n + queries) log n)."""

    starts: np.ndarray
    ends: np.ndarray
    starts_cum: np.ndarray
    ends_cum: np.ndarray

    @classmethod
    def of(cls, starts: np.ndarray, ends: np.ndarray) -> _Intervals:
        s = np.sort(starts, kind="stable")  # usually in arrival order already: linear for a stable sort
        finite = np.isfinite(ends)
        e = np.sort(ends if finite.all() else ends[finite])  # an interval that never ends never closes
        return cls(s, e, _prefix_sums(s), _prefix_sums(e))

    def integral_until(self, at: np.ndarray) -> np.ndarray:
        """Total length of the intervals before each instant: sum of (at - start)+ minus (at - end)+."""
        k_s = np.searchsorted(self.starts, at, side="left")
        k_e = np.searchsorted(self.ends, at, side="left")
        return (k_s * at - self.starts_cum[k_s]) - (k_e * at - self.ends_cum[k_e])

    def peak(self) -> int:
        """Most intervals open at once. The count only rises at a start, and one ending at t has already
        freed its place for one starting at t (as in the engines), so checking just after each start will do.
        """
        if len(self.starts) == 0:
            return 0
        if (self.starts[1:] > self.starts[:-1]).all():  # no two start together: the k-th start opens k + 1
            opened = np.arange(1, len(self.starts) + 1)
        else:
            opened = np.searchsorted(self.starts, self.starts, side="right")
        closed = np.searchsorted(self.ends, self.starts, side="right")
        return int((opened - closed).max())


def _prefix_sums(values: np.ndarray) -> np.ndarray:
    """``[0, v0, v0 + v1, ...]``: the same sequential sums as ``np.cumsum``, written in place after the 0."""
    sums = np.empty(len(values) + 1)
    sums[0] = 0.0
    np.cumsum(values, out=sums[1:])
    return sums


def _clipped_length(starts: np.ndarray, ends: np.ndarray, horizon: float) -> float:
    """Total length of the intervals ``[start, end)`` within ``[0, horizon]`` (starts are >= 0)."""
    return float((np.minimum(ends, horizon) - np.minimum(starts, horizon)).sum())


def summarize(scenario: Scenario, workload: Workload, trace: Trace, seed: int = 0) -> SimulationResult:
    """Turn a trace into a result; shared by both engines so they can only differ in their decisions.

    The means need no sorting: the time integral of a set of intervals over ``[0, horizon]`` is the sum of
    their lengths clipped to it (a hand-written workload may hold arrivals at or after the horizon).
    """
    horizon = scenario.horizon
    served = trace.environment != NO_ENVIRONMENT
    n_served = int(np.count_nonzero(served))
    durations = np.where(trace.cold, workload.cold_durations, workload.warm_durations)
    if n_served == len(served):  # nothing throttled: no copies to leave the 429s out
        starts, envs, cold = workload.arrival_times, trace.environment, trace.cold
    else:
        starts, envs, cold, durations = (
            workload.arrival_times[served],
            trace.environment[served],
            trace.cold[served],
            durations[served],
        )
    finishes = starts + durations

    n_env = int(np.count_nonzero(trace.cold))
    created_at = np.empty(n_env)
    created_at[envs[cold]] = starts[cold]
    last_finish = np.full(n_env, -np.inf)
    np.maximum.at(last_finish, envs, finishes)
    expires_at = last_finish + scenario.keep_alive

    requests = workload.requests
    mean_busy = float(_clipped_length(starts, finishes, horizon) / horizon)
    mean_live = float(_clipped_length(created_at, expires_at, horizon) / horizon)
    return SimulationResult(
        scenario=scenario,
        seed=seed,
        engine=trace.engine,
        requests=requests,
        served=n_served,
        cold_starts=n_env,
        throttles=requests - n_served,
        throttle_reasons={scenario.throttle_reason: requests - n_served} if requests > n_served else {},
        cold_start_probability=n_env / n_served if n_served else float("nan"),
        throttled_fraction=(requests - n_served) / requests if requests else float("nan"),
        mean_live=mean_live,
        mean_busy=mean_busy,
        mean_idle=mean_live - mean_busy,
        _durations=durations,
        _busy_from=starts,
        _busy_until=finishes,
        _live_from=created_at,
        _live_until=expires_at,
    )
