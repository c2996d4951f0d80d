"""Send requests to a live function at chosen instants, the way traffic would arrive.

A lesson that compares the simulator with the real thing needs both to see the same traffic: the same
arrival instants, replayed on real execution environments here and fed to the simulator there. Requests
that overlap run concurrently (each on its own thread), so the pool starts as many environments as the
traffic needs, exactly as Lambda would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lambdalab.runtime.results import Invocation


@dataclass(frozen=True)
class ReplayedRequest:
    """One request of a replay: when it was meant to arrive, when it did, and what it got."""

    index: int
    scheduled_at: float
    sent_at: float
    finished_at: float
    invocation: Invocation

    @property
    def cold(self) -> bool:
        return self.invocation.cold

    @property
    def latency_ms(self) -> float:
        return (self.finished_at - self.sent_at) * 1000.0


def replay(function: object, arrivals: Sequence[float], event: object | Callable[[int], object] = None
           ) -> list[ReplayedRequest]:
    """Invoke ``function`` once per arrival instant (seconds from now), in real time.

    ``event`` is the payload for every request, or a callable giving request ``i``'s payload. Returns the
    requests in arrival order once all have finished.
    """
    if any(b < a for a, b in zip(arrivals, arrivals[1:], strict=False)) or (arrivals and arrivals[0] < 0):
        raise ValueError("arrivals must be sorted seconds from now (>= 0)")
    make_event = event if callable(event) else (lambda _i: event)
    results: list[ReplayedRequest | None] = [None] * len(arrivals)
    start = time.perf_counter()

    def send(i: int, at: float) -> None:
        sent = time.perf_counter() - start
        invocation = function.invoke(make_event(i))
        results[i] = ReplayedRequest(i, at, sent, time.perf_counter() - start, invocation)

    threads = []
    for i, at in enumerate(arrivals):
        delay = at - (time.perf_counter() - start)
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=send, args=(i, at), name=f"lambdalab-replay-{i}", daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]
