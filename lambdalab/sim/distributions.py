"""Duration distributions for the time an execution environment is busy with one request.

A distribution here is a small frozen value that knows its mean (for Little's law and for lessons) and can
draw many samples at once from a numpy ``Generator`` (so a whole run's durations are drawn up front, and
every engine consumes exactly the same numbers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Distribution(Protocol):
    """Anything with a mean and a vectorised sampler; every duration in the simulator is one of these."""

    @property
    def mean(self) -> float: ...

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray: ...


def _check_non_negative(name: str, value: float) -> None:
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number >= 0 seconds, got {value!r}")


@dataclass(frozen=True)
class Exponential:
    """Exponential durations with the given mean (seconds): the memoryless case queueing theory loves.

    SimFaaS's published run (validation case 1) uses exponential warm and cold durations.
    """

    mean: float

    def __post_init__(self) -> None:
        _check_non_negative("mean", self.mean)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, n)


@dataclass(frozen=True)
class Constant:
    """Every request takes exactly ``value`` seconds: the other extreme from exponential.

    It still consumes ``n`` draws from the generator, so that switching a scenario between Constant and a
    random distribution does not shift the random numbers of anything drawn after it.
    """

    value: float

    def __post_init__(self) -> None:
        _check_non_negative("value", self.value)

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        rng.random(n)
        return np.full(n, float(self.value))


@dataclass(frozen=True)
class LogNormal:
    """Log-normal durations given by their median and the sigma of their logarithm.

    Measured Lambda durations are right-skewed (a long tail of slow requests); a log-normal with a median
    from a benchmark and sigma around 0.3-0.8 is the usual first fit.
    """

    median: float
    sigma: float

    def __post_init__(self) -> None:
        _check_non_negative("median", self.median)
        _check_non_negative("sigma", self.sigma)

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median), self.sigma, n) if self.median > 0 else np.zeros(n)


@dataclass(frozen=True)
class Empirical:
    """Resamples measured durations (seconds) with replacement, e.g. Duration values from REPORT lines."""

    samples: tuple[float, ...] = field(repr=False)
    # The samples as an array, built once: the SQS simulator draws one duration per delivery, and turning
    # ten thousand samples into an array at every draw made a lesson's sweep take seconds.
    _array: np.ndarray = field(init=False, repr=False, compare=False)

    def __init__(self, samples: Sequence[float] | np.ndarray) -> None:
        values = tuple(float(s) for s in samples)
        if not values:
            raise ValueError("Empirical needs at least one measured duration")
        for v in values:
            _check_non_negative("every sample", v)
        object.__setattr__(self, "samples", values)
        array = np.asarray(values, dtype=float)
        array.setflags(write=False)
        object.__setattr__(self, "_array", array)

    @property
    def mean(self) -> float:
        return float(np.mean(self.samples))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(self._array, size=n, replace=True)


@dataclass(frozen=True)
class Shifted:
    """``offset`` plus a draw from ``base``: a cold request is the Init Duration plus the handler's run.

    Used by the runtime presets, where a benchmark gives the Init Duration and the lesson gives the handler.
    """

    offset: float
    base: Distribution

    def __post_init__(self) -> None:
        _check_non_negative("offset", self.offset)

    @property
    def mean(self) -> float:
        return self.offset + self.base.mean

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.offset + self.base.sample(rng, n)
