"""How CloudWatch decides a metric alarm's state from data points: statistics, thresholds, missing data.

Pure functions, no AWS: given an alarm's settings, the data points of its metric and the instant of
evaluation, :func:`evaluate` returns the state and the reason CloudWatch would give. The rules follow
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html and
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html (checked
December 2026):

- the data is cut into periods of ``Period`` seconds; each period with data gives one datapoint, its
  ``Statistic`` (SampleCount, Average, Sum, Minimum, Maximum) or ``ExtendedStatistic`` (``p99``…);
- CloudWatch looks at an evaluation range a little longer than ``EvaluationPeriods`` (here
  ``EvaluationPeriods + 2`` periods, the shape of AWS's own examples). If it holds at least
  ``EvaluationPeriods`` real datapoints, the newest of them decide and the missing-data setting is not
  used: ALARM when at least ``DatapointsToAlarm`` of them breach, else OK;
- with fewer real datapoints, missing ones are filled as ``TreatMissingData`` says: ``breaching`` and
  ``notBreaching`` fill with bad or good points; ``ignore`` keeps the current state unless the real points
  already decide; ``missing`` (the default) judges on the real points alone and gives INSUFFICIENT_DATA
  when there are none. This reproduces every row of AWS's table for a 3-out-of-3 alarm.

Where the sandbox simplifies: percentiles use the nearest-rank method on the raw values (CloudWatch's exact
estimator is not published). Alarms on metric math (``Metrics``) are evaluated on the expression's series
(:func:`series_datapoints`), computed by :mod:`lambdalab.observability.metric_data`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

ALARM, OK, INSUFFICIENT_DATA = "ALARM", "OK", "INSUFFICIENT_DATA"
EXTRA_PERIODS = 2

_OPERATORS = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")


@dataclass(frozen=True)
class Sample:
    """One value put with PutMetricData (or one StatisticValues set, as count/sum/min/max)."""

    timestamp: dt.datetime
    value: float | None = None
    sample_count: float = 1.0
    total: float | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class AlarmSettings:
    period_s: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison_operator: str
    statistic: str  # "Average", … or "p99"
    treat_missing_data: str = "missing"


@dataclass(frozen=True)
class Datapoint:
    start: dt.datetime
    value: float
    breaching: bool


@dataclass(frozen=True)
class Verdict:
    state: str
    reason: str
    datapoints: tuple[Datapoint, ...]


def statistic(samples: list[Sample], name: str) -> float | None:
    """A period's statistic, as GetMetricStatistics computes it (None when it cannot be computed)."""
    count = sum(s.sample_count for s in samples)
    if not samples or count == 0:
        return None
    if name == "SampleCount":
        return count
    if name == "Sum":
        return sum(_total(s) for s in samples)
    if name == "Average":
        return sum(_total(s) for s in samples) / count
    if name == "Minimum":
        return min(s.minimum if s.value is None else s.value for s in samples)
    if name == "Maximum":
        return max(s.maximum if s.value is None else s.value for s in samples)
    if match := _PERCENTILE.match(name):
        values = sorted(s.value for s in samples if s.value is not None)
        if not values:
            return None
        rank = max(1, math.ceil(float(match.group(1)) / 100 * len(values)))
        return values[rank - 1]
    raise ValueError(f"unsupported statistic {name!r}")


