"""One call from a scenario to a result: draw the workload, run an engine, summarise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from lambdalab.sim.fast import run_fast
from lambdalab.sim.results import SimulationResult, summarize
from lambdalab.sim.scenario import Scenario, Workload, draw_workload
from lambdalab.sim.simpy_model import run_simpy
from lambdalab.sim.trace import Trace

Engine = Literal["fast", "simpy"]
ENGINES: dict[str, Callable[[Scenario, Workload], Trace]] = {"fast": run_fast, "simpy": run_simpy}


def simulate(scenario: Scenario, seed: int = 0, engine: Engine = "fast") -> SimulationResult:
    """Simulate ``scenario`` with the random inputs of ``seed``.

    ``engine="fast"`` (the default) for long horizons and sweeps; ``engine="simpy"`` runs the readable
    model, 10-20 times slower, with exactly the same decisions.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {sorted(ENGINES)}, got {engine!r}")
    workload = draw_workload(scenario, seed)
    return summarize(scenario, workload, ENGINES[engine](scenario, workload), seed=seed)
