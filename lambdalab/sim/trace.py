"""What an engine decided, request by request: which execution environment served it, and whether cold.

This is the whole output of an engine. Everything else (durations, lifetimes, time averages) follows from
it and the workload, so two engines agree exactly when their traces are equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The environment index recorded for a throttled request: no environment served it. (Not an outcome code:
#: those are :mod:`lambdalab.sim.attempts`'s ``OK``, ``ERROR``, ``THROTTLED``, ``DROPPED``.)
NO_ENVIRONMENT = -1


@dataclass(frozen=True)
class Trace:
    """``environment[i]`` serves request ``i`` (``NO_ENVIRONMENT`` if it got a 429); ``cold[i]`` if it was
    the request that initialised that environment. Environments are numbered in order of creation."""

    environment: np.ndarray
    cold: np.ndarray
    engine: str

    def same_decisions(self, other: Trace) -> bool:
        """True when both traces routed, started and throttled every request identically."""
        return bool(
            np.array_equal(self.environment, other.environment) and np.array_equal(self.cold, other.cold)
        )
