"""Who invokes the function, and what they do when Lambda says no (429) or the function fails.

Two invocation types, as in Lambda's ``InvocationType``:

- ``Synchronous`` (``RequestResponse``): the caller waits for the answer. A throttle is the caller's to
  handle: it may retry with exponential backoff and *full jitter* (sleep a uniform random time between 0
  and min(cap, base x 2^attempt) -- M. Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog,
  2015-03, https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), and gives up after
  ``max_attempts``. A function error goes back to the caller as is: SDKs do not retry it.
- ``Asynchronous`` (``Event``): Lambda queues the event and owns the retries (AWS Lambda Developer Guide,
  "How Lambda handles errors and retries with asynchronous invocation", checked 2026): after a function
  error it tries twice more (``MaximumRetryAttempts``, 0-2), one minute and then two minutes later; a
  throttled event goes back to the queue and is retried with a delay growing exponentially from 1 s to at
  most 5 min, for up to ``MaximumEventAgeInSeconds`` (6 hours by default) -- throttled events are delayed,
  not lost, unless they grow too old.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Synchronous:
    """A caller that waits, and retries a 429 up to ``max_attempts`` attempts in all (1: never retries).

    Backoff before attempt k+1 (k = 0 for the first retry) is uniform in [0, min(max_delay, base_delay 2^k)].
    """

    max_attempts: int = 1
    base_delay: float = 0.1
    max_delay: float = 20.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts counts the first attempt too, so it must be >= 1, got {self.max_attempts}")
        if not (self.base_delay >= 0 and self.max_delay >= 0 and math.isfinite(self.base_delay + self.max_delay)):
            raise ValueError("base_delay and max_delay must be finite numbers of seconds >= 0")

    @property
    def retries(self) -> bool:
        return self.max_attempts > 1

    def backoff(self, retry: int, uniform: float) -> float:
        """Full-jitter sleep before retry number ``retry`` (0-based), given a uniform draw in [0, 1)."""
        return uniform * min(self.max_delay, self.base_delay * 2.0**retry)


@dataclass(frozen=True)
class Asynchronous:
    """Lambda's own retries for ``Event`` invocations (defaults are AWS's)."""

    maximum_retry_attempts: int = 2
    maximum_event_age: float = 6 * 3600.0
    error_delays: tuple[float, ...] = (60.0, 120.0)
    throttle_first_delay: float = 1.0
    throttle_max_delay: float = 300.0

    def __post_init__(self) -> None:
        if not 0 <= self.maximum_retry_attempts <= 2:
            raise ValueError(f"MaximumRetryAttempts is 0-2 on AWS, got {self.maximum_retry_attempts}")
        if not 60 <= self.maximum_event_age <= 6 * 3600:
            raise ValueError(f"MaximumEventAgeInSeconds is 60-21600 on AWS, got {self.maximum_event_age}")
        if len(self.error_delays) < self.maximum_retry_attempts:
            raise ValueError("give one error delay per retry attempt")

    @property
    def max_executions(self) -> int:
        return 1 + self.maximum_retry_attempts

    def throttle_delay(self, throttles_so_far: int) -> float:
        """Delay before retrying an event throttled ``throttles_so_far + 1`` times: 1 s, 2 s, 4 s ... 5 min."""
        return min(self.throttle_max_delay, self.throttle_first_delay * 2.0 ** min(throttles_so_far, 60))

    def error_delay(self, errors_so_far: int) -> float:
        """Delay before re-running an event whose execution number ``errors_so_far`` (1-based) failed."""
        return self.error_delays[errors_so_far - 1]


Caller = Synchronous | Asynchronous
