"""How many batches an SQS mapping keeps in flight, and how that number moves.

AWS (docs/facts.md, "SQS event source"; "Understanding Lambda scaling with Amazon SQS"): the pollers start at
five concurrent batches, and while messages keep coming Lambda adds up to 300 a minute, up to 1,000 or the
mapping's ``ScalingConfig.MaximumConcurrency``. When the function is throttled — or fails, unless the
mapping reports batch item failures — Lambda backs off, reducing the concurrency it gives the mapping.
When the queue runs dry it scales back down. This is bookkeeping only: the poller asks it how many workers
to run and tells it what each batch met.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lambdalab.triggers.sqs.models import INITIAL_CONCURRENT_BATCHES

#: New concurrent batches per minute while every poller keeps finding messages.
SCALE_UP_PER_MINUTE = 300.0
#: Concurrent batches given back per second while pollers find the queue empty.
SCALE_DOWN_PER_SECOND = 1.0


@dataclass
class PollerScaling:
    """The target number of concurrent batches for one mapping, between 1 and ``ceiling``."""

    ceiling: int
    clock: Callable[[], float] = time.monotonic
    target: float = field(default=float(INITIAL_CONCURRENT_BATCHES))
    _stamp: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.target = float(min(self.target, self.ceiling))

    @property
    def concurrency(self) -> int:
        with self._lock:
            return max(1, min(self.ceiling, int(self.target)))

    def set_ceiling(self, ceiling: int) -> None:
        with self._lock:
            self.ceiling = max(1, ceiling)
            self.target = min(self.target, float(self.ceiling))

    def observe(self, *, busy: int, found_messages: bool) -> None:
        """Called as batches are received: grow while every poller is busy and the queue has more,
        shrink back toward the starting five while the queue is empty."""
        with self._lock:
            now = self.clock()
            elapsed = 0.0 if self._stamp is None else max(0.0, now - self._stamp)
            self._stamp = now
            floor = float(min(INITIAL_CONCURRENT_BATCHES, self.ceiling))
            if found_messages and busy >= int(self.target):
                self.target = min(float(self.ceiling), self.target + elapsed * SCALE_UP_PER_MINUTE / 60.0)
            elif not found_messages and self.target > floor:
                self.target = max(floor, self.target - elapsed * SCALE_DOWN_PER_SECOND)

    def back_off(self) -> None:
        """A throttle (or a function error without partial batch responses): one batch fewer."""
        with self._lock:
            self.target = max(1.0, self.target - 1.0)
