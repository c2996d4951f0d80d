"""Helpers shared by the simulator's tests (tests/conftest.py already owns the name `conftest`)."""

from __future__ import annotations

import math

import numpy as np

from lambdalab.sim import Constant, ReplayedArrivals, Scenario, Workload


def hand_scenario(
    horizon: float,
    keep_alive: float = math.inf,
    concurrency_limit: int | None = None,
    routing: str = "newest",
) -> Scenario:
    """A scenario for hand-written workloads: only horizon, keep-alive, limit and routing matter."""
    return Scenario(
        arrivals=ReplayedArrivals([]),
        warm_duration=Constant(0.0),
        cold_duration=Constant(0.0),
        horizon=horizon,
        keep_alive=keep_alive,
        concurrency_limit=concurrency_limit,
        routing=routing,  # type: ignore[arg-type]
    )


def hand_workload(times: list[float], warm: float | list[float], cold: float | list[float]) -> Workload:
    n = len(times)
    warm_ = np.full(n, warm, dtype=float) if np.isscalar(warm) else np.asarray(warm, dtype=float)
    cold_ = np.full(n, cold, dtype=float) if np.isscalar(cold) else np.asarray(cold, dtype=float)
    return Workload.of(times, warm_, cold_)
