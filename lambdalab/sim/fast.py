"""The fast engine: the keep-alive pool as a plain event loop over pre-drawn arrivals.

Only arrivals need decisions, so the loop walks the arrivals in order and, before each one, catches up
with what happened since the previous one: requests that finished (a heap ordered by finish time, then by
request index) return their environment to the idle pool, and idle environments whose keep-alive ran out
disappear. The idle pool is a deque ordered by when each environment last finished, so expiry always takes
from the left, "newest" routing takes from the right and "oldest" from the left: every step is O(1) or
O(log busy), about 2-2.5 million decisions a second in CPython on a shared 2-core machine.

Simultaneous events resolve as in the simpy model (``simpy_model.py``): completions, then expiries, then
arrivals. A request arriving the instant an environment finishes reuses it; an environment idle for
exactly ``keep_alive`` seconds is already gone.
"""

from __future__ import annotations

import math
from collections import deque
from heapq import heappop, heappush

import numpy as np

from lambdalab.sim.progress import Progress
from lambdalab.sim.scenario import Scenario, Workload
from lambdalab.sim.trace import NO_ENVIRONMENT, Trace

#: Requests decided between two updates of the progress bar.
CHUNK = 1 << 16


def run_fast(scenario: Scenario, workload: Workload, progress: bool | None = None) -> Trace:
    """Decide, for every request of ``workload``, its environment and whether it started cold.

    ``progress``: show a progress bar (None: only for runs of millions of requests).

    The loop body runs once per request, so it is written for CPython's sake: the next finish and the next
    expiry are kept in local floats (one comparison per arrival when nothing happened), the heap's entries
    move to the idle pool as they are, the busy count is the heap's length (read only where the limit can
    bind), and a warm request's finish time is added up front by numpy (the same IEEE sum, so the same
    decisions).
    """
    inf = math.inf
    arrival_times = workload.arrival_times.tolist()
    warm_finish = (workload.arrival_times + workload.warm_durations).tolist()
    cold_finish = workload.arrival_times + workload.cold_durations  # read only at a cold start
    n = len(arrival_times)
    limit = scenario.function_limit
    # Checked per arrival only where it can bind: under a limit of 1,000, a workload that never has 100
    # requests in flight needs no check.
    limited = limit is not None and most_concurrent(workload) > limit
    keep_alive = scenario.keep_alive
    newest = scenario.routing == "newest"

    # Plain lists while looping (numpy item assignment is several times slower), arrays at the end.
    environment = [NO_ENVIRONMENT] * n
    started_cold = bytearray(n)
    running: list[tuple[float, int, int]] = []  # (finish time, request, environment): the busy ones
    idle: deque[tuple[float, int, int]] = deque()  # the same entries once finished, oldest finish on the left
    push, pop, park, expire = heappush, heappop, idle.append, idle.popleft
    take = idle.pop if newest else idle.popleft
    next_finish = inf  # running[0][0] (inf when nothing runs)
    # At most idle[0][0] + keep_alive while anything is idle, so no expiry is missed; it may run low (after
    # a take, or -inf while the pool is empty), which only costs one exact check. That is enough because
    # environments join the pool in order of finish: an entry parked later never expires sooner. The check
    # is finish + keep_alive <= now (not finish <= now - keep_alive), to round like simpy does.
    next_expiry = -inf
    created = 0

    bar = Progress(n, progress)
    for chunk in range(0, n, CHUNK):
        end = min(n, chunk + CHUNK)
        for i in range(chunk, end):
            now = arrival_times[i]
            while next_finish <= now:
                park(pop(running))
                next_finish = running[0][0] if running else inf
            if next_expiry <= now:
                while idle and idle[0][0] + keep_alive <= now:
                    expire()
                next_expiry = idle[0][0] + keep_alive if idle else -inf
            if limited and len(running) >= limit:
                continue
            if idle:
                env = take()[2]
                finish = warm_finish[i]
            else:
                env = created
                created += 1
                started_cold[i] = True
                finish = float(cold_finish[i])
            environment[i] = env
            push(running, (finish, i, env))
            if finish < next_finish:
                next_finish = finish
        bar.update(end)
    bar.close()

    return Trace(
        environment=np.fromiter(environment, dtype=np.int64, count=n),
        cold=np.frombuffer(started_cold, dtype=bool).copy(),
        engine="fast",
    )


def most_concurrent(workload: Workload) -> int:
    """An upper bound on the requests in flight at any arrival, that arrival included, in O(n) numpy.

    A request still runs when a later one arrives only if it arrived less than the longest duration
    before, so every arrival's window of possibly-running requests lies within its own bucket of width
    ``2 x longest`` and the one before (the factor 2 and the small addend absorb rounding). The busiest
    pair of adjacent buckets bounds the count. Loose on purpose: it only has to show when a limit can
    never bind, which is the usual case (a limit of 1,000 and tens in flight).
    """
    times = workload.arrival_times
    n = len(times)
    if n == 0:
        return 0
    longest = float(np.max([workload.warm_durations.max(), workload.cold_durations.max()]))  # NaN stays NaN
    if longest <= 0:
        return 1  # every request has finished by the next arrival
    width = 2.0 * longest + 1e-9 * (abs(float(times[-1])) + 1.0)
    if not (math.isfinite(width) and times[-1] / width < 1e15):
        return n  # NaN or infinite durations, or buckets too fine to number: no bound but the obvious one
    bucket = np.floor(times / width).astype(np.int64)
    firsts = np.flatnonzero(np.diff(bucket)) + 1  # where each run of one bucket starts, after the first
    ids = bucket[np.concatenate(([0], firsts))]
    counts = np.diff(np.concatenate(([0], firsts, [n])))
    most = int(counts.max())
    adjacent = np.diff(ids) == 1
    if adjacent.any():
        most = max(most, int((counts[1:] + counts[:-1])[adjacent].max()))
    return most
