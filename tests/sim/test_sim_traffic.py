"""Traffic shapes: bursts drawn exactly, daily cycles by thinning, and the Azure Functions popularity mix."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lambdalab.sim import BurstArrivals, DiurnalArrivals, RateProfileArrivals, azure_function_rates
from lambdalab.sim.traffic import fraction_invoked_at_most


def _times(arrivals, horizon: float, seed: int = 0) -> np.ndarray:
    return np.cumsum(arrivals.gaps(np.random.default_rng(seed), horizon))


def test_when_a_burst_is_drawn_then_each_segment_gets_its_own_rate() -> None:
    burst = BurstArrivals(2.0, ((100.0, 10.0, 500.0),))
    times = _times(burst, 300.0)
    before = np.sum(times < 100)
    during = np.sum((times >= 100) & (times < 110))
    after = np.sum(times >= 110)
    assert during == pytest.approx(5_020, rel=0.05)  # (2 + 500) x 10 s
    assert before == pytest.approx(200, rel=0.25) and after == pytest.approx(380, rel=0.2)
    assert np.all(np.diff(times) >= 0) and times[-1] < 300.0
    assert burst.expected_requests(300.0) == pytest.approx(2 * 300 + 500 * 10)


def test_when_bursts_overlap_or_pass_the_horizon_then_rates_add_and_the_horizon_cuts() -> None:
    burst = BurstArrivals(0.0, ((10.0, 20.0, 100.0), (20.0, 20.0, 100.0)))
    assert burst.rate_at(np.array([5.0, 15.0, 25.0, 35.0, 45.0])).tolist() == [0, 100, 200, 100, 0]
    times = _times(burst, 30.0, seed=1)
    assert times.max() < 30.0
    assert len(times) == pytest.approx(100 * 10 + 200 * 10, rel=0.05)


def test_when_a_daily_cycle_is_drawn_by_thinning_then_each_hour_gets_its_share_of_the_day() -> None:
    day = DiurnalArrivals(mean_rate=2.0, amplitude=0.5, peak_at=12 * 3600)
    times = _times(day, 86_400.0, seed=2)
    hourly = np.histogram(times, bins=24, range=(0, 86_400))[0]
    expected = [day.rate_at(np.array([3600 * h + 1800.0]))[0] * 3600 for h in range(24)]
    assert hourly[12] > 2.5 * hourly[0]
    assert hourly == pytest.approx(expected, rel=0.08)
    assert len(times) == pytest.approx(2.0 * 86_400, rel=0.02)


def test_when_a_rate_profile_exceeds_its_peak_then_thinning_refuses_it() -> None:
    with pytest.raises(ValueError, match="between 0 and peak"):
        RateProfileArrivals(lambda t: 3.0 + 0 * t, peak=2.0).gaps(np.random.default_rng(0), 10.0)


def test_when_function_rates_are_drawn_like_azure_2019_then_the_published_quantiles_hold() -> None:
    """Shahrad et al. (ATC 2020): 45 % at most hourly, 81 % at most once a minute, ~97 % at most once a
    second, over about 8 orders of magnitude."""
    rates = azure_function_rates(20_000, seed=3)
    assert fraction_invoked_at_most(rates, 3600) == pytest.approx(0.45, abs=0.015)
    assert fraction_invoked_at_most(rates, 60) == pytest.approx(0.81, abs=0.015)
    assert fraction_invoked_at_most(rates, 1) == pytest.approx(0.97, abs=0.01)
    spread = np.log10(np.percentile(rates, 99.5)) - np.log10(np.percentile(rates, 0.5))
    assert 8 <= spread <= 10
    # the busiest fifth carries nearly everything
    top = np.sort(rates)[-len(rates) // 5 :]
    assert top.sum() / rates.sum() > 0.99


def test_when_azure_rates_are_truncated_then_they_stay_inside_the_bounds_without_piling_up() -> None:
    rates = azure_function_rates(2_000, seed=4, min_rate=1e-4, max_rate=10.0)
    assert len(rates) == 2_000
    assert rates.min() >= 1e-4 and rates.max() <= 10.0
    assert np.sum(rates == 10.0) == 0
    assert not math.isnan(fraction_invoked_at_most(rates, 60))
