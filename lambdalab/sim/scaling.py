"""How fast Lambda lets a function add execution environments when demand jumps.

Two regimes, both from AWS's documentation (docs/facts.md, "Scaling"):

- since 26 Nov 2023, each function scales by 1,000 environments every 10 seconds: a bucket of 1,000 new
  environments, refilled continuously at 100 a second, never holding more than 1,000 (quiet time does
  not bank extra allowance);
- before that, an account's burst of 3,000 (us-east-1, us-west-2, eu-west-1), 1,000 (Tokyo, Frankfurt,
  Ohio) or 500 elsewhere, then 500 more each minute.

Both are capped by the account's concurrency limit. ``scale_out`` steps a demand curve through a model and
returns how many environments are available over time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class ScalingModel(Protocol):
    """A rule for how many environments a function may add. ``allowance`` maps the unspent allowance
    after the previous step (``initial`` at t = 0) to the allowance now."""

    @property
    def initial(self) -> float: ...

    def allowance(self, unspent: float, now: float, dt: float, live: int) -> float: ...


@dataclass(frozen=True)
class PerFunctionScaling:
    """Since Nov 2023: ``burst`` new environments per ``period`` seconds, refilled continuously and never
    holding more than ``burst``."""

    burst: int = 1000
    period: float = 10.0

    @property
    def initial(self) -> float:
        return float(self.burst)

    def allowance(self, unspent: float, now: float, dt: float, live: int) -> float:
        return min(float(self.burst), unspent + dt * self.burst / self.period)


#: The old regional initial bursts, shared by the account's functions.
REGIONAL_BURST = {
    "us-east-1": 3000,
    "us-west-2": 3000,
    "eu-west-1": 3000,
    "ap-northeast-1": 1000,
    "eu-central-1": 1000,
    "us-east-2": 1000,
}
OTHER_REGIONS_BURST = 500


@dataclass(frozen=True)
class RegionalBurstScaling:
    """Before Nov 2023: concurrency may reach ``burst`` at once, then ``per_minute`` more at the end of each
    minute (a growing ceiling, not a refilling bucket)."""

    burst: int = 3000
    per_minute: int = 500

    @classmethod
    def for_region(cls, region: str) -> RegionalBurstScaling:
        return cls(burst=REGIONAL_BURST.get(region, OTHER_REGIONS_BURST))

    @property
    def initial(self) -> float:
        return float(self.burst)

    def allowance(self, unspent: float, now: float, dt: float, live: int) -> float:
        return self.burst + self.per_minute * math.floor(now / 60 + 1e-9) - live


def scale_out(
    model: ScalingModel,
    demand: Callable[[float], int],
    account_limit: int,
    horizon: float,
    step: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Times and available environments while ``demand(t)`` long-running requests want to run.

    Environments are never reclaimed during the run (the requests are long): the question is only how fast
    they can be added. Steps of ``step`` seconds; the first step happens at t = 0.
    """
    times = np.arange(0.0, horizon + step / 2, step)
    available = np.zeros(len(times), dtype=np.int64)
    live = 0
    unspent = model.initial
    previous = 0.0
    for k, now in enumerate(times.tolist()):
        unspent = model.allowance(unspent, now, now - previous, live)
        previous = now
        wanted = min(demand(now), account_limit) - live
        created = max(0, min(wanted, math.floor(unspent + 1e-9)))
        unspent -= created
        live += created
        available[k] = live
    return times, available
