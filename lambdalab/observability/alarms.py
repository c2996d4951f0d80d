"""CloudWatch metric alarms, evaluated: the sandbox's alarms change state and notify, as on AWS.

moto stores alarms and lets ``SetAlarmState`` change them, but never evaluates one. The evaluator reads
each metric alarm's data from the sandbox's CloudWatch, decides its state with
:mod:`lambdalab.observability.alarm_rules`, records the change (``describe_alarms``; moto does not answer
``describe_alarm_history``) and, when actions are enabled, publishes AWS's notification to the SNS topics
among the alarm's actions for that state (SNS delivers it to its SQS and Lambda subscribers), or invokes the
Lambda functions among them asynchronously with the alarm event, when the function's resource policy allows
``lambda.alarms.cloudwatch.amazonaws.com`` (as AWS requires).

CloudWatch evaluates alarms every minute; here a background thread evaluates at every minute boundary of
the sandbox clock (:mod:`lambdalab.service.sandbox_clock`), so when a lesson moves that clock forward by an hour,
sixty evaluations happen in order. :meth:`AlarmEvaluator.evaluate` catches up at once (a lesson that just
published data need not wait for the thread). A new alarm starts
in INSUFFICIENT_DATA (moto starts it in OK). At each minute it also publishes SQS's queue metrics
(:mod:`lambdalab.observability.queue_metrics`), which moto does not.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from collections.abc import Callable
from typing import Any

from lambdalab.aws_facts import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from lambdalab.observability import composite_alarms, metric_data, queue_metrics
from lambdalab.observability.alarm_messages import (
    REGION_NAMES,
    aware,
    iso,
    lambda_action_event,
    record_state_update,
    sns_message,
)
from lambdalab.observability.alarm_rules import (
    EXTRA_PERIODS,
    AlarmSettings,
    Sample,
    Verdict,
    evaluate,
    evaluate_points,
    series_datapoints,
)
from lambdalab.observability.metric_data import query_series
from lambdalab.observability.metric_math import MetricMathError
from lambdalab.service.moto_patching import original, replace
from lambdalab.service.sandbox_clock import SandboxClock

EVALUATION_INTERVAL_S = 60
ALARM_PRINCIPAL = "lambda.alarms.cloudwatch.amazonaws.com"
MAX_CATCH_UP_EVALUATIONS = 24 * 60


class AlarmEvaluator:
    """Evaluates every metric alarm of the sandbox on its clock; a sandbox plugin (start, reset, stop)."""

    def __init__(
        self,
        client_factory: Callable[[str], Any] | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region: str = DEFAULT_REGION,
    ) -> None:
        self._client_factory = client_factory
        self._lambda_service: Any = None
        self.account_id = account_id
        self.region = region
        self._lock = threading.Lock()
        self._composite_lock = threading.RLock()
        self._stop = threading.Event()
        self._last_boundary: float | None = None
        self._thread: threading.Thread | None = None
        self.clock = SandboxClock()  # the sandbox's clock once started

    # --- plugin life cycle ----------------------------------------------------------------------
    def start(self, box: Any) -> None:
        self._client_factory = _memoized(box.client)
        self._lambda_service = box.lambda_service
        self.clock = box.clock
        self.account_id = box.info.account_id
        self.region = box.region
        install()
        composite_alarms.install(self._after_child_change)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="lambdalab-alarms", daemon=True)
        self._thread.start()

    def reset(self) -> None:
        with self._lock:
            self._last_boundary = None

    def stop(self) -> None:
        self._stop.set()

    # --- evaluation -----------------------------------------------------------------------------
    def evaluate(self) -> dict[str, str]:
        """Catch up now: evaluate at each minute of the sandbox clock not evaluated yet, in order; the states.

        The minute the clock is in is evaluated again, so an alarm or data added within it counts at once.
        """
        with self._lock:
            self._catch_up_locked(again=True)
            backend = _backend(self.account_id, self.region)
            return {alarm.name: alarm.state_value for alarm in list(backend.alarms.values())}

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                with self._lock:
                    self._catch_up_locked(again=False)
            except Exception:  # noqa: BLE001 - one bad alarm must not stop evaluation of the others
                pass

    def _catch_up_locked(self, *, again: bool) -> None:
        boundary = math.floor(self.clock.now().timestamp() / EVALUATION_INTERVAL_S) * EVALUATION_INTERVAL_S
        if self._last_boundary is None or boundary < self._last_boundary:  # first look, or the clock set back
            self._last_boundary = boundary
            self._publish_queue_metrics(boundary)
            self._evaluate_all(dt.datetime.fromtimestamp(boundary, dt.UTC))
            return
        steps = int((boundary - self._last_boundary) // EVALUATION_INTERVAL_S)
        due = [self._last_boundary + k * EVALUATION_INTERVAL_S for k in range(1, steps + 1)]
        for instant in due[-MAX_CATCH_UP_EVALUATIONS:]:
            if instant == boundary:  # a queue's depth is known now, not for the minutes the clock jumped over
                self._publish_queue_metrics(instant)
            self._evaluate_all(dt.datetime.fromtimestamp(instant, dt.UTC))
        self._last_boundary = boundary
        if again and not due:
            self._publish_queue_metrics(boundary)
            self._evaluate_all(dt.datetime.fromtimestamp(boundary, dt.UTC))

    def _publish_queue_metrics(self, boundary: float) -> None:
        """SQS's one-minute gauges (AWS/SQS), which moto does not publish, for alarms and dashboards."""
        if self._client_factory is None:
            return
        try:
            queue_metrics.publish(
                self._client_factory, self.account_id, self.region, dt.datetime.fromtimestamp(boundary, dt.UTC)
            )
        except Exception:  # noqa: BLE001 - a queue deleted meanwhile must not stop alarm evaluation
            pass

    def _evaluate_all(self, at: dt.datetime) -> dict[str, str]:
        backend = _backend(self.account_id, self.region)
        if not backend.alarms:
            return {}
        samples_by_metric: dict[tuple[Any, ...], list[Sample]] = {}
        data = list(backend.metric_data)
        states: dict[str, str] = {}
        for alarm in list(backend.alarms.values()):
            if alarm.rule:
                continue  # composite alarms are evaluated once their children have been
            if alarm.metric_data_queries:
                verdict = self._evaluate_math(alarm, data, at)
                if verdict is not None and verdict.state != alarm.state_value:
                    self._change(alarm, verdict, at)
                states[alarm.name] = alarm.state_value
                continue
            if not alarm.metric_name:
                continue
            key = (alarm.namespace, alarm.metric_name, _dimension_key(alarm.dimensions), alarm.unit)
            if key not in samples_by_metric:
                samples_by_metric[key] = [_sample(d) for d in data if _matches(d, alarm)]
            verdict = evaluate(samples_by_metric[key], _settings(alarm), at, alarm.state_value)
            if verdict.state != alarm.state_value:
                self._change(alarm, verdict, at)
            states[alarm.name] = alarm.state_value
        with self._composite_lock:
            states.update(composite_alarms.evaluate_composites(backend, at, self._composite_changed))
        return states

    # --- composite alarms -------------------------------------------------------------------------
    def _after_child_change(self, backend: Any) -> None:
        """A child may have changed (SetAlarmState, a new composite alarm): evaluate the composites now."""
        with self._composite_lock:
            composite_alarms.evaluate_composites(backend, self.clock.now(), self._composite_changed)

    def _composite_changed(
        self, alarm: Any, old: str, new: str, reason: str, reason_data: dict[str, Any], at: dt.datetime
    ) -> None:
        previous_reason = alarm.history[-1][1] if alarm.history else ""
        composite_alarms.record_history(alarm, old, new, reason, reason_data, at)
        actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions, "INSUFFICIENT_DATA": []}[new]
        if not (alarm.actions_enabled and actions):
            return
        region = REGION_NAMES.get(self.region, self.region)
        message = composite_alarms.notification(alarm, old, new, reason, at, self.account_id, region)
        sns = self._client_factory("sns") if self._client_factory else None
        for arn in actions:
            if arn.startswith("arn:aws:sns:") and sns is not None:
                try:
                    sns.publish(
                        TopicArn=arn, Subject=f'{new}: "{alarm.name}" in {region}'[:100], Message=json.dumps(message)
                    )
                except Exception:  # noqa: BLE001 - a deleted topic loses the notification, as on AWS
                    pass
            elif arn.startswith("arn:aws:lambda:") and self._lambda_service is not None:
                event = composite_alarms.lambda_event(alarm, old, previous_reason, at, self.account_id, self.region)
                self._invoke(arn, event)

    def _evaluate_math(self, alarm: Any, data: list[Any], at: dt.datetime) -> Verdict | None:
        """An alarm on metric math: the expression's series (the query with ReturnData) per period."""
        queries = [_query_dict(q) for q in alarm.metric_data_queries]
        returned = [q for q in queries if q.get("ReturnData", True)] or queries[-1:]
        period = next((int(q["MetricStat"]["Period"]) for q in queries if q.get("MetricStat")), None)
        period = int(alarm.period or period or 60)
        settings = _settings(alarm, period=period, statistic="Sum")
        end = math.floor(at.timestamp() / period) * period
        start = end - (settings.evaluation_periods + EXTRA_PERIODS) * period
        try:
            series = query_series(data, queries, start, end)
        except MetricMathError:
            return None  # PutMetricAlarm accepted it; CloudWatch would keep it in INSUFFICIENT_DATA
        points = series_datapoints(series[returned[0]["Id"]], settings, at)
        return evaluate_points(points, settings, alarm.state_value)

    def _change(self, alarm: Any, verdict: Verdict, at: dt.datetime) -> None:
        old = alarm.state_value
        reason_data = {
            "version": "1.0",
            "queryDate": iso(at),
            "statistic": alarm.statistic or alarm.extended_statistic,
            "period": int(alarm.period or 0),
            "recentDatapoints": [p.value for p in verdict.datapoints],
            "threshold": float(alarm.threshold),
            "evaluatedDatapoints": [{"timestamp": iso(p.start), "value": p.value} for p in verdict.datapoints],
        }
        alarm.update_state(verdict.reason, json.dumps(reason_data), verdict.state)
        alarm.state_updated_timestamp = at
        record_history(alarm, old, verdict, reason_data, at)
        actions = {
            "ALARM": alarm.alarm_actions,
            "OK": alarm.ok_actions,
            "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
        }[verdict.state]
        if alarm.actions_enabled and actions:
            self._notify(alarm, old, verdict, at, actions)

    def _notify(self, alarm: Any, old: str, verdict: Verdict, at: dt.datetime, actions: list[str]) -> None:
        message = notification(alarm, old, verdict, at, self.account_id, self.region)
        subject = f'{verdict.state}: "{alarm.name}" in {REGION_NAMES.get(self.region, self.region)}'
        sns = self._client_factory("sns") if self._client_factory else None
        for arn in actions:
            if arn.startswith("arn:aws:sns:") and sns is not None:
                try:
                    sns.publish(TopicArn=arn, Subject=subject[:100], Message=json.dumps(message))
                except Exception:  # noqa: BLE001 - a deleted topic loses the notification, as on AWS
                    pass
            elif arn.startswith("arn:aws:lambda:") and self._lambda_service is not None:
                self._invoke(arn, lambda_event(alarm, old, verdict, at, self.account_id, self.region))

    def _invoke(self, arn: str, event: dict[str, Any]) -> None:
        """Asynchronous invoke, only if the function's policy lets CloudWatch alarms invoke it (as on AWS)."""
        from lambdalab.service.async_invoke import enqueue

        parts = arn.split(":")
        name, qualifier = parts[6], (parts[7] if len(parts) > 7 else None)
        try:
            wire = json.loads(self._lambda_service.backend.get_policy(name, qualifier) or "{}")
            policy = json.loads(wire["Policy"]) if isinstance(wire.get("Policy"), str) else wire
        except Exception:  # noqa: BLE001 - no such function (or no policy): CloudWatch does not invoke
            return
        allowed = any(
            statement.get("Effect") == "Allow" and ALARM_PRINCIPAL in json.dumps(statement.get("Principal", ""))
            for statement in policy.get("Statement", [])
        )
        if allowed:
            enqueue(self._lambda_service, name, json.dumps(event).encode(), qualifier)


