"""An SQS queue drained by a Lambda event source mapping: pollers, batches, visibility, retries, the DLQ.

The moving parts (AWS Lambda Developer Guide, "Using Lambda with Amazon SQS" and "Configuring scaling
behavior for SQS event source mappings", checked 2026; docs/facts.md, "SQS event source"):

- **pollers**: when messages are available the mapping processes 5 batches at a time, then adds up to 300
  concurrent batches a minute while messages keep waiting, up to 1,000 -- or ``MaximumConcurrency``
  (2-1,000). Each batch in flight is one concurrent invocation. (AWS also scales back down when traffic
  is low; that is not modelled: the allowance only grows.)
- **batches**: a poller receives up to ``BatchSize`` visible messages at once (no batching window), oldest
  first. Receiving makes them invisible for the visibility timeout and increments their receive count.
- **the function**: runs the batch's messages one after another (the batch takes the sum of their
  processing times) on at most ``function_concurrency`` environments (its reserved concurrency). A batch
  the function cannot take is throttled: its messages stay invisible until their timeout, exactly as on
  AWS, where throttles count as receives and can push messages to the DLQ; the poller backs off 1 s.
- **outcomes**: each message fails with probability ``failure_rate``. With ``ReportBatchItemFailures`` only
  the failed ones come back; without, one failure returns the whole batch. A succeeded message is deleted
  when its batch ends -- unless it was already deleted by another copy.
- **visibility**: a message not deleted by the end of its visibility timeout becomes visible again, even
  if a copy is still running (so a slow success is processed twice). When it becomes visible having been
  received ``maxReceiveCount`` times, SQS moves it to the dead-letter queue.

Conservation holds at every instant: sent = visible + in flight + deleted + in the DLQ. A single engine
(an event loop with a heap); its random draws are made in event order from one seeded generator.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from lambdalab.sim.arrivals import Arrivals
from lambdalab.sim.distributions import Distribution
from lambdalab.sim.results import SERIES_BINS

INITIAL_POLLERS = 5
POLLERS_PER_MINUTE = 300
MAX_POLLERS = 1000
THROTTLE_BACKOFF = 1.0


@dataclass(frozen=True)
class SqsEventSource:
    """The event source mapping's settings and the queue's, with AWS's defaults."""

    batch_size: int = 10
    maximum_concurrency: int | None = None
    visibility_timeout: float = 30.0
    max_receive_count: int | None = 5
    report_batch_item_failures: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 10_000:
            raise ValueError(f"BatchSize is 1-10,000 for standard queues, got {self.batch_size}")
        if self.maximum_concurrency is not None and not 2 <= self.maximum_concurrency <= 1000:
            raise ValueError(f"MaximumConcurrency is 2-1,000, got {self.maximum_concurrency}")
        if not 0 <= self.visibility_timeout <= 12 * 3600:
            raise ValueError(f"the visibility timeout is 0 s to 12 h, got {self.visibility_timeout}")
        if self.max_receive_count is not None and not 1 <= self.max_receive_count <= 1000:
            raise ValueError(f"maxReceiveCount is 1-1,000, got {self.max_receive_count}")

    @property
    def poller_cap(self) -> int:
        return MAX_POLLERS if self.maximum_concurrency is None else self.maximum_concurrency


@dataclass(frozen=True)
class SqsScenario:
    """Messages sent at ``arrivals`` for ``horizon`` seconds, each taking ``processing`` seconds."""

    arrivals: Arrivals
    processing: Distribution
    horizon: float
    mapping: SqsEventSource = field(default_factory=SqsEventSource)
    failure_rate: float = 0.0
    function_concurrency: int | None = None

    def __post_init__(self) -> None:
        if not (self.horizon > 0 and math.isfinite(self.horizon)):
            raise ValueError(f"horizon must be a positive, finite number of seconds, got {self.horizon!r}")
        if not 0 <= self.failure_rate <= 1:
            raise ValueError(f"failure_rate must be a probability, got {self.failure_rate!r}")
        if self.function_concurrency is not None and self.function_concurrency < 0:
            raise ValueError("function_concurrency must be >= 0 or None")


@dataclass(frozen=True)
class SqsSeries:
    """Queue state sampled at the start of each bin: for plots."""

    times: np.ndarray
    visible: np.ndarray
    in_flight: np.ndarray
    in_dlq: np.ndarray
    deleted: np.ndarray
    batches: np.ndarray


