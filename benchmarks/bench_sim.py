"""Benchmark: VALIDATION case 1 through lambdalab's fast engine, its simpy model, and SimFaaS.

Prints simulated requests per second for each, the ratios, and each one's results (cold-start
probability, mean live and busy environments), plus the lesson-01 explorer's redraw time. Rates are compared
at one horizon for all three (SimFaaS and simpy are too slow for the paper's 10^6 s); the fast engine also
runs the full horizon. Run: ``python benchmarks/bench_sim.py [--horizon 20000]``. Output is printed only.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from lambdalab.sim import Exponential, PoissonArrivals, Scenario, simulate

RATE, WARM, COLD, KEEP_ALIVE = 0.9, 1.991, 2.244, 600.0


@dataclass(frozen=True)
class Row:
    name: str
    horizon: float
    requests: int
    seconds: float
    cold_start_probability: float
    mean_live: float
    mean_busy: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def case_1(horizon: float) -> Scenario:
    return Scenario(PoissonArrivals(RATE), Exponential(WARM), Exponential(COLD), horizon, KEEP_ALIVE)


def lambdalab_row(engine: str, horizon: float, seed: int) -> Row:
    started = time.perf_counter()
    result = simulate(case_1(horizon), seed=seed, engine=engine)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    return Row(
        f"lambdalab {engine}",
        horizon,
        result.requests,
        elapsed,
        result.cold_start_probability,
        result.mean_live,
        result.mean_busy,
    )


def simfaas_row(horizon: float, seed: int) -> Row:
    import numpy as np
    from simfaas.ServerlessSimulator import ServerlessSimulator

    np.random.seed(seed)  # SimFaaS draws from numpy's global generator
    sim = ServerlessSimulator(
        arrival_rate=RATE,
        warm_service_rate=1 / WARM,
        cold_service_rate=1 / COLD,
        expiration_threshold=KEEP_ALIVE,
        max_time=horizon,
    )
    started = time.perf_counter()
    sim.generate_trace(debug_print=False, progress=False)
    elapsed = time.perf_counter() - started
    return Row(
        "simfaas ServerlessSimulator",
        horizon,
        sim.total_req_count,
        elapsed,
        sim.get_cold_start_prob(),
        sim.get_average_server_count(),
        sim.get_average_server_running_count(),
    )


def explorer_redraw_seconds(repeats: int = 5) -> float:
    """A slider move as a notebook sees it: re-simulate, redraw, render the PNG the widget shows."""
    import contextlib
    import io

    import matplotlib

    matplotlib.use("Agg")
    from lambdalab.sim import keep_alive_explorer

    with contextlib.redirect_stdout(io.StringIO()):  # in case anything displays outside a kernel
        explorer = keep_alive_explorer()
        started = time.perf_counter()
        for k in range(repeats):
            explorer.keep_alive.value = 120.0 + 60 * k
    return (time.perf_counter() - started) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=float, default=100_000.0, help="seconds, for the 3-way comparison")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    simulate(case_1(1_000.0), engine="fast")  # warm-up: first-call costs are not simulation speed
    simulate(case_1(1_000.0), engine="simpy")
    rows = [
        lambdalab_row("fast", args.horizon, args.seed),
        lambdalab_row("simpy", args.horizon, args.seed),
        simfaas_row(args.horizon, args.seed),
        lambdalab_row("fast", 1e6, args.seed),
    ]
    fast = rows[0].per_second
    workload = f"Poisson {RATE}/s, warm Exp({WARM}), cold Exp({COLD}), keep-alive {KEEP_ALIVE:g} s"
    print(f"VALIDATION case 1: {workload}")
    print("published: cold-start probability 0.0013, mean live 7.70, mean busy 1.79\n")
    header = f"{'engine':<30}{'horizon s':>11}{'requests':>10}{'seconds':>9}{'req/s':>12}{'fast/x':>8}"
    print(header + f"{'P(cold)':>9}{'live':>7}{'busy':>7}")
    print("-" * (len(header) + 23))
    for row in rows:
        print(
            f"{row.name:<30}{row.horizon:>11.0f}{row.requests:>10}{row.seconds:>9.3f}{row.per_second:>12,.0f}"
            f"{fast / row.per_second:>8.1f}{row.cold_start_probability:>9.5f}{row.mean_live:>7.2f}"
            f"{row.mean_busy:>7.2f}"
        )
    redraw_ms = explorer_redraw_seconds() * 1000
    print(f"\nlesson-01 explorer: {redraw_ms:.0f} ms per slider move (simulate + redraw)")
    print("(short horizons start from an empty pool, so their P(cold) and live count run high)")


if __name__ == "__main__":
    main()
