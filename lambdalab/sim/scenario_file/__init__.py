"""Run a simulation described in a file: ``lambdalab sim SCENARIO.toml|.yaml --out DIR``.

Three modules: :mod:`.parser` reads the file into an ``Account`` and SQS scenarios, :mod:`.writer` writes
the results, :mod:`.cli` runs the two around the simulation and is ``lambdalab sim``.

For instructors preparing material and engineers sizing a real system: the file names the account's
limits, its functions (traffic, durations, memory, concurrency settings, callers, database habits), an
optional database and optional SQS queues; the runner simulates, prices the month, and writes

- ``result.json``: every figure per function and for the account, the bill, the inputs echoed back;
- ``functions.csv`` (one row per function) and ``timeseries.csv`` (busy, throttles, connections per bin);
- ``concurrency.png``, ``latency.png`` and, per queue, ``sqs-NAME.json`` / ``.csv`` / ``.png``.

The format (TOML shown; YAML has the same keys)::

    [run]
    name = "black-friday"
    horizon = 3600            # seconds of arrivals
    seed = 1

    [account]                 # all optional
    concurrency_limit = 1000
    scaling = "per-function"  # or "regional" (with region = "us-east-1") or "none"
    requests_per_concurrency = 10

    [database]                # optional: max_connections, or memory_gib (+ engine) for the RDS formula
    memory_gib = 8
    proxy = { max_connections_percent = 80 }

    [[functions]]
    name = "api"
    arrivals = { type = "poisson", rate = 50 }       # constant | poisson | burst | diurnal | replay
    duration = { type = "lognormal", median = 0.12, sigma = 0.5 }   # constant | exponential | lognormal | empirical
    init_duration = { runtime = "python3.12" }       # a preset, or a distribution
    memory_mb = 512
    reserved_concurrency = 100
    caller = { type = "sync", max_attempts = 3 }     # or { type = "async", maximum_retry_attempts = 2 }
    database = "init"                                # or "request"

    [[queues]]                # optional SQS queues drained by event source mappings
    name = "orders"
    arrivals = { type = "poisson", rate = 20 }
    processing = { type = "exponential", mean = 0.5 }
    batch_size = 10
    visibility_timeout = 30
    max_receive_count = 5
    failure_rate = 0.01
    function_concurrency = 50   # the consumer's reserved concurrency; maximum_concurrency caps pollers

TOML is read with the standard library's ``tomllib``; YAML needs PyYAML.
"""

from lambdalab.sim.scenario_file.cli import main, run_file
from lambdalab.sim.scenario_file.parser import ScenarioFileError, build_account, build_queues, load
from lambdalab.sim.scenario_file.writer import summary, write_outputs

__all__ = ["ScenarioFileError", "build_account", "build_queues", "load", "main", "run_file", "summary", "write_outputs"]
