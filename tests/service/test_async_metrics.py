"""Asynchronous invocations publish AWS's AsyncEventsReceived, AsyncEventAge and AsyncEventsDropped metrics."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

import lambdalab
from lambdalab.service.async_invoke import invoker

SLEEPER = """
import time
def handler(event, context):
    time.sleep(event.get("seconds", 0))
    if event.get("fail"):
        raise RuntimeError("fails")
"""


def statistic(box, metric: str, function: str, stat: str) -> float | None:
    lambdalab.flush_logs()
    now = dt.datetime.now(dt.UTC)
    points = box.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName=metric,
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        StartTime=now - dt.timedelta(minutes=10),
        EndTime=now + dt.timedelta(minutes=1),
        Period=3600,
        Statistics=[stat],
    )["Datapoints"]
    if not points:
        return None
    values = [p[stat] for p in points]
    return max(values) if stat == "Maximum" else sum(values)


def test_when_events_are_queued_then_each_counts_in_async_events_received_and_age_is_in_milliseconds(lam, box):
    lambdalab.deploy("queued", code=SLEEPER)
    for _ in range(3):
        assert lam.invoke(FunctionName="queued", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    assert invoker(box.lambda_service).drain(30)
    assert statistic(box, "AsyncEventsReceived", "queued", "Sum") == 3
    assert statistic(box, "AsyncEventAge", "queued", "SampleCount") == 3
    assert statistic(box, "AsyncEventsDropped", "queued", "Sum") is None


def test_when_throttles_keep_events_waiting_then_async_event_age_grows_beyond_the_run_time_of_one(lam, box):
    lambdalab.deploy("narrow", code=SLEEPER, timeout=5)
    lam.put_function_concurrency(FunctionName="narrow", ReservedConcurrentExecutions=1)
    payload = json.dumps({"seconds": 0.5})
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: lam.invoke(FunctionName="narrow", InvocationType="Event", Payload=payload), range(4)))
    assert invoker(box.lambda_service).drain(60)
    # One slot, four half-second runs: the last event waited for at least the three runs before it.
    assert statistic(box, "AsyncEventAge", "narrow", "Maximum") >= 1400
    assert statistic(box, "Throttles", "narrow", "Sum") >= 1
    assert statistic(box, "AsyncEventAge", "narrow", "SampleCount") == 4


def test_when_an_event_runs_out_of_retries_then_it_counts_as_dropped(lam, box):
    box.async_invocations.set_retry_delays(0.05, 0.05)
    lambdalab.deploy("broken", code=SLEEPER)
    lam.put_function_event_invoke_config(FunctionName="broken", MaximumRetryAttempts=1)
    lam.invoke(FunctionName="broken", InvocationType="Event", Payload=b'{"fail": true}')
    assert invoker(box.lambda_service).drain(30)
    assert statistic(box, "AsyncEventsDropped", "broken", "Sum") == 1
    assert statistic(box, "AsyncEventAge", "broken", "SampleCount") == 2  # the first run and its one retry
