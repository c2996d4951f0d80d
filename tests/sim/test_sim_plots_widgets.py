"""The shared figures and dashboards: what they draw, and that sliders re-simulate."""

from __future__ import annotations

import numpy as np
import pytest

from lambdalab.sim import (
    Account,
    BurstArrivals,
    Constant,
    ConstantRateArrivals,
    Exponential,
    FunctionSpec,
    PoissonArrivals,
    SqsEventSource,
    SqsScenario,
    simulate_account,
    simulate_sqs,
)
from lambdalab.sim.plots import (
    plot_available_concurrency,
    plot_cold_start_fraction,
    plot_concurrency,
    plot_cost_curves,
    plot_latency_percentiles,
    plot_sqs,
)
from lambdalab.sim.scaling import PerFunctionScaling, RegionalBurstScaling, scale_out


@pytest.fixture(scope="module")
def squeezed():
    functions = (
        FunctionSpec("api", PoissonArrivals(20.0), Exponential(0.3), reserved_concurrency=5),
        FunctionSpec("batch", BurstArrivals(1.0, ((20.0, 10.0, 40.0),)), Constant(1.0), provisioned_concurrency=3),
    )
    return simulate_account(Account(functions, horizon=60.0, concurrency_limit=120), seed=1)


def _labels(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_when_concurrency_is_plotted_then_limits_are_drawn_and_throttles_get_their_own_axis(squeezed) -> None:
    from matplotlib.figure import Figure  # here, not at collection: every test worker collects this file

    fig = plot_concurrency(squeezed)
    assert isinstance(fig, Figure)
    ax, twin = fig.axes
    labels = _labels(ax)
    assert {"account limit 120", "api reserved 5", "batch provisioned 3", "throttles / s"} <= set(labels)
    throttle_line = twin.get_lines()[0]
    assert np.sum(throttle_line.get_ydata()) * squeezed.series.width == pytest.approx(squeezed.throttles)
    assert len(plot_concurrency(squeezed, show_throttles=False).axes) == 1


def test_when_scaling_models_are_plotted_then_each_model_gets_a_curve(squeezed) -> None:
    curves = {
        "since Nov 2023": scale_out(PerFunctionScaling(), lambda t: 8000, 30_000, 120),
        "before": scale_out(RegionalBurstScaling(), lambda t: 8000, 30_000, 120),
    }
    ax = plot_available_concurrency(curves, demand=8000, account_limit=30_000).axes[0]
    assert _labels(ax) == ["since Nov 2023", "before", "demand 8,000", "account limit 30,000"]


def test_when_percentiles_costs_and_cold_fractions_are_plotted_then_every_series_appears(squeezed) -> None:
    ax = plot_latency_percentiles(dict(squeezed.functions)).axes[0]
    assert _labels(ax) == ["p50", "p95", "p99"] and len(ax.patches) == 6
    ax = plot_cost_curves([1, 10, 100], {"lambda": [1, 10, 100], "fleet": lambda x: 50.0},
                          mark={"crossover": 50}).axes[0]
    assert _labels(ax) == ["lambda", "fleet"] and ax.get_xscale() == "log"
    ax = plot_cold_start_fraction([0.01, 0.1], {"10 min": [0.9, 0.1]}).axes[0]
    assert _labels(ax) == ["10 min"]


def test_when_a_queue_is_plotted_then_waiting_in_flight_dlq_and_batches_are_shown() -> None:
    result = simulate_sqs(SqsScenario(ConstantRateArrivals(20.0), Constant(0.5), 30.0,
                                      SqsEventSource(batch_size=5, maximum_concurrency=4)))
    top, bottom = plot_sqs(result).axes
    assert _labels(top) == ["visible (waiting)", "in flight (invisible)", "in the DLQ"]
    assert _labels(bottom) == ["concurrent batches", "MaximumConcurrency 4"]


def test_when_the_scaling_explorer_moves_then_it_resimulates_the_chosen_model() -> None:
    from lambdalab.sim.widgets import SCALING_MODELS, scaling_explorer

    explorer = scaling_explorer()
    first = explorer.result
    assert first is not None and bytes(explorer.image.value).startswith(b"\x89PNG")
    explorer.model.value = list(SCALING_MODELS)[1]
    assert explorer.result is not first
    assert explorer.result.account.scaling == SCALING_MODELS[explorer.model.value]
    assert explorer.result["burst"].peak_busy == 3000  # the regional burst: 3,000 and not one more
    explorer.reserved.value = 1000
    assert explorer.result["burst"].peak_busy == 1000
    assert "reserved concurrency" in explorer.summary.value
    assert explorer._repr_mimebundle_()


def test_when_the_provisioned_explorer_adds_environments_then_cold_starts_vanish_and_the_bill_grows() -> None:
    from lambdalab.sim.widgets import provisioned_explorer

    explorer = provisioned_explorer(requests=2_000)
    explorer.provisioned.value = 0
    base = explorer.result["api"]
    explorer.provisioned.value = 2
    with_pc = explorer.result["api"]
    assert base.cold_start_fraction > 0.1 and with_pc.cold_starts == 0
    assert "&rarr;" in explorer.summary.value