def datapoints(samples: Iterable[Sample], settings: AlarmSettings, at: dt.datetime) -> list[Datapoint | None]:
    """The evaluation range's periods, newest first: a datapoint, or None where the period has no data."""
    period = settings.period_s
    end = math.floor(at.timestamp() / period) * period  # the newest complete period ends here
    count = settings.evaluation_periods + EXTRA_PERIODS
    start = end - count * period
    buckets: list[list[Sample]] = [[] for _ in range(count)]
    for sample in samples:
        t = sample.timestamp.timestamp()
        if start <= t < end:
            buckets[int((end - t - 1e-9) // period)].append(sample)
    compare = _OPERATORS[settings.comparison_operator][0]
    result: list[Datapoint | None] = []
    for index, bucket in enumerate(buckets):
        value = statistic(bucket, settings.statistic)
        if value is None:
            result.append(None)
        else:
            begins = dt.datetime.fromtimestamp(end - (index + 1) * period, dt.UTC)
            result.append(Datapoint(begins, value, compare(value, settings.threshold)))
    return result


def evaluate(samples: Iterable[Sample], settings: AlarmSettings, at: dt.datetime, current: str) -> Verdict:
    """The state CloudWatch would set at ``at`` for an alarm now in state ``current``."""
    return evaluate_points(datapoints(samples, settings, at), settings, current)


def series_datapoints(values: dict[float, float], settings: AlarmSettings, at: dt.datetime) -> list[Datapoint | None]:
    """The evaluation range's periods, newest first, from a series already computed per period (metric math)."""
    period = settings.period_s
    end = math.floor(at.timestamp() / period) * period
    compare = _OPERATORS[settings.comparison_operator][0]
    result: list[Datapoint | None] = []
    for index in range(settings.evaluation_periods + EXTRA_PERIODS):
        begins = end - (index + 1) * period
        value = values.get(float(begins))
        if value is None:
            result.append(None)
        else:
            result.append(
                Datapoint(dt.datetime.fromtimestamp(begins, dt.UTC), value, compare(value, settings.threshold))
            )
    return result


def evaluate_points(points: list[Datapoint | None], settings: AlarmSettings, current: str) -> Verdict:
    """The state for the evaluation range's datapoints (newest first, None where a period has no data)."""
    real = [p for p in points if p is not None]
    n, m = settings.evaluation_periods, settings.datapoints_to_alarm
    if len(real) >= n:
        used = real[:n]
        breaching = sum(p.breaching for p in used)
        return _verdict(ALARM if breaching >= m else OK, used, settings, current)
    breaching = sum(p.breaching for p in real)
    good = len(real) - breaching
    missing = n - len(real)
    treatment = settings.treat_missing_data or "missing"
    if treatment == "breaching":
        state = ALARM if breaching + missing >= m else OK
    elif treatment == "notBreaching":
        state = ALARM if breaching >= m else OK
    elif treatment == "ignore":
        state = ALARM if breaching >= m else OK if good > n - m else current
    elif not real:
        state = INSUFFICIENT_DATA
    else:
        state = ALARM if breaching >= min(m, len(real)) else OK
    return _verdict(state, real, settings, current)


def _verdict(state: str, used: list[Datapoint], settings: AlarmSettings, current: str) -> Verdict:
    if not used:
        reason = (
            f"Insufficient Data: {settings.evaluation_periods} datapoint"
            f"{'s were' if settings.evaluation_periods != 1 else ' was'} unknown."
        )
        return Verdict(state, reason, ())
    phrase = _OPERATORS[settings.comparison_operator][1]
    counted = [p for p in used if p.breaching] if state == ALARM else [p for p in used if not p.breaching] or used
    values = ", ".join(f"{p.value:g} ({p.start:%d/%m/%y %H:%M:%S})" for p in counted)
    verb = "was" if len(counted) == 1 else "were"
    negation = "" if state == ALARM else "not "
    reason = (
        f"Threshold Crossed: {len(counted)} out of the last {len(used)} datapoints [{values}] {verb} "
        f"{negation}{phrase} the threshold ({settings.threshold:g}) (minimum "
        f"{settings.datapoints_to_alarm} datapoint{'s' if settings.datapoints_to_alarm != 1 else ''} "
        f"for {current} -> {state} transition)."
    )
    return Verdict(state, reason, tuple(used))


def _total(sample: Sample) -> float:
    return sample.total if sample.value is None else sample.value * sample.sample_count
