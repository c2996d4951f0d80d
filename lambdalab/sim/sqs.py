"""SQS visibility timeout: how often a message is processed twice although nothing failed.

A received message stays invisible for the visibility timeout; if the consumer has not deleted it by
then, SQS delivers it again, and again after each further timeout, until some copy finishes and deletes
it. With processing times of mean ``m`` and a timeout ``v``, a first copy still running at ``v`` means a
duplicate: for exponential processing that is e^(-v/m) of messages (e^-3 for 10 s and 30 s). AWS's advice
of a timeout of at least 6 times the function timeout is what keeps this near zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lambdalab.sim.distributions import Distribution


@dataclass(frozen=True)
class VisibilityResult:
    """Deliveries per message (``deliveries[i]`` >= 1) and the summary figures."""

    deliveries: np.ndarray
    duplicate_fraction: float
    mean_deliveries: float


def simulate_visibility(
    messages: int,
    processing: Distribution,
    visibility_timeout: float,
    seed: int = 0,
    max_deliveries: int = 50,
) -> VisibilityResult:
    """Each message is received at once and again every ``visibility_timeout`` seconds until a copy ends.

    Copy ``k`` (0-based) starts at ``k * visibility_timeout`` (a consumer is always free) and runs for its
    own processing time; the message is deleted when the first copy finishes. ``max_deliveries`` bounds
    the loop (a redrive policy's ``maxReceiveCount`` would move it to a dead-letter queue before that).
    """
    rng = np.random.default_rng(seed)
    deleted_at = processing.sample(rng, messages)  # the first copy's finish
    deliveries = np.ones(messages, dtype=np.int64)
    for k in range(1, max_deliveries):
        start = k * visibility_timeout
        again = deleted_at > start  # still undeleted when it becomes visible again
        if not again.any():
            break
        deliveries[again] += 1
        finish = start + processing.sample(rng, int(again.sum()))
        deleted_at[again] = np.minimum(deleted_at[again], finish)
    return VisibilityResult(
        deliveries=deliveries,
        duplicate_fraction=float(np.mean(deliveries >= 2)),
        mean_deliveries=float(deliveries.mean()),
    )
