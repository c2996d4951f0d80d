"""Dashboards the lessons share: sliders that re-run the simulator and redraw, fast enough to feel live.

As in lesson 01's ``KeepAliveExplorer`` (coldstarts.py), each explorer renders its figure to a PNG in an
``Image`` widget (no flicker, no double rendering), keeps its figure and lines and only updates their data,
and sizes its simulations so that a slider move costs well under 0.2 s of simulation plus drawing
(``benchmarks/bench_sim.py`` measures it). ``result`` holds the latest simulation, so a test -- or a
curious learner -- can drive an explorer from code. ipywidgets and matplotlib are imported lazily.

- ``scaling_explorer()``: a burst of long requests against both scaling models, a reserved limit and the
  account limit: how many run, how many are throttled, when.
- ``provisioned_explorer()``: traffic and provisioned concurrency: cold starts removed against dollars.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lambdalab.aws_facts import DEFAULT_KEEP_ALIVE_S
from lambdalab.sim.account import Account, FunctionSpec
from lambdalab.sim.account_results import AccountResult
from lambdalab.sim.arrivals import PoissonArrivals
from lambdalab.sim.cost import price_account
from lambdalab.sim.distributions import Constant, LogNormal
from lambdalab.sim.limits import SERVED
from lambdalab.sim.scaling import PerFunctionScaling, RegionalBurstScaling
from lambdalab.sim.simulate import simulate_account
from lambdalab.sim.traffic import BurstArrivals

SCALING_MODELS = {
    "per function, since Nov 2023 (1,000 / 10 s)": PerFunctionScaling(),
    "regional burst, before (3,000 then +500/min)": RegionalBurstScaling.for_region("us-east-1"),
}


def burst_account(
    burst_rate: float,
    burst_seconds: float,
    duration: float,
    scaling: PerFunctionScaling | RegionalBurstScaling,
    reserved: int | None = None,
    account_limit: int = 10_000,
    horizon: float = 180.0,
) -> Account:
    """One function hit by ``burst_rate`` requests a second for ``burst_seconds`` from t = 10 s, each running
    ``duration`` seconds: the experiment of lesson 02b."""
    fn = FunctionSpec(
        "burst",
        BurstArrivals(1.0, ((10.0, burst_seconds, burst_rate),)),
        Constant(duration),
        init_duration=Constant(0.25),
        reserved_concurrency=reserved,
    )
    return Account((fn,), horizon=horizon, concurrency_limit=account_limit, scaling=scaling)


def running_executions(result: AccountResult, times: np.ndarray) -> np.ndarray:
    """Executions running at each instant of ``times`` (exact, from the trace)."""
    trace = result.trace
    served = trace.code == SERVED
    starts = np.sort(trace.time[served])
    ends = np.sort(trace.finish[served])
    return np.searchsorted(starts, times, side="right") - np.searchsorted(ends, times, side="right")


class _Explorer:
    """Sliders above a summary line above a figure; ``redraw`` re-simulates and re-renders."""

    def __init__(self, controls: list[Any], width: float = 7.5, height: float = 3.4) -> None:
        import ipywidgets as widgets
        from matplotlib.figure import Figure

        self.summary = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.figure = Figure(figsize=(width, height), dpi=80)
        self.figure.subplots_adjust(left=0.1, right=0.9, bottom=0.16, top=0.95)
        self.axes = self.figure.add_subplot()
        rows = [widgets.HBox(controls[i : i + 2]) for i in range(0, len(controls), 2)]
        self.widget = widgets.VBox([*rows, self.summary, self.image])
        self.result: AccountResult | None = None
        for control in controls:
            control.observe(self.redraw, names="value")

    def render(self) -> None:
        from lambdalab.sim.plots import figure_png

        self.image.value = figure_png(self.figure, dpi=80)

    def redraw(self, change: Any = None) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


class ScalingExplorer(_Explorer):
    """A burst of long requests against a scaling model, a reserved limit and the account limit."""

    def __init__(self, seed: int = 0) -> None:
        import ipywidgets as widgets

        self.seed = seed
        self.burst_rate = widgets.IntSlider(value=300, min=50, max=500, step=50, description="burst (req/s)")
        self.burst_seconds = widgets.IntSlider(value=20, min=5, max=30, step=5, description="lasting (s)")
        self.model = widgets.Dropdown(options=list(SCALING_MODELS), description="scaling")
        self.reserved = widgets.IntSlider(value=0, min=0, max=8000, step=500, description="reserved (0: none)")
        super().__init__([self.burst_rate, self.burst_seconds, self.model, self.reserved])
        self.times = np.linspace(0.0, 120.0, 241)
        (self._running,) = self.axes.step([], [], where="post", lw=2, label="running executions")
        (self._demand,) = self.axes.step([], [], where="post", lw=1, ls=":", color="black", label="demand")
        self._twin = self.axes.twinx()
        (self._throttles,) = self._twin.step([], [], where="post", color="#d62728", lw=1, label="throttles / s")
        self.axes.set_xlabel("time (s)")
        self.axes.set_ylabel("concurrent executions")
        self._twin.set_ylabel("throttles per second", color="#d62728")
        self.axes.set_xlim(0, 120)
        self.axes.legend(handles=[self._running, self._demand, self._throttles], loc="upper right", fontsize="small")
        self.redraw()

    def redraw(self, change: Any = None) -> None:
        reserved = self.reserved.value or None
        account = burst_account(self.burst_rate.value, self.burst_seconds.value, 60.0, SCALING_MODELS[self.model.value],
                                reserved=reserved, horizon=120.0)
        result = self.result = simulate_account(account, seed=self.seed)
        fr = result["burst"]
        running = running_executions(result, self.times)
        trace = result.trace
        arrivals = np.sort(trace.time)  # one attempt per request: callers here do not retry
        demand = np.searchsorted(arrivals, self.times, side="right") - np.searchsorted(
            arrivals, self.times - 60.0, side="right"
        )  # requests that arrived in the last minute each want to be running
        throttles = np.histogram(trace.time[trace.code != SERVED], bins=np.append(self.times, 120.5))[0] * 2.0
        self._running.set_data(self.times, running)
        self._demand.set_data(self.times, demand)
        self._throttles.set_data(self.times, throttles)
        self.axes.set_ylim(0, max(100, float(demand.max()) * 1.15))
        self._twin.set_ylim(0, max(10.0, float(throttles.max()) * 1.15))
        causes = ", ".join(f"{n:,} by {cause}" for cause, n in fr.throttle_causes.items()) or "none"
        self.summary.value = (
            f"<b>{fr.outcomes['succeeded']:,}</b> of {fr.requests:,} requests ran &middot; peak "
            f"<b>{fr.peak_busy:,}</b> at once &middot; throttled: {causes}"
        )
        self.render()


class ProvisionedExplorer(_Explorer):
    """Steady traffic with provisioned concurrency: cold starts and p99 against the monthly bill.

    Each position simulates ``requests`` requests (the horizon follows the rate), once on demand only
    (cached: it only changes with rate, init and keep-alive) and once with the provisioned environments.
    """

    def __init__(self, seed: int = 0, requests: int = 5_000) -> None:
        import ipywidgets as widgets

        self.seed, self.requests = seed, requests
        self.rate = widgets.FloatLogSlider(value=0.003, base=10, min=-3.5, max=1, step=0.1, description="rate (/s)",
                                           readout_format=".3g")
        self.provisioned = widgets.IntSlider(value=1, min=0, max=20, step=1, description="provisioned")
        self.init = widgets.FloatSlider(value=1.0, min=0.1, max=5.0, step=0.1, description="init (s)")
        self.keep_alive = widgets.IntSlider(value=int(DEFAULT_KEEP_ALIVE_S), min=60, max=1800, step=60,
                                            description="keep-alive (s)")
        self._baseline: dict[tuple[float, float, int], AccountResult] = {}
        super().__init__([self.rate, self.provisioned, self.init, self.keep_alive])
        self.redraw()

    def simulate(self, provisioned: int) -> AccountResult:
        rate = self.rate.value
        fn = FunctionSpec("api", PoissonArrivals(rate), LogNormal(0.1, 0.4), init_duration=Constant(self.init.value),
                          memory_mb=1024, keep_alive=float(self.keep_alive.value),
                          provisioned_concurrency=provisioned)
        return simulate_account(Account((fn,), horizon=self.requests / rate), seed=self.seed)

    def redraw(self, change: Any = None) -> None:
        key = (self.rate.value, self.init.value, self.keep_alive.value)
        if key not in self._baseline:
            self._baseline[key] = self.simulate(0)
        without = self._baseline[key]
        result = self.result = self.simulate(self.provisioned.value)
        fr, base = result["api"], without["api"]
        bills = [price_account(r, free_tier=False).total for r in (without, result)]
        self.axes.clear()
        left = np.arange(2)
        usage = [b.requests + b.compute for b in bills]
        self.axes.bar(left, usage, 0.5, label="requests + compute", color="#1f77b4")
        self.axes.bar(left, [b.provisioned for b in bills], 0.5, bottom=usage, label="provisioned (enabled)",
                      color="#ff7f0e")
        self.axes.set_xticks(left, ["on demand only", f"{self.provisioned.value} provisioned"])
        self.axes.set_ylabel("$ per month")
        self.axes.legend(loc="upper left", fontsize="small")
        for x, bill in zip(left, bills, strict=True):
            self.axes.annotate(f"${bill.total:,.2f}", (x, bill.total), ha="center", va="bottom")
        self.axes.set_ylim(0, max(max(b.total for b in bills) * 1.25, 0.01))
        self.summary.value = (
            f"cold starts {base.cold_start_fraction:.1%} &rarr; <b>{fr.cold_start_fraction:.1%}</b> &middot; "
            f"p99 {base.latency_p99 * 1000:,.0f} ms &rarr; <b>{fr.latency_p99 * 1000:,.0f} ms</b> &middot; "
            f"provisioned busy {fr.provisioned_utilisation:.0%} of the time (break-even 60 %)"
        )
        self.render()


def scaling_explorer(seed: int = 0) -> ScalingExplorer:
    """Lesson 02b's burst explorer (see ``ScalingExplorer``)."""
    return ScalingExplorer(seed)


def provisioned_explorer(seed: int = 0, requests: int = 5_000) -> ProvisionedExplorer:
    """Lesson 02b's provisioned-concurrency explorer (see ``ProvisionedExplorer``)."""
    return ProvisionedExplorer(seed, requests)


__all__ = [
    "ProvisionedExplorer",
    "SCALING_MODELS",
    "ScalingExplorer",
    "burst_account",
    "provisioned_explorer",
    "running_executions",
    "scaling_explorer",
]