@dataclass(frozen=True)
class SqsResult:
    """Per message: ``deliveries`` (receives), ``final_state`` (one of ``STATES``, read from the message's own
    flags), ``deleted_at`` (NaN if never), ``dead_lettered``. Totals (kept by counters) and series.

    ``duplicates`` counts messages processed to the end more than once (the first success deleted them, a
    later copy ran anyway); ``throttled_batches`` batches the function refused.
    """

    scenario: SqsScenario
    sent_at: np.ndarray
    sent: int
    deleted: int
    in_dlq: int
    visible: int
    in_flight: int
    deliveries: np.ndarray
    final_state: np.ndarray
    deleted_at: np.ndarray
    dead_lettered: np.ndarray
    completed_copies: np.ndarray
    batches: int
    throttled_batches: int
    failed_processings: int
    peak_batches: int
    peak_visible: int
    series: SqsSeries

    @property
    def duplicate_fraction(self) -> float:
        """Fraction of messages processed to the end two or more times."""
        return float(np.mean(self.completed_copies >= 2)) if self.sent else float("nan")

    @property
    def delivered_twice_fraction(self) -> float:
        """Fraction of messages received two or more times (what validation case 7 measures)."""
        return float(np.mean(self.deliveries >= 2)) if self.sent else float("nan")

    @property
    def mean_age_at_delete(self) -> float:
        """Mean seconds from send to delete, for deleted messages."""
        return float(np.nanmean(self.deleted_at - self.sent_at)) if self.deleted else float("nan")


#: A message's state at the end of the run.
STATES = ("visible", "in flight", "deleted", "in the DLQ", "not sent yet")

# Event kinds, in the order simultaneous events are handled (arrivals come last).
_BATCH_END, _VISIBLE, _POLL = 0, 1, 2