def notification(
    alarm: Any, old: str, verdict: Verdict, at: dt.datetime, account_id: str, region: str
) -> dict[str, Any]:
    """The JSON CloudWatch publishes to an SNS topic when a metric alarm changes state."""
    return sns_message(
        alarm,
        old,
        verdict.state,
        verdict.reason,
        at,
        account_id,
        REGION_NAMES.get(region, region),
        {
            "Trigger": {
                "MetricName": alarm.metric_name,
                "Namespace": alarm.namespace,
                "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
                "Statistic": alarm.statistic.upper() if alarm.statistic else None,
                "ExtendedStatistic": alarm.extended_statistic,
                "Unit": alarm.unit,
                "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
                "Period": int(alarm.period or 0),
                "EvaluationPeriods": int(alarm.evaluation_periods),
                "DatapointsToAlarm": int(alarm.datapoints_to_alarm or alarm.evaluation_periods),
                "ComparisonOperator": alarm.comparison_operator,
                "Threshold": float(alarm.threshold),
                "TreatMissingData": alarm.treat_missing_data or "missing",
                "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
            },
        },
    )


def lambda_event(
    alarm: Any, old: str, verdict: Verdict, at: dt.datetime, account_id: str, region: str
) -> dict[str, Any]:
    """The event a Lambda alarm action receives (AlarmThatSendsEmail.html#Lambda-action-payload)."""
    return lambda_action_event(
        alarm,
        state={"value": verdict.state, "reason": verdict.reason, "reasonData": alarm.state_reason_data},
        previous_state={
            "value": old,
            "reason": alarm.history[-1][1] if alarm.history else "",
            "reasonData": alarm.history[-1][2] if alarm.history else "{}",
            "timestamp": iso(alarm.history[-1][4]) if alarm.history else iso(at),
        },
        configuration={
            "description": alarm.description,
            "metrics": [
                {
                    "id": f"{alarm.name}-metric",
                    "metricStat": {
                        "metric": {
                            "namespace": alarm.namespace,
                            "name": alarm.metric_name,
                            "dimensions": {d.name: d.value for d in alarm.dimensions},
                        },
                        "period": int(alarm.period or 0),
                        "stat": alarm.statistic or alarm.extended_statistic,
                        **({"unit": alarm.unit} if alarm.unit else {}),
                    },
                    "returnData": True,
                }
            ],
        },
        at=at,
        account_id=account_id,
        region=region,
    )


