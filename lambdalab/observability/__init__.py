"""What CloudWatch does beyond storing data, and the production monitoring lesson 08 builds on it.

The sandbox starts :class:`~lambdalab.observability.alarms.AlarmEvaluator` with it; ``box.alarms.evaluate()``
evaluates every alarm at once (a lesson that just published metrics need not wait for the next minute).
:func:`put_production_alarms` creates the alarms that matter with ``put_metric_alarm``, :func:`dashboard`
draws a function's dashboard from ``GetMetricData`` and :func:`runbook` writes one page per failure case
from alarm history and Logs Insights -- all through boto3, so they work against AWS unchanged.
"""

from __future__ import annotations

from lambdalab.observability.alarms import AlarmEvaluator
from lambdalab.observability.dashboard import dashboard, fetch_panels
from lambdalab.observability.production_alarms import AlarmSpec, production_alarms, put_production_alarms
from lambdalab.observability.runbook import CASES, RunbookPage, run_query, runbook

__all__ = [
    "CASES",
    "AlarmEvaluator",
    "AlarmSpec",
    "RunbookPage",
    "dashboard",
    "fetch_panels",
    "production_alarms",
    "put_production_alarms",
    "run_query",
    "runbook",
]
