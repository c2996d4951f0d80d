"""Lesson 01 helpers and presets: the numbers, the figure, the sliders, and where values come from."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from lambdalab.sim import (
    COLD_START_PRESETS,
    KEEP_ALIVE_PRESETS,
    Exponential,
    Shifted,
    cold_start_fraction,
    keep_alive_explorer,
    plot_cold_fraction_vs_rate,
)


def test_when_traffic_is_rare_then_nearly_every_request_is_cold_and_when_frequent_nearly_none() -> None:
    rare = cold_start_fraction(rate=1 / 3600, keep_alive=60, requests=5_000)
    frequent = cold_start_fraction(rate=1.0, keep_alive=600, requests=20_000)
    assert rare > 0.95
    assert frequent < 0.01


def test_when_traffic_is_sparse_then_the_cold_fraction_follows_exp_of_minus_rate_times_keep_alive() -> None:
    """One environment, requests far apart: cold exactly when the gap exceeds keep-alive (+ a short run)."""
    for rate, keep_alive in ((1 / 600, 600.0), (1 / 1200, 300.0)):
        fraction = cold_start_fraction(rate, keep_alive, requests=40_000, seed=1)
        assert fraction == pytest.approx(math.exp(-rate * keep_alive), abs=0.01)


def test_when_the_figure_is_drawn_then_it_has_one_curve_and_one_approximation_per_keep_alive() -> None:
    from matplotlib.figure import Figure

    fig = plot_cold_fraction_vs_rate(rates=[0.001, 0.01, 0.1], keep_alives=[60, 600], requests=2_000)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert labels == ["keep-alive 1 min", "keep-alive 10 min"]
    short, long = (line.get_ydata() for line in ax.get_lines()[::2])
    assert all(s >= lo for s, lo in zip(short, long, strict=True))


def test_when_a_slider_moves_then_the_explorer_resimulates_with_the_new_values() -> None:
    explorer = keep_alive_explorer(requests=2_000)
    first = explorer.result
    assert first is not None
    explorer.keep_alive.value = 0
    assert explorer.result is not first
    assert explorer.result.scenario.keep_alive == 0
    assert explorer.result.cold_start_probability == 1.0
    assert "100.00%" in explorer.summary.value
    explorer.rate.value = 10.0
    assert explorer.result.scenario.arrivals.rate == pytest.approx(10.0)
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    assert explorer._repr_mimebundle_()  # displays as its widget


def test_when_lambdalab_sim_is_imported_then_matplotlib_and_ipywidgets_are_not() -> None:
    code = "import sys, lambdalab.sim; print([m for m in ('matplotlib', 'ipywidgets') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_when_presets_are_listed_then_each_carries_a_source_and_a_date() -> None:
    assert [round(p.typical / 60, 1) for p in KEEP_ALIVE_PRESETS] == [52.5, 10.0, 6.0]
    for preset in (*KEEP_ALIVE_PRESETS, *COLD_START_PRESETS.values()):
        assert preset.source and preset.date
    assert COLD_START_PRESETS["python3.12"].extra == pytest.approx(0.085)


def test_when_a_runtime_preset_builds_durations_then_cold_is_warm_plus_the_init() -> None:
    warm, cold = COLD_START_PRESETS["java21"].durations(Exponential(0.05))
    assert warm == Exponential(0.05)
    assert cold == Shifted(0.240, Exponential(0.05))
    assert cold.mean - warm.mean == pytest.approx(0.240)