def record_history(alarm: Any, old: str, verdict: Verdict, reason_data: dict[str, Any], at: dt.datetime) -> None:
    """One ``StateUpdate`` item of the metric alarm's history, in DescribeAlarmHistory's shape."""
    record_state_update(alarm, "MetricAlarm", old, verdict.state, verdict.reason, reason_data, at)


def _describe_alarm_history(response: Any) -> Any:
    """DescribeAlarmHistory (moto has none): the state changes the evaluator made, newest first by default."""
    from moto.core.responses import ActionResult

    name = response._get_param("AlarmName")
    kind = response._get_param("HistoryItemType")
    start, end = response._get_param("StartDate"), response._get_param("EndDate")
    limit = int(response._get_param("MaxRecords") or 100)
    items = [
        item
        for alarm in list(response.cloudwatch_backend.alarms.values())
        if not name or alarm.name == name
        for item in alarm.__dict__.get("lambdalab_history", [])
        if (not kind or item["HistoryItemType"] == kind)
        and (start is None or item["Timestamp"] >= aware(start))
        and (end is None or item["Timestamp"] <= aware(end))
    ]
    # Changes at the same instant (a frozen sandbox clock) keep the order they happened in.
    order = sorted(range(len(items)), key=lambda i: (items[i]["Timestamp"], i))
    if response._get_param("ScanBy") != "TimestampAscending":
        order.reverse()
    return ActionResult({"AlarmHistoryItems": [items[i] for i in order][:limit]})


