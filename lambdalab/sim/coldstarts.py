"""Lesson 01 helpers: how often is a request cold, given the arrival rate and the keep-alive?

Three levels for the notebook: a number (``cold_start_fraction``), a figure of that number over arrival
rates for the keep-alives AWS has used (``plot_cold_fraction_vs_rate``), and sliders to feel it
(``keep_alive_explorer``). matplotlib and ipywidgets are imported inside the functions, so that
``import lambdalab.sim`` stays fast for everything that never draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lambdalab.sim.arrivals import PoissonArrivals
from lambdalab.sim.distributions import Distribution, Exponential, Shifted
from lambdalab.sim.presets import COLD_START_PRESETS, KEEP_ALIVE_PRESETS
from lambdalab.sim.results import SimulationResult
from lambdalab.sim.scenario import Routing, Scenario
from lambdalab.sim.simulate import simulate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: A 100 ms Python handler, cold starts adding the median Python 3.12 Init Duration (lambda-perf, 2026).
DEFAULT_WARM: Distribution = Exponential(0.1)
DEFAULT_COLD: Distribution = Shifted(COLD_START_PRESETS["python3.12"].extra, DEFAULT_WARM)


def poisson_scenario(
    rate: float,
    keep_alive: float,
    warm: Distribution = DEFAULT_WARM,
    cold: Distribution = DEFAULT_COLD,
    requests: int = 100_000,
    routing: Routing = "newest",
    concurrency_limit: int | None = None,
) -> Scenario:
    """A Poisson scenario long enough for about ``requests`` requests, whatever the rate.

    Sizing the run by requests rather than seconds keeps the statistical error (and the run time) the same
    from one request a day to a hundred a second.
    """
    return Scenario(
        arrivals=PoissonArrivals(rate),
        warm_duration=warm,
        cold_duration=cold,
        horizon=requests / rate,
        keep_alive=keep_alive,
        concurrency_limit=concurrency_limit,
        routing=routing,
    )


def cold_start_fraction(
    rate: float,
    keep_alive: float,
    warm: Distribution = DEFAULT_WARM,
    cold: Distribution = DEFAULT_COLD,
    requests: int = 100_000,
    routing: Routing = "newest",
    seed: int = 0,
) -> float:
    """Fraction of requests that start cold for Poisson arrivals at ``rate`` per second."""
    scenario = poisson_scenario(rate, keep_alive, warm, cold, requests, routing)
    return simulate(scenario, seed=seed).cold_start_probability


def plot_cold_fraction_vs_rate(
    rates: Sequence[float] | np.ndarray | None = None,
    keep_alives: Sequence[float] | None = None,
    warm: Distribution = DEFAULT_WARM,
    cold: Distribution = DEFAULT_COLD,
    requests: int = 20_000,
    seed: int = 0,
) -> Figure:
    """Cold-start fraction against arrival rate (log-log), one curve per keep-alive.

    By default the keep-alives are the observed presets (2017, 2019-2020, 2021), so the figure shows what
    AWS's undocumented changes meant for a function at a given traffic. The dotted lines are the
    one-environment approximation exp(-rate x keep_alive): right at low rates, where each request finds
    the previous one long finished.
    """
    from matplotlib.figure import Figure

    rates_ = np.logspace(-4, 1, 21) if rates is None else np.asarray(rates, dtype=float)
    if keep_alives is None:
        keep_alives = [p.typical for p in KEEP_ALIVE_PRESETS]
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for keep_alive in keep_alives:
        fractions = [cold_start_fraction(r, keep_alive, warm, cold, requests, seed=seed) for r in rates_]
        (line,) = ax.plot(rates_, fractions, marker="o", ms=3, label=f"keep-alive {keep_alive / 60:g} min")
        ax.plot(rates_, np.exp(-rates_ * keep_alive), ls=":", color=line.get_color())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(max(0.5 / requests, 1e-5), 1.5)
    ax.set_xlabel("arrival rate (requests per second, Poisson)")
    ax.set_ylabel("fraction of requests that start cold")
    ax.set_title("Cold starts vs traffic (dotted: one environment, exp(-rate x keep-alive))")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig


class KeepAliveExplorer:
    """Sliders for arrival rate and keep-alive; each move re-simulates and redraws.

    The plot is rendered once per move to a PNG shown in an Image widget: a notebook's own figure display
    renders twice (it crops with ``bbox_inches="tight"``) and flickers through ``clear_output``. With the
    lines updated in place and a fixed layout, a move costs a few tens of ms of simulation plus one render.
    Displays as its widget in a notebook; ``rate`` and ``keep_alive`` are the sliders and ``result`` the
    latest simulation, so a test (or a curious learner) can drive it from code.
    """

    def __init__(
        self,
        warm: Distribution = DEFAULT_WARM,
        cold: Distribution = DEFAULT_COLD,
        requests: int = 20_000,
        seed: int = 0,
    ) -> None:
        import ipywidgets as widgets
        from matplotlib.figure import Figure

        self.warm, self.cold, self.requests, self.seed = warm, cold, requests, seed
        self.rate = widgets.FloatLogSlider(
            value=0.05, base=10, min=-4, max=2, step=0.1, description="rate (/s)", readout_format=".3g"
        )
        self.keep_alive = widgets.FloatSlider(
            value=600, min=0, max=3600, step=30, description="keep-alive (s)", readout_format=".0f"
        )
        self.summary = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.figure = Figure(figsize=(7, 3.2), dpi=80)
        self.figure.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.96)
        self.axes = self.figure.add_subplot()
        (self._live,) = self.axes.step([], [], where="post", label="live environments")
        (self._busy,) = self.axes.step([], [], where="post", label="busy environments")
        self.axes.set_ylabel("environments (bin mean)")
        self.axes.legend(loc="upper right")
        self.widget = widgets.VBox([widgets.HBox([self.rate, self.keep_alive]), self.summary, self.image])
        self.result: SimulationResult | None = None
        self.rate.observe(self.redraw, names="value")
        self.keep_alive.observe(self.redraw, names="value")
        self.redraw()

    def redraw(self, change: Any = None) -> None:
        import io

        scenario = poisson_scenario(
            self.rate.value, self.keep_alive.value, self.warm, self.cold, self.requests
        )
        result = self.result = simulate(scenario, seed=self.seed)
        self.summary.value = (
            f"<b>{result.cold_start_probability:.2%}</b> of {result.requests:,} requests cold &middot; "
            f"{result.mean_live:.2f} environments alive on average, {result.mean_busy:.2f} busy, "
            f"{result.mean_idle:.2f} idle &middot; p99 latency {result.latency_p99 * 1000:.0f} ms"
        )
        series = result.series
        hours = series.start / 3600
        self._live.set_data(hours, series.live)
        self._busy.set_data(hours, series.busy)
        self.axes.set_xlim(0, scenario.horizon / 3600)
        self.axes.set_ylim(0, max(1.0, math.ceil(float(series.live.max()) * 1.15)))
        self.axes.set_xlabel(f"time (hours) over a run of {result.requests:,} requests")
        png = io.BytesIO()
        self.figure.savefig(png, format="png")
        self.image.value = png.getvalue()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def keep_alive_explorer(
    warm: Distribution = DEFAULT_WARM,
    cold: Distribution = DEFAULT_COLD,
    requests: int = 20_000,
    seed: int = 0,
) -> KeepAliveExplorer:
    """The interactive explorer for lesson 01 (see ``KeepAliveExplorer``)."""
    return KeepAliveExplorer(warm, cold, requests, seed)
