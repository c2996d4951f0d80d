"""The production alarms, the dashboard and the runbook, on a real function's metrics, through boto3."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import matplotlib
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import lambdalab
from lambdalab.observability import fetch_panels, production_alarms, put_production_alarms, runbook
from lambdalab.observability.dashboard import draw

matplotlib.use("Agg")

SLOW = """
import time

def handler(event, context):
    time.sleep(event.get("sleep", 0.3))
    if event.get("fail"):
        raise ValueError("order rejected")
    return "ok"
"""


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    lambdalab.sandbox().clock.reset()
    sandbox.reset()


@pytest.fixture(scope="module")
def incident(box):
    """A function with reserved concurrency 1 hit by four callers at once, then two failing calls."""
    name = f"orders-{uuid.uuid4().hex[:6]}"
    fn = lambdalab.deploy(name, code=SLOW, timeout=1)
    lam = box.client("lambda", config=Config(retries={"total_max_attempts": 1}))  # every 429 counted once
    cloudwatch = box.client("cloudwatch")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    # Frozen from before the alarms exist: no minute boundary may pass (and evaluate them) mid-incident.
    frozen_at = lambdalab.sandbox().clock.freeze()
    put_production_alarms(cloudwatch, name, timeout_s=1, concurrency_limit=1, error_rate_percent=5)
    box.alarms.evaluate()  # the quiet minute before the incident: every alarm OK (no data is not breaching)
    start = frozen_at.replace(second=0, microsecond=0)
    outcomes: list[str] = []

    def call() -> None:
        try:
            lam.invoke(FunctionName=name, Payload=b'{"sleep": 0.5}')
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for _ in range(2):
        lam.invoke(FunctionName=name, Payload=b'{"fail": true, "sleep": 0.01}')
    lambdalab.flush_logs()
    lambdalab.sandbox().clock.set(frozen_at + dt.timedelta(minutes=2))
    states = box.alarms.evaluate()
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    yield {"name": name, "states": states, "outcomes": outcomes, "start": start, "end": end}
    lambdalab.sandbox().clock.reset()
    fn.delete()


def test_the_alarms_use_aws_metric_names_dimensions_and_statistics():
    specs = {
        a.case: a.arguments
        for a in production_alarms(
            "api",
            timeout_s=10,
            concurrency_limit=100,
            alias="live",
            dead_letter_queue="api-dlq",
            queue="api-q",
            db_instance="orders-db",
            max_connections=100,
        )
    }
    assert specs["throttles"]["MetricName"] == "Throttles" and specs["throttles"]["Statistic"] == "Sum"
    assert specs["p99-duration"]["ExtendedStatistic"] == "p99"
    assert specs["p99-duration"]["Threshold"] == 8000  # 80 % of a 10 s timeout, in ms
    assert specs["concurrency"]["Statistic"] == "Maximum" and specs["concurrency"]["Threshold"] == 80
    assert specs["pc-spillover"]["Dimensions"][1] == {"Name": "Resource", "Value": "api:live"}
    assert specs["dlq-depth"]["Namespace"] == "AWS/SQS"
    assert specs["oldest-message"]["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert specs["db-connections"]["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": "orders-db"}]
    assert "Expression" in specs["error-rate"]["Metrics"][-1]


def test_when_callers_exceed_reserved_concurrency_then_the_throttles_alarm_fires(incident):
    assert "TooManyRequestsException" in incident["outcomes"]
    assert incident["states"][f"{incident['name']}-throttles"] == "ALARM"


def test_when_a_third_of_invocations_fail_then_the_error_rate_alarm_fires(incident):
    assert incident["states"][f"{incident['name']}-error-rate"] == "ALARM"


def test_when_nothing_was_dropped_then_the_async_alarm_stays_ok(incident):
    assert incident["states"][f"{incident['name']}-async-dropped"] == "OK"


def test_the_dashboard_reads_the_incident_back_from_get_metric_data(box, incident):
    panels = fetch_panels(
        box.client("cloudwatch"), incident["name"], incident["start"], incident["end"], timeout_s=1, concurrency_limit=1
    )
    counts = panels[0].lines
    served = sum(counts["invocations"][1])
    assert served + sum(counts["throttles"][1]) == 6
    assert sum(counts["errors"][1]) == 2
    assert max(panels[3].lines["maximum"][1]) == 1  # never above the reserved concurrency
    figure = draw(panels)
    assert len([ax for ax in figure.axes if ax.get_visible()]) == 4


def test_the_runbook_has_a_page_per_alarm_with_its_history_query_and_fix(box, incident, tmp_path):
    pages = runbook(
        box.client("cloudwatch"),
        box.client("logs"),
        incident["name"],
        incident["start"],
        incident["end"],
        out_dir=tmp_path,
    )
    by_case = {p.case: p.markdown for p in pages}
    assert {"throttles", "error-rate", "p99-duration", "concurrency", "async-dropped"} <= set(by_case)
    throttles = by_case["throttles"]
    assert "Alarm updated from INSUFFICIENT_DATA to OK" in throttles  # created in a quiet minute
    assert "Alarm updated from OK to ALARM" in throttles  # the next minute judged the incident
    assert 'filter @type = "REPORT"' in throttles and "## Fix" in throttles
    assert "| bin(1m) | invocations | slowest_ms |" in throttles  # the query ran over this run's REPORT lines
    assert (tmp_path / "throttles.md").read_text() == throttles
