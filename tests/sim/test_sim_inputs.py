"""Arrival processes and duration distributions: the random inputs every engine shares."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lambdalab.sim import (
    Constant,
    ConstantRateArrivals,
    Empirical,
    Exponential,
    LogNormal,
    PoissonArrivals,
    ReplayedArrivals,
    Scenario,
    Shifted,
    Workload,
)


def test_when_poisson_arrivals_are_drawn_then_their_count_and_gaps_match_the_rate() -> None:
    gaps = PoissonArrivals(5.0).gaps(np.random.default_rng(1), horizon=2e4)
    assert len(gaps) == pytest.approx(1e5, rel=0.01)
    assert np.cumsum(gaps)[-1] < 2e4
    assert np.std(gaps) / np.mean(gaps) == pytest.approx(1.0, rel=0.02)  # exponential: CV = 1


def test_when_the_horizon_exceeds_the_first_block_then_poisson_arrivals_still_reach_it() -> None:
    gaps = PoissonArrivals(0.001).gaps(np.random.default_rng(2), horizon=100.0)  # about 0.1 expected
    assert np.all(np.cumsum(gaps) < 100.0)
    big = PoissonArrivals(2.0).gaps(np.random.default_rng(3), horizon=5.0)
    assert np.cumsum(big)[-1] < 5.0 and len(big) > 0


def test_when_constant_rate_arrivals_are_drawn_then_they_are_evenly_spaced() -> None:
    times = np.cumsum(ConstantRateArrivals(4.0).gaps(np.random.default_rng(0), horizon=10.0))
    assert times.tolist() == pytest.approx([0.25 * k for k in range(1, 40)])


def test_when_timestamps_are_replayed_then_requests_arrive_at_those_instants_including_ties() -> None:
    replay = ReplayedArrivals([3.0, 1.0, 1.0, 7.5, 12.0])
    times = np.cumsum(replay.gaps(np.random.default_rng(0), horizon=10.0))
    assert times.tolist() == [1.0, 1.0, 3.0, 7.5]


def test_when_a_timestamp_is_negative_then_replay_refuses_it() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        ReplayedArrivals([-1.0, 2.0])


@pytest.mark.parametrize(
    "distribution",
    [
        Exponential(2.0),
        Constant(0.5),
        LogNormal(median=0.2, sigma=0.7),
        Empirical([0.1, 0.2, 0.9]),
        Shifted(0.25, Exponential(0.1)),
    ],
    ids=lambda d: type(d).__name__,
)
def test_when_many_durations_are_drawn_then_their_mean_is_the_distributions_mean(distribution) -> None:
    samples = distribution.sample(np.random.default_rng(4), 200_000)
    assert np.all(samples >= 0)
    assert samples.mean() == pytest.approx(distribution.mean, rel=0.02)


def test_when_an_empirical_distribution_resamples_then_it_only_returns_measured_values() -> None:
    samples = Empirical([0.1, 0.3]).sample(np.random.default_rng(0), 1000)
    assert set(samples.tolist()) == {0.1, 0.3}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Exponential(-1.0), "mean"),
        (lambda: Constant(math.nan), "value"),
        (lambda: Empirical([]), "at least one"),
        (lambda: PoissonArrivals(0.0), "rate"),
        (lambda: Scenario(PoissonArrivals(1.0), Constant(1), Constant(1), horizon=-1), "horizon"),
        (lambda: Scenario(PoissonArrivals(1.0), Constant(1), Constant(1), 10, keep_alive=-1), "keep_alive"),
        (lambda: Scenario(PoissonArrivals(1.0), Constant(1), Constant(1), 10, routing="random"), "routing"),
        (lambda: Workload.of([2.0, 1.0], [1, 1], [1, 1]), "sorted"),
        (lambda: Workload.of([1.0, 2.0], [1], [1, 1]), "one warm and one cold"),
    ],
)
def test_when_an_input_is_impossible_then_the_error_says_which(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_when_a_long_run_is_asked_for_a_progress_bar_then_one_is_shown_and_short_runs_stay_silent(capsys) -> None:
    from lambdalab.sim import Account, FunctionSpec, simulate, simulate_account

    scenario = Scenario(PoissonArrivals(50.0), Constant(0.1), Constant(0.2), horizon=2_000.0)
    quiet = simulate(scenario, seed=1)
    assert capsys.readouterr().err == ""
    shown = simulate(scenario, seed=1, progress=True)
    assert "simulating" in capsys.readouterr().err
    assert shown.cold_starts == quiet.cold_starts  # the bar changes nothing else
    account = Account((FunctionSpec("f", PoissonArrivals(50.0), Constant(0.1)),), horizon=2_000.0)
    simulate_account(account, seed=1, progress=True)
    assert "simulating" in capsys.readouterr().err
