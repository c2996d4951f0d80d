"""lambdalab's simulator: what one laptop cannot show, as arithmetic on time.

Seeded and validated against published numbers (``/work/shared/VALIDATION.md``). Two engines make the same
decisions on the same random inputs: a readable simpy model (``simpy_model``) and a fast event loop
(``fast``, the default) for long horizons and sweeps.

    from lambdalab.sim import Scenario, PoissonArrivals, Exponential, simulate
    scenario = Scenario(PoissonArrivals(0.9), Exponential(1.991), Exponential(2.244), horizon=1e6)
    result = simulate(scenario, seed=1)
    result.cold_start_probability, result.mean_live
"""

from lambdalab.sim.arrivals import Arrivals, ConstantRateArrivals, PoissonArrivals, ReplayedArrivals
from lambdalab.sim.coldstarts import (
    cold_start_fraction,
    keep_alive_explorer,
    plot_cold_fraction_vs_rate,
    poisson_scenario,
)
from lambdalab.sim.cost import US_EAST_1, MonthlyCost, Pricing, monthly_cost, provisioned_monthly_cost
from lambdalab.sim.distributions import Constant, Distribution, Empirical, Exponential, LogNormal, Shifted
from lambdalab.sim.fast import run_fast
from lambdalab.sim.presets import (
    COLD_START_PRESETS,
    KEEP_ALIVE_2017,
    KEEP_ALIVE_2019,
    KEEP_ALIVE_2021,
    KEEP_ALIVE_PRESETS,
    ColdStartPreset,
    KeepAlivePreset,
)
from lambdalab.sim.results import ConcurrencySeries, SimulationResult, summarize
from lambdalab.sim.scaling import PerFunctionScaling, RegionalBurstScaling, scale_out
from lambdalab.sim.scenario import (
    ACCOUNT_LIMIT_EXCEEDED,
    RESERVED_LIMIT_EXCEEDED,
    Scenario,
    Workload,
    draw_workload,
)
from lambdalab.sim.simpy_model import run_simpy
from lambdalab.sim.simulate import simulate
from lambdalab.sim.sqs import VisibilityResult, simulate_visibility
from lambdalab.sim.trace import THROTTLED, Trace

__all__ = [
    "ACCOUNT_LIMIT_EXCEEDED",
    "Arrivals",
    "COLD_START_PRESETS",
    "ColdStartPreset",
    "ConcurrencySeries",
    "Constant",
    "ConstantRateArrivals",
    "Distribution",
    "Empirical",
    "Exponential",
    "KEEP_ALIVE_2017",
    "KEEP_ALIVE_2019",
    "KEEP_ALIVE_2021",
    "KEEP_ALIVE_PRESETS",
    "KeepAlivePreset",
    "LogNormal",
    "MonthlyCost",
    "PerFunctionScaling",
    "PoissonArrivals",
    "Pricing",
    "RESERVED_LIMIT_EXCEEDED",
    "RegionalBurstScaling",
    "ReplayedArrivals",
    "Scenario",
    "Shifted",
    "SimulationResult",
    "THROTTLED",
    "Trace",
    "US_EAST_1",
    "VisibilityResult",
    "Workload",
    "cold_start_fraction",
    "draw_workload",
    "keep_alive_explorer",
    "monthly_cost",
    "plot_cold_fraction_vs_rate",
    "poisson_scenario",
    "provisioned_monthly_cost",
    "run_fast",
    "run_simpy",
    "scale_out",
    "simulate",
    "simulate_visibility",
    "summarize",
]
