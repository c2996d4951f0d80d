"""The fast account engine: one event loop for every function, limit, caller and the database.

Primary arrivals are read from the sorted workload; retries wait in a heap; running executions finish
from a heap; idle environments wait in one deque per function, ordered by when they went idle, and are
expired lazily when that function (or, for the database's connection count, any function that connects
at init) needs them -- the same decisions as timers, at a fraction of the cost.

Simultaneous events resolve as in the simpy model (``account_simpy.py``): completions (in the order they
were scheduled), then expiries, then first attempts, then retries (in the order they were scheduled).
"""

from __future__ import annotations

import math
from collections import deque
from heapq import heappop, heappush

from lambdalab.sim.account import Account, AccountWorkload
from lambdalab.sim.attempts import DROPPED, ERROR, OK, THROTTLED, AccountTrace, build_trace
from lambdalab.sim.callers import Asynchronous, Synchronous
from lambdalab.sim.limits import DATABASE_REFUSED, SERVED, Admission
from lambdalab.sim.progress import Progress

NAN = math.nan
INF = math.inf


def run_account_fast(account: Account, workload: AccountWorkload, progress: bool | None = None) -> AccountTrace:
    """Decide every attempt of ``workload`` under ``account``'s limits (``progress``: show a bar;
    None shows one only for long runs)."""
    functions = account.functions
    n_functions = len(functions)
    admission = Admission(account)

    times = workload.arrival_times.tolist()
    function_of = workload.function.tolist()
    warm = workload.warm.tolist()
    cold = workload.cold.tolist()
    error_draws = None if workload.error_draws is None else workload.error_draws.tolist()
    jitter_draws = None if workload.jitter_draws is None else workload.jitter_draws.tolist()
    n = len(times)

    keep_alive = [f.keep_alive for f in functions]
    newest = [f.routing == "newest" for f in functions]
    error_rate = [f.error_rate for f in functions]
    callers = [f.caller for f in functions]

    database = account.database
    pool_size = None if database is None else database.pool_size
    max_connections = 0 if database is None else database.max_connections
    mode = [f.database for f in functions]
    direct = [m is not None and pool_size is None for m in mode]
    proxied = [m is not None and pool_size is not None for m in mode]
    init_functions = [i for i in range(n_functions) if mode[i] == "init" and pool_size is None]
    rate_capped = [admission.rate_capacity[admission.rate_bucket[f]] != INF for f in range(n_functions)]

    # Environments: provisioned ones first, numbered in function order, then on-demand ones as created.
    env_function: list[int] = []
    env_provisioned: list[bool] = []
    provisioned_idle: list[list[int]] = [[] for _ in range(n_functions)]
    for f, spec in enumerate(functions):
        for _ in range(spec.provisioned_concurrency):
            provisioned_idle[f].append(len(env_function))
            env_function.append(f)
            env_provisioned.append(True)
    idle: list[deque[tuple[float, int]]] = [deque() for _ in range(n_functions)]
    held_at_init = sum(functions[f].provisioned_concurrency for f in init_functions)
    request_connections = 0
    proxy_busy = 0
    proxy_waiting: deque[int] = deque()

    # The trace, as plain lists while looping.
    a_request: list[int] = []
    a_time: list[float] = []
    a_code: list[int] = []
    a_env: list[int] = []
    a_cold: list[bool] = []
    a_prov: list[bool] = []
    a_start: list[float] = []
    a_finish: list[float] = []
    a_error: list[bool] = []
    outcome = [-1] * n
    done_at = [NAN] * n
    attempts = [0] * n
    throttles = [0] * n
    executions = [0] * n

    running: list[tuple[float, int, int]] = []  # (finish, scheduling order, attempt)
    retries: list[tuple[float, int, int]] = []  # (when, scheduling order, request)
    completion_order = 0
    retry_order = 0

    def expire(f: int, now: float) -> None:
        nonlocal held_at_init
        queue, ka = idle[f], keep_alive[f]
        while queue and queue[0][0] + ka <= now:
            queue.popleft()
            if mode[f] == "init" and direct[f]:
                held_at_init -= 1

    def database_full(now: float) -> bool:
        for g in init_functions:
            expire(g, now)
        return held_at_init + request_connections >= max_connections

    def finish(r: int, how: int, now: float) -> None:
        outcome[r] = how
        done_at[r] = now

    def retry_at(r: int, when: float, now: float) -> None:
        nonlocal retry_order
        caller = callers[function_of[r]]
        if isinstance(caller, Asynchronous) and when - times[r] > caller.maximum_event_age:
            finish(r, DROPPED, now)
            return
        heappush(retries, (when, retry_order, r))
        retry_order += 1

    def failed(r: int, now: float) -> None:
        """An execution of request ``r`` failed at ``now`` (function error or refused connection)."""
        caller = callers[function_of[r]]
        if isinstance(caller, Asynchronous) and executions[r] < caller.max_executions:
            retry_at(r, now + caller.error_delay(executions[r]), now)
        else:
            finish(r, ERROR, now)

    def throttled(r: int, now: float) -> None:
        throttles[r] += 1
        caller = callers[function_of[r]]
        if isinstance(caller, Synchronous):
            if attempts[r] < caller.max_attempts:
                assert jitter_draws is not None
                retry_at(r, now + caller.backoff(attempts[r] - 1, jitter_draws[r][attempts[r] - 1]), now)
            else:
                finish(r, THROTTLED, now)
        else:
            retry_at(r, now + caller.throttle_delay(throttles[r] - 1), now)

    def complete(a: int, now: float) -> None:
        nonlocal proxy_busy, request_connections, completion_order
        r = a_request[a]
        f = function_of[r]
        if a_prov[a]:
            provisioned_idle[f].append(a_env[a])
        else:
            idle[f].append((now, a_env[a]))
            admission.finish_on_demand(f)
        if proxied[f]:
            if proxy_waiting:
                w = proxy_waiting.popleft()
                a_start[w] = now
                end = now + (cold[a_request[w]] if a_cold[w] else warm[a_request[w]])
                a_finish[w] = end
                heappush(running, (end, completion_order, w))
                completion_order += 1
            else:
                proxy_busy -= 1
        elif direct[f] and mode[f] == "request":
            request_connections -= 1
        if a_error[a]:
            failed(r, now)
        else:
            outcome[r] = OK
            done_at[r] = now

    bar = Progress(n, progress, "requests")
    i = 0
    while True:
        t_first = times[i] if i < n else INF
        t_retry = retries[0][0] if retries else INF
        now = t_first if t_first <= t_retry else t_retry
        if running and running[0][0] <= now:
            scheduled = len(retries)
            while running and running[0][0] <= now:
                end, _, a = heappop(running)
                complete(a, end)
                if len(retries) != scheduled:
                    break  # a failed execution scheduled a retry, perhaps before ``now``: look again
            continue
        if now == INF:
            break
        if t_first <= t_retry:
            r = i
            i += 1
            if not i & 0xFFFF:
                bar.update(i)
        else:
            r = heappop(retries)[2]
        f = function_of[r]
        attempts[r] += 1

        # Admission: provisioned first, else the concurrency limits, the rate cap, then an environment.
        env = -1
        is_cold = is_provisioned = False
        capped = rate_capped[f]
        if provisioned_idle[f]:
            code = admission.rate(f, now) if capped else SERVED
            if code == SERVED:
                if capped:
                    admission.spend_rate(f)
                if direct[f] and mode[f] == "request" and database_full(now):
                    code = DATABASE_REFUSED
                else:
                    env = provisioned_idle[f].pop()
                    is_provisioned = True
        else:
            code = admission.concurrency(f, now) or (admission.rate(f, now) if capped else SERVED)
            if code == SERVED:
                queue = idle[f]
                ka = keep_alive[f]
                while queue and queue[0][0] + ka <= now:
                    expire(f, now)
                if queue:
                    if direct[f] and mode[f] == "request" and database_full(now):
                        if capped:
                            admission.spend_rate(f)
                        code = DATABASE_REFUSED
                    else:
                        env = (queue.pop() if newest[f] else queue.popleft())[1]
                        if capped:
                            admission.spend_rate(f)
                        admission.start_on_demand(f)
                else:
                    code = admission.new_environment(f, now)
                    if code == SERVED:
                        if capped:
                            admission.spend_rate(f)
                        if direct[f] and database_full(now):
                            code = DATABASE_REFUSED
                        else:
                            admission.spend_environment(f)
                            admission.start_on_demand(f)
                            env = len(env_function)
                            env_function.append(f)
                            env_provisioned.append(False)
                            is_cold = True
                            if mode[f] == "init" and direct[f]:
                                held_at_init += 1

        a = len(a_request)
        a_request.append(r)
        a_time.append(now)
        a_code.append(code)
        a_env.append(env)
        a_cold.append(is_cold)
        a_prov.append(is_provisioned)
        if code == SERVED:
            e = executions[r]
            executions[r] = e + 1
            a_error.append(error_draws is not None and error_draws[r][e] < error_rate[f])
            duration = cold[r] if is_cold else warm[r]
            if proxied[f] and proxy_busy >= pool_size:  # type: ignore[operator]
                proxy_waiting.append(a)
                a_start.append(NAN)
                a_finish.append(NAN)
                continue
            if proxied[f]:
                proxy_busy += 1
            elif direct[f] and mode[f] == "request":
                request_connections += 1
            end = now + duration
            a_start.append(now)
            a_finish.append(end)
            heappush(running, (end, completion_order, a))
            completion_order += 1
        else:
            a_start.append(NAN)
            a_finish.append(NAN)
            if code == DATABASE_REFUSED:
                a_error.append(True)
                executions[r] += 1
                failed(r, now)
            else:
                a_error.append(False)
                throttled(r, now)
    bar.close()

    return build_trace(
        {
            "request": a_request,
            "time": a_time,
            "code": a_code,
            "environment": a_env,
            "cold": a_cold,
            "provisioned": a_prov,
            "start": a_start,
            "finish": a_finish,
            "error": a_error,
            "outcome": outcome,
            "done_at": done_at,
            "env_function": env_function,
            "env_provisioned": env_provisioned,
        },
        engine="fast",
    )
