"""When requests arrive: Poisson, a constant rate, or a replayed list of timestamps.

Arrivals are produced as *gaps* between consecutive requests, and arrival instants as their running sum.
Both engines then reach every instant by the same floating-point additions (simpy by waiting one gap after
another, the fast engine by reading the running sum), so simultaneous events stay simultaneous in both and
the two engines can be compared request by request.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Arrivals(Protocol):
    """An arrival process: the gaps between requests that arrive before ``horizon`` seconds."""

    def gaps(self, rng: np.random.Generator, horizon: float) -> np.ndarray: ...


def _within_horizon(gaps: np.ndarray, horizon: float) -> np.ndarray:
    times = np.cumsum(gaps)
    return gaps[: int(np.searchsorted(times, horizon, side="left"))]


@dataclass(frozen=True)
class PoissonArrivals:
    """Independent callers at ``rate`` requests per second: exponential gaps, the textbook open workload."""

    rate: float

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError(f"rate must be a positive number of requests per second, got {self.rate!r}")

    def gaps(self, rng: np.random.Generator, horizon: float) -> np.ndarray:
        expected = self.rate * horizon
        # Draw enough in one go (mean + 8 sigma) and top up in the rare case it was not; drawing in blocks
        # keeps the sequence a pure function of the seed.
        block = int(expected + 8 * math.sqrt(expected) + 16)
        drawn = [rng.exponential(1 / self.rate, block)]
        total = float(drawn[0].sum())
        while total < horizon:
            drawn.append(rng.exponential(1 / self.rate, block))
            total += float(drawn[-1].sum())
        return _within_horizon(np.concatenate(drawn), horizon)


@dataclass(frozen=True)
class ConstantRateArrivals:
    """One request every ``1 / rate`` seconds, the first at ``1 / rate``: a steady synthetic load."""

    rate: float

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError(f"rate must be a positive number of requests per second, got {self.rate!r}")

    def gaps(self, rng: np.random.Generator, horizon: float) -> np.ndarray:
        n = int(math.ceil(horizon * self.rate)) + 1
        return _within_horizon(np.full(n, 1 / self.rate), horizon)


@dataclass(frozen=True)
class ReplayedArrivals:
    """Requests at recorded instants (seconds from the start), e.g. timestamps from a CloudWatch log.

    The timestamps are sorted; requests with equal timestamps arrive together, in list order.
    """

    timestamps: tuple[float, ...] = field(repr=False)

    def __init__(self, timestamps: Sequence[float] | np.ndarray) -> None:
        values = tuple(sorted(float(t) for t in timestamps))
        if values and values[0] < 0:
            raise ValueError(f"timestamps are seconds from the start and must be >= 0, got {values[0]!r}")
        object.__setattr__(self, "timestamps", values)

    def gaps(self, rng: np.random.Generator, horizon: float) -> np.ndarray:
        return _within_horizon(np.diff(np.asarray(self.timestamps, dtype=float), prepend=0.0), horizon)
