"""Traffic that changes over time: bursts, daily cycles, and a production-like mix of many functions.

Real traffic is not a constant Poisson stream. Three shapes matter for Lambda's limits and bill:

- **bursts** (a launch, a retry storm, a batch job): the rate jumps for a while, which is what the scaling
  rate and the concurrency ceilings are about. ``BurstArrivals`` is a piecewise-constant rate, drawn exactly
  segment by segment (a Poisson count, then uniform instants), so a 10-second spike to 5,000 requests a
  second inside a quiet hour costs 50,000 draws, not 18 million;
- **daily cycles**: ``DiurnalArrivals`` is a non-homogeneous Poisson process with a sinusoidal rate, drawn
  by thinning (Lewis & Shedler, 1979): candidates at the peak rate, each kept with probability
  rate(t) / peak. ``RateProfileArrivals`` does the same for any rate function;
- **many functions of very different popularity**: ``azure_function_rates`` draws per-function rates from
  the distribution Shahrad et al. measured on Azure Functions (USENIX ATC, July 2020): rates spanning about
  8 orders of magnitude, 45 % of applications invoked at most once an hour, 81 % at most once a minute,
  about 3 % more than once a second. Those three figures sit almost exactly on one log-normal (log10 of
  the rate in requests per second: mean -3.33, sigma 1.77), which is what is drawn here.

Every class returns *gaps* like the arrivals of ``arrivals.py``, so both engines reach each instant by the
same additions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from lambdalab.sim.arrivals import PoissonArrivals

#: Shahrad et al., "Serverless in the Wild", USENIX ATC 2020 (Azure Functions, two weeks of July 2019), as
#: summarised by M. Shilkov (https://mikhail.io/2020/05/serverless-in-the-wild-azure-functions-usage-stats/,
#: 2020-05): 45 % of apps <= 1 invocation/hour, 81 % <= 1/minute, 97 % <= 1/second. A log-normal through
#: these quantiles: log10(rate per second) ~ Normal(-3.33, 1.77).
AZURE_2019_LOG10_RATE_MEAN = -3.33
AZURE_2019_LOG10_RATE_SIGMA = 1.77
AZURE_2019_SOURCE = (
    "Shahrad et al., 'Serverless in the Wild: Characterizing and Optimizing the Serverless Workload at a "
    "Large Cloud Provider', USENIX ATC 2020 (https://www.usenix.org/conference/atc20/presentation/shahrad)"
)
#: The same paper: total invocations swing about 2x over a day around a constant baseline of about half the
#: peak, i.e. a sinusoid with amplitude 1/3 of its mean.
AZURE_2019_DIURNAL_AMPLITUDE = 1 / 3


def _gaps_of(times: np.ndarray, horizon: float) -> np.ndarray:
    times = np.sort(times[times < horizon])
    return np.diff(times, prepend=0.0)


@dataclass(frozen=True)
class BurstArrivals:
    """Poisson arrivals at ``base_rate``, plus bursts ``(start, duration, rate)`` that add their rate while
    they last (overlapping bursts add up). Exact: each constant-rate segment is drawn on its own."""

    base_rate: float
    bursts: tuple[tuple[float, float, float], ...] = ()

    def __post_init__(self) -> None:
        if not (self.base_rate >= 0 and math.isfinite(self.base_rate)):
            raise ValueError(f"base_rate must be >= 0 requests per second, got {self.base_rate!r}")
        bursts = tuple(tuple(float(x) for x in b) for b in self.bursts)
        for start, duration, rate in bursts:
            if start < 0 or duration <= 0 or rate < 0 or not math.isfinite(start + duration + rate):
                raise ValueError(f"a burst is (start >= 0, duration > 0, rate >= 0), got {(start, duration, rate)}")
        object.__setattr__(self, "bursts", bursts)

    def rate_at(self, t: float | np.ndarray) -> np.ndarray:
        """The arrival rate at instant(s) ``t``."""
        t = np.asarray(t, dtype=float)
        rate = np.full(t.shape, self.base_rate)
        for start, duration, extra in self.bursts:
            rate = rate + np.where((t >= start) & (t < start + duration), extra, 0.0)
        return rate

    def expected_requests(self, horizon: float) -> float:
        extra = sum(rate * max(0.0, min(start + duration, horizon) - start) for start, duration, rate in self.bursts)
        return self.base_rate * horizon + extra

    def gaps(self, rng: np.random.Generator, horizon: float) -> np.ndarray:
        edges = sorted({0.0, horizon, *(min(horizon, e) for s, d, _ in self.bursts for e in (s, s + d))})
        pieces = []
        for a, b in zip(edges, edges[1:], strict=False):
            rate = float(self.rate_at(np.array([a]))[0])
            count = rng.poisson(rate * (b - a)) if rate > 0 else 0
            pieces.append(a + (b - a) * rng.random(count))
        return _gaps_of(np.concatenate(pieces) if pieces else np.empty(0), horizon)


@dataclass(frozen=True)
class RateProfileArrivals:
    """A non-homogeneous Poisson process with rate ``rate(t)`` (vectorised, never above ``peak``), drawn by
    thinning: candidates at ``peak``, each kept with probability ``rate(t) / peak``."""

    rate: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    peak: float

    def __post_init__(self) -> None:
        if not (self.peak > 0 and math.isfinite(self.peak)):
            raise ValueError(f"peak must be a positive rate, got {self.peak!r}")

    def gaps(self, rng: np.random.Generator, horizon: float) -> np.ndarray:
        candidates = np.cumsum(PoissonArrivals(self.peak).gaps(rng, horizon))
        rates = np.asarray(self.rate(candidates), dtype=float)
        if np.any(rates > self.peak * (1 + 1e-9)) or np.any(rates < 0):
            raise ValueError("rate(t) must stay between 0 and peak for thinning to be exact")
        keep = rng.random(len(candidates)) * self.peak < rates
        return _gaps_of(candidates[keep], horizon)


@dataclass(frozen=True)
class DiurnalArrivals:
    """A daily cycle: rate(t) = mean_rate x (1 + amplitude x cos(2 pi (t - peak_at) / period)).

    ``amplitude`` 1/3 (the default) is the Azure Functions aggregate (peak twice the trough); 1 makes the
    trough silent. ``peak_at`` is seconds into the period (14:00 by default).
    """

    mean_rate: float
    amplitude: float = AZURE_2019_DIURNAL_AMPLITUDE
    period: float = 86_400.0
    peak_at: float = 14 * 3600.0

    def __post_init__(self) -> None:
        if not (self.mean_rate > 0 and math.isfinite(self.mean_rate)):
            raise ValueError(f"mean_rate must be a positive rate, got {self.mean_rate!r}")
        if not 0 <= self.amplitude <= 1:
            raise ValueError(f"amplitude must be between 0 and 1, got {self.amplitude!r}")
        if not self.period > 0:
            raise ValueError(f"period must be > 0 seconds, got {self.period!r}")

    def rate_at(self, t: float | np.ndarray) -> np.ndarray:
        phase = 2 * np.pi * (np.asarray(t, dtype=float) - self.peak_at) / self.period
        return self.mean_rate * (1 + self.amplitude * np.cos(phase))

    @property
    def peak(self) -> float:
        return self.mean_rate * (1 + self.amplitude)

    def gaps(self, rng: np.random.Generator, horizon: float) -> np.ndarray:
        return RateProfileArrivals(self.rate_at, self.peak).gaps(rng, horizon)


def azure_function_rates(
    functions: int,
    seed: int | np.random.SeedSequence = 0,
    *,
    min_rate: float = 0.0,
    max_rate: float = math.inf,
) -> np.ndarray:
    """Mean invocation rates (per second) for ``functions`` functions, drawn like the Azure 2019 trace.

    The distribution's mean is dominated by its rare busiest functions (the top fifth carry over 99 % of
    invocations), so ``max_rate`` truncates it for simulations that must stay small; ``min_rate`` does the
    same at the quiet end. Truncation redraws (it does not clip), so no rate piles up at a bound.
    """
    if functions < 0:
        raise ValueError(f"functions must be >= 0, got {functions}")
    if not min_rate < max_rate:
        raise ValueError("min_rate must be below max_rate")
    rng = np.random.default_rng(seed)
    rates = np.empty(0)
    while len(rates) < functions:
        draws = 10.0 ** rng.normal(AZURE_2019_LOG10_RATE_MEAN, AZURE_2019_LOG10_RATE_SIGMA, 2 * functions + 16)
        rates = np.concatenate([rates, draws[(draws >= min_rate) & (draws <= max_rate)]])
    return rates[:functions]


def fraction_invoked_at_most(rates: Sequence[float] | np.ndarray, per_seconds: float) -> float:
    """Fraction of functions invoked at most once every ``per_seconds`` seconds on average."""
    rates = np.asarray(rates, dtype=float)
    return float(np.mean(rates <= 1.0 / per_seconds)) if len(rates) else float("nan")