def simulate_sqs(scenario: SqsScenario, seed: int = 0, drain: float | None = None) -> SqsResult:
    """Run the queue and its mapping. Messages arrive in [0, horizon); the run goes on (for at most
    ``drain`` seconds past the horizon, by default long enough for every receive to time out) until the
    queue is empty."""
    mapping = scenario.mapping
    root = np.random.SeedSequence(seed)
    arrivals_seed, processing_seed, failure_seed = root.spawn(3)
    sent_at = np.cumsum(np.asarray(scenario.arrivals.gaps(np.random.default_rng(arrivals_seed), scenario.horizon)))
    n = len(sent_at)
    processing_rng = np.random.default_rng(processing_seed)
    failure_rng = np.random.default_rng(failure_seed)
    end_of_run = scenario.horizon + (
        drain if drain is not None else mapping.visibility_timeout * ((mapping.max_receive_count or 10) + 2) + 3600
    )

    receives = [0] * n
    completed = [0] * n
    deleted_at = [math.nan] * n
    deleted = [False] * n
    dead = [False] * n
    is_visible = [False] * n
    visible: list[tuple[int, int]] = []  # heap of (order made visible, message), oldest first; entries of
    visible_order = 0  # messages deleted meanwhile are skipped when popped (lazy deletion)
    n_visible = 0

    events: list[tuple[float, int, int, object]] = []  # (when, kind, order, payload); arrivals come from
    sequence = 0  # the sorted ``sent_at`` instead, and go after other events at the same instant

    def push(when: float, kind: int, payload: object) -> None:
        nonlocal sequence
        heapq.heappush(events, (when, kind, sequence, payload))
        sequence += 1

    cap = mapping.poller_cap
    allowance = float(min(INITIAL_POLLERS, cap))
    allowance_stamp = 0.0
    busy_pollers = running_batches = 0
    batches = throttled_batches = failed = peak_batches = peak_visible = 0
    n_deleted = n_dlq = 0
    poll_pending = False
    edges = np.linspace(0.0, scenario.horizon, SERIES_BINS + 1)[:-1].tolist()
    samples: list[tuple[int, int, int, int, int]] = []
    sent = sent_at.tolist()
    next_arrival = 0

    def make_visible(m: int) -> None:
        nonlocal visible_order, n_visible
        heapq.heappush(visible, (visible_order, m))
        visible_order += 1
        is_visible[m] = True
        n_visible += 1

    def receive_one() -> int:
        nonlocal n_visible
        while True:
            m = heapq.heappop(visible)[1]
            if is_visible[m]:
                is_visible[m] = False
                n_visible -= 1
                return m

    while events or next_arrival < n:
        t_event = events[0][0] if events else math.inf
        t_arrival = sent[next_arrival] if next_arrival < n else math.inf
        now = t_event if t_event <= t_arrival else t_arrival
        if now > end_of_run:
            break
        while len(samples) < len(edges) and edges[len(samples)] <= now:
            in_flight = next_arrival - n_visible - n_deleted - n_dlq
            samples.append((n_visible, in_flight, n_dlq, n_deleted, running_batches))
        # The allowance grows while messages wait and every allowed poller is busy.
        if n_visible and busy_pollers >= math.floor(allowance + 1e-9):
            allowance = min(float(cap), allowance + (now - allowance_stamp) * POLLERS_PER_MINUTE / 60)
        allowance_stamp = now
        if t_event <= t_arrival:
            _, kind, _, payload = heapq.heappop(events)
            if kind == _VISIBLE:
                m, receive_number = payload  # type: ignore[misc]
                if not deleted[m] and not dead[m] and receives[m] == receive_number:
                    if mapping.max_receive_count is not None and receives[m] >= mapping.max_receive_count:
                        dead[m] = True
                        n_dlq += 1
                    else:
                        make_visible(m)
            elif kind == _BATCH_END:
                messages, failures, throttled = payload  # type: ignore[misc]
                busy_pollers -= 1
                if not throttled:
                    running_batches -= 1
                    batch_failed = any(failures)
                    for m, fails in zip(messages, failures, strict=True):
                        completed[m] += 1
                        if fails or (batch_failed and not mapping.report_batch_item_failures):
                            continue  # comes back when its visibility timeout ends
                        if not deleted[m] and not dead[m]:
                            deleted[m] = True
                            deleted_at[m] = now
                            n_deleted += 1
                            if is_visible[m]:  # visible again already (a slow copy): deleting removes it
                                is_visible[m] = False
                                n_visible -= 1
            else:
                poll_pending = False
        else:
            make_visible(next_arrival)
            next_arrival += 1

        # Pollers receive while they are allowed to and messages are visible.
        while n_visible and busy_pollers < math.floor(allowance + 1e-9):
            batch = [receive_one() for _ in range(min(mapping.batch_size, n_visible))]
            busy_pollers += 1
            batches += 1
            for m in batch:
                receives[m] += 1
                push(now + mapping.visibility_timeout, _VISIBLE, (m, receives[m]))
            limit = scenario.function_concurrency
            if limit is not None and running_batches >= limit:
                throttled_batches += 1
                push(now + THROTTLE_BACKOFF, _BATCH_END, (batch, [False] * len(batch), True))
                continue
            running_batches += 1
            peak_batches = max(peak_batches, running_batches)
            duration = float(scenario.processing.sample(processing_rng, len(batch)).sum())
            if scenario.failure_rate > 0:
                failures = (failure_rng.random(len(batch)) < scenario.failure_rate).tolist()
                failed += sum(failures)
            else:
                failures = [False] * len(batch)
            push(now + duration, _BATCH_END, (batch, failures, False))
        # While messages wait for pollers, look again when the allowance next reaches a whole poller.
        if n_visible and busy_pollers >= math.floor(allowance + 1e-9) and allowance < cap and not poll_pending:
            step = (math.floor(allowance + 1e-9) + 1 - allowance) * 60 / POLLERS_PER_MINUTE
            push(now + max(step, 1e-6), _POLL, None)
            poll_pending = True
        peak_visible = max(peak_visible, n_visible)
    in_flight = next_arrival - n_visible - n_deleted - n_dlq
    while len(samples) < len(edges):
        samples.append((n_visible, in_flight, n_dlq, n_deleted, running_batches))
    picked = np.array(samples, dtype=np.int64)
    times = np.array(edges)
    return SqsResult(
        scenario=scenario,
        sent_at=sent_at,
        sent=n,
        deleted=n_deleted,
        in_dlq=n_dlq,
        visible=n_visible,
        in_flight=in_flight,
        deliveries=np.array(receives, dtype=np.int64),
        final_state=np.select(
            [np.array(deleted), np.array(dead), np.array(is_visible), np.arange(n) >= next_arrival],
            [2, 3, 0, 4],
            default=1,
        ),
        deleted_at=np.array(deleted_at),
        dead_lettered=np.array(dead, dtype=bool),
        completed_copies=np.array(completed, dtype=np.int64),
        batches=batches,
        throttled_batches=throttled_batches,
        failed_processings=failed,
        peak_batches=peak_batches,
        peak_visible=peak_visible,
        series=SqsSeries(
            times=times,
            visible=picked[:, 0],
            in_flight=picked[:, 1],
            in_dlq=picked[:, 2],
            deleted=picked[:, 3],
            batches=picked[:, 4],
        ),
    )
