"""lambdalab's simulator: what one laptop cannot show, as arithmetic on time.

Seeded and validated against published numbers (``docs/validation.md``). Two engines make the same
decisions on the same random inputs: a readable simpy model (``simpy_model``) and a fast event loop
(``fast``, the default) for long horizons and sweeps.

    from lambdalab.sim import Scenario, PoissonArrivals, Exponential, simulate
    scenario = Scenario(PoissonArrivals(0.9), Exponential(1.991), Exponential(2.244), horizon=1e6)
    result = simulate(scenario, seed=1)
    result.cold_start_probability, result.mean_live

An ``Account`` puts several functions under one account's limits (reserved, provisioned and account
concurrency, both scaling models, the requests-per-second cap), with retrying callers and a database:

    from lambdalab.sim import Account, FunctionSpec, Database, LogNormal, simulate_account, price_account
    api = FunctionSpec("api", PoissonArrivals(200), LogNormal(0.1, 0.5), reserved_concurrency=50, database="init")
    result = simulate_account(Account([api], horizon=600, database=Database.rds(8)), seed=1)
    result["api"].throttle_reasons, result.peak_connections, price_account(result).total.total

Also here: traffic shapes (``traffic``), an SQS event source mapping (``sqs_mapping``), the bill of a run and
the container fleet it is compared with (``cost``, ``containers``), figures (``plots``), dashboards
(``widgets``) and the scenario-file runner behind ``lambdalab sim`` (``scenario_file``).
"""

from lambdalab.sim.account import Account, AccountWorkload, FunctionSpec, account_for_scenario, draw_account_workload
from lambdalab.sim.account_fast import run_account_fast
from lambdalab.sim.account_results import AccountResult, AccountSeries, FunctionResult, summarize_account
from lambdalab.sim.account_simpy import run_account_simpy
from lambdalab.sim.arrivals import Arrivals, ConstantRateArrivals, PoissonArrivals, ReplayedArrivals
from lambdalab.sim.attempts import AccountTrace
from lambdalab.sim.callers import Asynchronous, Synchronous
from lambdalab.sim.coldstarts import (
    cold_start_fraction,
    keep_alive_explorer,
    plot_cold_fraction_vs_rate,
    poisson_scenario,
)
from lambdalab.sim.containers import FARGATE_US_EAST_1, ContainerFleet, crossover_rate, lambda_monthly_cost_at_rate
from lambdalab.sim.cost import (
    US_EAST_1,
    AccountCost,
    MonthlyCost,
    Pricing,
    monthly_cost,
    price_account,
    price_simulation,
    provisioned_break_even_utilisation,
    provisioned_monthly_cost,
)
from lambdalab.sim.database import Database, RdsProxy, rds_max_connections
from lambdalab.sim.distributions import Constant, Distribution, Empirical, Exponential, LogNormal, Shifted
from lambdalab.sim.fast import run_fast
from lambdalab.sim.limits import ACCOUNT_RATE_EXCEEDED, RESERVED_RATE_EXCEEDED
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
from lambdalab.sim.simulate import simulate, simulate_account
from lambdalab.sim.sqs import VisibilityResult, simulate_visibility
from lambdalab.sim.sqs_mapping import SqsEventSource, SqsResult, SqsScenario, simulate_sqs
from lambdalab.sim.trace import NO_ENVIRONMENT, Trace
from lambdalab.sim.traffic import BurstArrivals, DiurnalArrivals, RateProfileArrivals, azure_function_rates

__all__ = [
    "Account",
    "account_for_scenario",
    "ACCOUNT_LIMIT_EXCEEDED",
    "ACCOUNT_RATE_EXCEEDED",
    "AccountCost",
    "AccountResult",
    "AccountSeries",
    "AccountTrace",
    "AccountWorkload",
    "Arrivals",
    "Asynchronous",
    "azure_function_rates",
    "BurstArrivals",
    "cold_start_fraction",
    "COLD_START_PRESETS",
    "ColdStartPreset",
    "ConcurrencySeries",
    "Constant",
    "ConstantRateArrivals",
    "ContainerFleet",
    "crossover_rate",
    "Database",
    "Distribution",
    "DiurnalArrivals",
    "draw_account_workload",
    "draw_workload",
    "Empirical",
    "Exponential",
    "FARGATE_US_EAST_1",
    "FunctionResult",
    "FunctionSpec",
    "KEEP_ALIVE_2017",
    "KEEP_ALIVE_2019",
    "KEEP_ALIVE_2021",
    "keep_alive_explorer",
    "KEEP_ALIVE_PRESETS",
    "KeepAlivePreset",
    "lambda_monthly_cost_at_rate",
    "LogNormal",
    "monthly_cost",
    "MonthlyCost",
    "NO_ENVIRONMENT",
    "PerFunctionScaling",
    "plot_cold_fraction_vs_rate",
    "poisson_scenario",
    "PoissonArrivals",
    "price_account",
    "price_simulation",
    "Pricing",
    "provisioned_break_even_utilisation",
    "provisioned_monthly_cost",
    "RateProfileArrivals",
    "rds_max_connections",
    "RdsProxy",
    "RegionalBurstScaling",
    "ReplayedArrivals",
    "RESERVED_LIMIT_EXCEEDED",
    "RESERVED_RATE_EXCEEDED",
    "run_account_fast",
    "run_account_simpy",
    "run_fast",
    "run_simpy",
    "scale_out",
    "Scenario",
    "Shifted",
    "simulate",
    "simulate_account",
    "simulate_sqs",
    "simulate_visibility",
    "SimulationResult",
    "SqsEventSource",
    "SqsResult",
    "SqsScenario",
    "summarize",
    "summarize_account",
    "Synchronous",
    "Trace",
    "US_EAST_1",
    "VisibilityResult",
    "Workload",
]
