"""An SQS queue drained by an event source mapping: messages conserved, visibility, DLQ, pollers scaling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lambdalab.sim import Constant, Exponential, PoissonArrivals, SqsEventSource, SqsScenario, simulate_sqs
from lambdalab.sim.arrivals import ConstantRateArrivals


def _states_add_up(result) -> None:
    """Each message's final state, read from its own flags, agrees with the engine's running counters."""
    counts = np.bincount(result.final_state, minlength=5)
    assert counts.tolist() == [result.visible, result.in_flight, result.deleted, result.in_dlq, 0]
    assert counts.sum() == result.sent == len(result.sent_at)
    assert np.sum(~np.isnan(result.deleted_at)) == result.deleted
    assert not np.any(result.dead_lettered & ~np.isnan(result.deleted_at))
    assert np.all(result.completed_copies <= result.deliveries)
    series = result.series
    total = series.visible + series.in_flight + series.in_dlq + series.deleted
    assert np.all(total == np.searchsorted(result.sent_at, series.times, side="right"))


def test_when_processing_averages_10s_under_a_30s_visibility_timeout_then_e_minus_3_are_delivered_twice():
    """Validation case 7 through the event source mapping: pollers, batches of one, no failures."""
    scenario = SqsScenario(PoissonArrivals(0.1), Exponential(10.0), 3e5,
                           SqsEventSource(batch_size=1, max_receive_count=None))
    result = simulate_sqs(scenario, seed=7)
    assert result.sent > 25_000
    assert result.delivered_twice_fraction == pytest.approx(math.exp(-3), abs=0.005)
    assert result.deleted == result.sent  # duplicates, but nothing lost
    _states_add_up(result)


def test_when_every_message_fails_then_each_reaches_the_dlq_after_max_receive_count_receives() -> None:
    mapping = SqsEventSource(batch_size=5, visibility_timeout=10.0, max_receive_count=3)
    result = simulate_sqs(SqsScenario(PoissonArrivals(5.0), Constant(0.2), 60.0, mapping, failure_rate=1.0), seed=1)
    assert result.in_dlq == result.sent and result.deleted == 0
    assert np.all(result.deliveries == 3)
    _states_add_up(result)


def test_when_some_messages_fail_then_messages_are_conserved_and_retried_until_deleted_or_dead() -> None:
    mapping = SqsEventSource(batch_size=10, visibility_timeout=5.0, max_receive_count=4)
    result = simulate_sqs(SqsScenario(PoissonArrivals(50.0), Constant(0.05), 120.0, mapping, failure_rate=0.4), seed=2)
    _states_add_up(result)
    assert result.deleted + result.in_dlq == result.sent  # drained
    assert result.in_dlq / result.sent == pytest.approx(0.4**4, abs=0.01)
    assert result.deliveries.max() <= 4


def test_when_batch_item_failures_are_not_reported_then_one_failure_returns_the_whole_batch() -> None:
    def reprocessed(report: bool) -> int:
        mapping = SqsEventSource(batch_size=10, visibility_timeout=5.0, max_receive_count=10,
                                 maximum_concurrency=2, report_batch_item_failures=report)
        scenario = SqsScenario(PoissonArrivals(100.0), Constant(0.04), 10.0, mapping, failure_rate=0.05)
        return int(simulate_sqs(scenario, seed=3).deliveries.sum())

    assert reprocessed(False) > 1.3 * reprocessed(True)


def test_when_a_backlog_builds_then_pollers_start_at_5_and_add_300_concurrent_batches_a_minute() -> None:
    scenario = SqsScenario(ConstantRateArrivals(200.0), Constant(2.0), 130.0, SqsEventSource(batch_size=10))
    result = simulate_sqs(scenario, seed=4, drain=0.0)
    series = result.series
    at = lambda t: int(series.batches[np.searchsorted(series.times, t)])  # noqa: E731
    assert at(0.0) <= 5
    assert at(60.0) == pytest.approx(305, abs=10)
    assert at(120.0) == pytest.approx(605, abs=10)


def test_when_maximum_concurrency_is_set_then_concurrent_batches_never_exceed_it() -> None:
    mapping = SqsEventSource(batch_size=10, maximum_concurrency=20)
    result = simulate_sqs(SqsScenario(ConstantRateArrivals(200.0), Constant(1.0), 60.0, mapping), seed=5)
    assert result.peak_batches == 20
    assert result.throttled_batches == 0


def test_when_pollers_outgrow_reserved_concurrency_then_throttled_batches_push_messages_to_the_dlq() -> None:
    """The classic trap: reserved concurrency below the pollers; MaximumConcurrency (2023) is the fix."""

    def run(maximum_concurrency: int | None):
        mapping = SqsEventSource(batch_size=10, visibility_timeout=5.0, max_receive_count=3,
                                 maximum_concurrency=maximum_concurrency)
        scenario = SqsScenario(ConstantRateArrivals(200.0), Constant(1.0), 60.0, mapping, function_concurrency=10)
        return simulate_sqs(scenario, seed=6)

    trap, fixed = run(None), run(10)
    assert trap.throttled_batches > 100 and trap.in_dlq > 0
    assert fixed.throttled_batches == 0 and fixed.in_dlq == 0
    _states_add_up(trap)
    _states_add_up(fixed)