def install() -> None:
    """New alarms start in INSUFFICIENT_DATA, as on AWS; GetMetricData and DescribeAlarmHistory answered
    as CloudWatch answers them (idempotent)."""
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse

    if not hasattr(CloudWatchResponse, "describe_alarm_history"):
        CloudWatchResponse.describe_alarm_history = _describe_alarm_history

    replace(CloudWatchBackend, "put_metric_alarm", _put_metric_alarm)
    metric_data.install()


def _put_metric_alarm(backend: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    from moto.cloudwatch.models import CloudWatchBackend

    is_new = name not in backend.alarms
    alarm = original(CloudWatchBackend, "put_metric_alarm")(backend, name, *args, **kwargs)
    if is_new:
        alarm.state_value = "INSUFFICIENT_DATA"
    return alarm


def _memoized(factory: Callable[[str], Any]) -> Callable[[str], Any]:
    """One client per service for the evaluator's lifetime: every minute may notify SNS and publish queue
    metrics, and making a boto3 client each time costs more than the evaluation."""
    clients: dict[str, Any] = {}
    lock = threading.Lock()

    def client(service: str) -> Any:
        with lock:
            if service not in clients:
                clients[service] = factory(service)
            return clients[service]

    return client


def _backend(account_id: str, region: str) -> Any:
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[account_id][region]


def _settings(alarm: Any, period: int | None = None, statistic: str | None = None) -> AlarmSettings:
    periods = int(alarm.evaluation_periods)
    return AlarmSettings(
        period_s=int(period or alarm.period),
        evaluation_periods=periods,
        datapoints_to_alarm=int(alarm.datapoints_to_alarm or periods),
        threshold=float(alarm.threshold),
        comparison_operator=alarm.comparison_operator,
        statistic=statistic or alarm.extended_statistic or alarm.statistic,
        treat_missing_data=alarm.treat_missing_data or "missing",
    )


def _query_dict(query: Any) -> dict[str, Any]:
    """moto's stored MetricDataQuery as the wire shape GetMetricData takes."""
    result: dict[str, Any] = {"Id": query.id, "ReturnData": str(query.return_data).lower() != "false"}
    if query.expression:
        result["Expression"] = query.expression
    if query.period:
        result["Period"] = int(query.period)
    if query.metric_stat is not None:
        stat = query.metric_stat
        result["MetricStat"] = {
            "Metric": {
                "Namespace": stat.metric.namespace,
                "MetricName": stat.metric.metric_name,
                "Dimensions": [{"Name": d.name, "Value": d.value} for d in stat.metric.dimensions],
            },
            "Period": int(stat.period),
            "Stat": stat.stat,
            **({"Unit": stat.unit} if stat.unit else {}),
        }
    return result


def _dimension_key(dimensions: list[Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((d.name, d.value) for d in dimensions))


def _matches(datum: Any, alarm: Any) -> bool:
    return (
        datum.namespace == alarm.namespace
        and datum.name == alarm.metric_name
        and _dimension_key(datum.dimensions) == _dimension_key(alarm.dimensions)
        and (not alarm.unit or datum.unit == alarm.unit)
    )


def _sample(datum: Any) -> Sample:
    timestamp = datum.timestamp if datum.timestamp.tzinfo else datum.timestamp.replace(tzinfo=dt.UTC)
    if hasattr(datum, "value"):
        return Sample(timestamp, value=float(datum.value))
    return Sample(
        timestamp,
        sample_count=float(datum.sample_count),
        total=float(datum.sum),
        minimum=float(datum.min),
        maximum=float(datum.max),
    )
