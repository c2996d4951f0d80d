"""One call from a scenario to a result: draw the workload, run an engine, summarise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from lambdalab.sim.account import Account, AccountWorkload, draw_account_workload
from lambdalab.sim.account_fast import run_account_fast
from lambdalab.sim.account_results import AccountResult, summarize_account
from lambdalab.sim.account_simpy import run_account_simpy
from lambdalab.sim.fast import run_fast
from lambdalab.sim.results import SimulationResult, summarize
from lambdalab.sim.scenario import Scenario, Workload, draw_workload
from lambdalab.sim.simpy_model import run_simpy
from lambdalab.sim.trace import Trace

Engine = Literal["fast", "simpy"]
ENGINES: dict[str, Callable[[Scenario, Workload], Trace]] = {"fast": run_fast, "simpy": run_simpy}


def simulate(
    scenario: Scenario, seed: int = 0, engine: Engine = "fast", *, progress: bool | None = None
) -> SimulationResult:
    """Simulate ``scenario`` with the random inputs of ``seed``.

    ``engine="fast"`` (the default) for long horizons and sweeps; ``engine="simpy"`` runs the readable
    model, 10-20 times slower, with exactly the same decisions. ``progress``: show a progress bar (None:
    only for runs of millions of requests; the simpy engine shows none).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {sorted(ENGINES)}, got {engine!r}")
    workload = draw_workload(scenario, seed)
    trace = run_fast(scenario, workload, progress=progress) if engine == "fast" else run_simpy(scenario, workload)
    return summarize(scenario, workload, trace, seed=seed)


def simulate_account(
    account: Account,
    seed: int = 0,
    engine: Engine = "fast",
    *,
    workload: AccountWorkload | None = None,
    progress: bool | None = None,
) -> AccountResult:
    """Simulate every function of ``account`` together, under all its limits, with the inputs of ``seed``
    (or a hand-written ``workload``). ``progress``: show a progress bar (None: only for long runs; the
    simpy engine shows none)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {sorted(ENGINES)}, got {engine!r}")
    if workload is None:
        workload = draw_account_workload(account, seed)
    if engine == "fast":
        trace = run_account_fast(account, workload, progress=progress)
    else:
        trace = run_account_simpy(account, workload)
    return summarize_account(account, workload, trace, seed=seed)
