"""From an account engine's trace to what a lesson or an engineer reads: per function and for the account.

Counts are exact; time averages integrate busy intervals and environment lifetimes over [0, horizon]
(the runs themselves continue past the horizon until every retry and execution has ended, so peaks and
conservation cover the whole run). The trace stays attached, for plots and questions nobody thought of.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lambdalab.sim.account import Account, AccountWorkload
from lambdalab.sim.attempts import OUTCOMES, AccountTrace
from lambdalab.sim.limits import CAUSES, DATABASE_REFUSED, REASONS, SERVED, THROTTLE_CODES
from lambdalab.sim.results import SERIES_BINS, _Intervals


def billed(seconds: np.ndarray) -> np.ndarray:
    """Billed duration of each execution: rounded up to the millisecond (since Dec 2020)."""
    return np.ceil(np.round(np.asarray(seconds, dtype=float) * 1000, 6)) / 1000


@dataclass(frozen=True)
class FunctionResult:
    """One function's run. Attempts = executions + throttles + database refusals; requests end in exactly
    one of ``outcomes`` (succeeded, failed, throttled, dropped). Latencies are end to end for succeeded
    requests (first attempt to the end of the successful execution: backoffs and proxy waits included)."""

    name: str
    requests: int
    attempts: int
    executions: int
    cold_starts: int
    throttles: int
    throttle_reasons: dict[str, int]
    throttle_causes: dict[str, int]
    database_refusals: int
    errors: int
    outcomes: dict[str, int]
    cold_start_fraction: float
    mean_busy: float
    peak_busy: int
    mean_live: float
    peak_live: int
    provisioned: int
    provisioned_executions: int
    provisioned_utilisation: float
    spillover: int
    latency_p50: float
    latency_p95: float
    latency_p99: float
    billed_seconds_on_demand: float
    billed_init_seconds: float
    billed_seconds_provisioned: float
    proxy_waits: int
    proxy_wait_p99: float

    @property
    def throttled_fraction(self) -> float:
        """Fraction of attempts refused with a 429."""
        return self.throttles / self.attempts if self.attempts else float("nan")

    @property
    def succeeded_fraction(self) -> float:
        return self.outcomes["succeeded"] / self.requests if self.requests else float("nan")


@dataclass(frozen=True)
class AccountSeries:
    """Per-bin means (busy, live, connections) and counts (throttles) over [0, horizon], one row per
    function where it applies: for plots."""

    start: np.ndarray
    width: float
    busy: np.ndarray
    live: np.ndarray
    throttles: np.ndarray
    connections: np.ndarray


@dataclass(frozen=True)
class AccountResult:
    """The outcome of one run of an account."""

    account: Account
    seed: int
    engine: str
    functions: dict[str, FunctionResult]
    requests: int
    attempts: int
    executions: int
    throttles: int
    database_refusals: int
    outcomes: dict[str, int]
    peak_concurrency: int
    mean_concurrency: float
    peak_connections: int
    mean_connections: float
    series: AccountSeries
    trace: AccountTrace

    def __getitem__(self, name: str) -> FunctionResult:
        return self.functions[name]


def _stats(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, float, int]:
    intervals = _Intervals.of(starts, ends)
    integral = intervals.integral_until(edges)
    width = edges[1] - edges[0]
    horizon = edges[-1]
    return np.diff(integral) / width, float(integral[-1] / horizon), intervals.peak()


def _percentiles(values: np.ndarray) -> tuple[float, float, float]:
    if len(values) == 0:
        return (float("nan"),) * 3
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return float(p50), float(p95), float(p99)


def summarize_account(
    account: Account, workload: AccountWorkload, trace: AccountTrace, seed: int = 0
) -> AccountResult:
    """Turn a trace into a result; shared by both engines so they can only differ in their decisions."""
    horizon = account.horizon
    edges = np.linspace(0.0, horizon, SERIES_BINS + 1)
    width = horizon / SERIES_BINS
    fn_of_request = workload.function
    fn_of_attempt = fn_of_request[trace.request]
    served = trace.code == SERVED
    refused = trace.code == DATABASE_REFUSED
    throttled = ~served & ~refused

    # Environments: created by their cold attempt (provisioned ones at 0, never reclaimed); they expire
    # keep_alive after the last execution they finished.
    n_env = len(trace.env_function)
    keep_alive = np.array([f.keep_alive for f in account.functions])
    created = np.zeros(n_env)
    cold_attempts = served & trace.cold
    created[trace.environment[cold_attempts]] = trace.time[cold_attempts]
    last_finish = np.full(n_env, -np.inf)
    np.maximum.at(last_finish, trace.environment[served], trace.finish[served])
    expires = np.where(trace.env_provisioned, np.inf, last_finish + keep_alive[trace.env_function])

    uses = [f.database for f in account.functions]
    proxy = account.database is not None and account.database.proxy is not None
    conn_starts, conn_ends = [], []

    results: dict[str, FunctionResult] = {}
    busy_rows, live_rows, throttle_rows = [], [], []
    for f, spec in enumerate(account.functions):
        mine = fn_of_attempt == f
        ex = mine & served
        ex_on_demand = ex & ~trace.provisioned
        ex_provisioned = ex & trace.provisioned
        requests = int(np.sum(fn_of_request == f))
        busy_series, mean_busy, peak_busy = _stats(trace.time[ex], trace.finish[ex], edges)
        envs = trace.env_function == f
        live_series, mean_live, peak_live = _stats(created[envs], expires[envs], edges)
        throttle_times = trace.time[mine & throttled]
        busy_rows.append(busy_series)
        live_rows.append(live_series)
        throttle_rows.append(np.histogram(throttle_times, bins=edges)[0])

        if uses[f] is not None:
            if proxy or uses[f] == "request":
                conn_starts.append(trace.start[ex])
                conn_ends.append(trace.finish[ex])
            else:
                conn_starts.append(created[envs])
                conn_ends.append(expires[envs])

        codes = trace.code[mine & throttled]
        reasons: dict[str, int] = {}
        causes: dict[str, int] = {}
        for code in THROTTLE_CODES:
            count = int(np.sum(codes == code))
            if count:
                reasons[REASONS[code]] = reasons.get(REASONS[code], 0) + count
                causes[CAUSES[code]] = count

        request_ids = np.flatnonzero(fn_of_request == f)
        outcome = trace.outcome[request_ids]
        outcomes = {label: int(np.sum(outcome == code)) for code, label in OUTCOMES.items()}
        succeeded = request_ids[outcome == 0]
        latency = trace.done_at[succeeded] - workload.arrival_times[succeeded]
        p50, p95, p99 = _percentiles(latency)

        requests_of_attempts = trace.request[ex_on_demand]
        init = np.where(
            trace.cold[ex_on_demand], workload.cold[requests_of_attempts] - workload.warm[requests_of_attempts], 0.0
        )
        on_demand_seconds = trace.finish[ex_on_demand] - trace.time[ex_on_demand]
        waits = (trace.start - trace.time)[ex]
        executions = int(ex.sum())
        cold_starts = int((ex & trace.cold).sum())
        provisioned_busy = float(
            _Intervals.of(trace.time[ex_provisioned], trace.finish[ex_provisioned]).integral_until(
                np.array([horizon])
            )[0]
        )
        results[spec.name] = FunctionResult(
            name=spec.name,
            requests=requests,
            attempts=int(mine.sum()),
            executions=executions,
            cold_starts=cold_starts,
            throttles=int((mine & throttled).sum()),
            throttle_reasons=reasons,
            throttle_causes=causes,
            database_refusals=int((mine & refused).sum()),
            errors=int((mine & trace.error).sum()),
            outcomes=outcomes,
            cold_start_fraction=cold_starts / executions if executions else float("nan"),
            mean_busy=mean_busy,
            peak_busy=peak_busy,
            mean_live=mean_live,
            peak_live=peak_live,
            provisioned=spec.provisioned_concurrency,
            provisioned_executions=int(ex_provisioned.sum()),
            provisioned_utilisation=(
                provisioned_busy / (spec.provisioned_concurrency * horizon) if spec.provisioned_concurrency else 0.0
            ),
            spillover=int(ex_on_demand.sum()) if spec.provisioned_concurrency else 0,
            latency_p50=p50,
            latency_p95=p95,
            latency_p99=p99,
            billed_seconds_on_demand=float(billed(on_demand_seconds).sum()),
            billed_init_seconds=float(
                billed(on_demand_seconds).sum() - billed(on_demand_seconds - init).sum()
            ),
            billed_seconds_provisioned=float(
                billed(trace.finish[ex_provisioned] - trace.time[ex_provisioned]).sum()
            ),
            proxy_waits=int(np.sum(waits > 0)),
            proxy_wait_p99=_percentiles(waits)[2] if proxy and uses[f] is not None else 0.0,
        )

    _, mean_concurrency, peak_concurrency = _stats(trace.time[served], trace.finish[served], edges)
    if conn_starts:
        connections, mean_connections, peak_connections = _stats(
            np.concatenate(conn_starts), np.concatenate(conn_ends), edges
        )
    else:
        connections, mean_connections, peak_connections = np.zeros(SERIES_BINS), 0.0, 0
    outcome_totals = {label: sum(r.outcomes[label] for r in results.values()) for label in OUTCOMES.values()}
    return AccountResult(
        account=account,
        seed=seed,
        engine=trace.engine,
        functions=results,
        requests=workload.requests,
        attempts=trace.attempts,
        executions=int(served.sum()),
        throttles=int(throttled.sum()),
        database_refusals=int(refused.sum()),
        outcomes=outcome_totals,
        peak_concurrency=peak_concurrency,
        mean_concurrency=mean_concurrency,
        peak_connections=peak_connections,
        mean_connections=mean_connections,
        series=AccountSeries(
            start=edges[:-1],
            width=width,
            busy=np.array(busy_rows),
            live=np.array(live_rows),
            throttles=np.array(throttle_rows),
            connections=connections,
        ),
        trace=trace,
    )
