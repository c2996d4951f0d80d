"""A runbook written from the learner's own runs: one markdown page per failure case.

Each page pairs an alarm of :mod:`lambdalab.observability.production_alarms` with what an on-call engineer
does when it fires: the CloudWatch Logs Insights query that finds the evidence in the function's logs, and
the fix (the four failure cases of lesson 07, plus the alarms around them). The page is filled from the
account itself, through boto3 only, so it works the same against AWS: the alarm's settings
(``DescribeAlarms``), its state changes (``DescribeAlarmHistory``) and the query's results over the incident
(``StartQuery`` / ``GetQueryResults``).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FailureCase:
    title: str
    why: str
    query: str
    fix: str


#: What each alarm means, the query that finds its evidence, and the fix; keyed by the alarm name's suffix.
CASES: dict[str, FailureCase] = {
    "throttles": FailureCase(
        "Throttling: callers get 429 TooManyRequestsException",
        "the function hit its reserved concurrency or the account's; Lambda refused invocations (they never "
        "reach the function's log, so the log shows how busy it was, not the refusals)",
        'filter @type = "REPORT" | stats count(*) as invocations, max(@duration) as slowest_ms by bin(1m)',
        "raise the limit (Service Quotas for the account, put_function_concurrency for the function) or lower "
        "the demand (reserved concurrency on noisy neighbours); synchronous callers retry with backoff and "
        "jitter; for an SQS trigger set the mapping's MaximumConcurrency below the reserved concurrency",
    ),
    "p99-duration": FailureCase(
        "Slow tail: p99 Duration near the timeout (cold starts, slow dependencies)",
        "a few requests take far longer than the median: cold starts (Init Duration) or a dependency",
        'filter @type = "REPORT" | stats count(*) as invocations, count(@initDuration) as cold_starts, '
        "pct(@duration, 50) as p50_ms, pct(@duration, 99) as p99_ms by bin(1m)",
        "create SDK clients and connections at module level (init), trim the package; provisioned concurrency "
        "on the alias for latency-critical paths (or SnapStart where the runtime supports it); raise memory "
        "(more CPU) when Duration itself is slow",
    ),
    "error-rate": FailureCase(
        "Errors: a share of invocations end in a function error",
        "an exception in the handler or the runtime (timeouts included)",
        'fields @timestamp, @requestId, level, message | filter level = "ERROR" or @message like /Task timed '
        "out|Traceback/ | sort @timestamp desc | limit 20",
        "read the newest error lines, fix the cause; make retries safe (idempotency) since callers and triggers retry",
    ),
    "concurrency": FailureCase(
        "Concurrency close to the limit",
        "busy environments approach the limit: the next burst throttles",
        'filter @type = "REPORT" | stats count(*) as invocations, avg(@duration) as mean_ms by bin(1m)',
        "concurrency = rate x duration: shorten the duration, or raise the limit before the throttles start",
    ),
    "async-dropped": FailureCase(
        "Asynchronous events dropped",
        "events failed every retry or outlived MaximumEventAgeInSeconds",
        "fields @timestamp, @requestId, @message | filter @message like /ERROR|Task timed out/ | sort @timestamp "
        "desc | limit 20",
        "configure an on-failure destination (or a DLQ) so nothing is lost silently, fix the error, redrive",
    ),
    "pc-spillover": FailureCase(
        "Provisioned concurrency spills over to on-demand",
        "more requests at once than provisioned environments: the extra ones start cold",
        'filter @type = "REPORT" and ispresent(@initDuration) | stats count(*) as cold_starts by bin(1m)',
        "raise provisioned concurrency to the peak (Application Auto Scaling targets ~70 % utilisation)",
    ),
    "dlq-depth": FailureCase(
        "Messages in the dead-letter queue",
        "messages failed maxReceiveCount times: each one is a piece of work never done",
        'fields @timestamp, message_id, @message | filter level = "ERROR" | sort @timestamp desc | limit 20',
        "read one message, fix the cause, then redrive (start_message_move_task) to the source queue",
    ),
    "oldest-message": FailureCase(
        "SQS: work piling up, or the same message processed twice",
        "consumers fall behind, or a message outlives its visibility timeout and is delivered again",
        "filter ispresent(message_id) | stats count(*) as deliveries by message_id | filter deliveries > 1 "
        "| sort deliveries desc | limit 20",
        "visibility timeout >= 6 x the function timeout (+ batching window), ReportBatchItemFailures, an "
        "idempotent handler (Powertools idempotency), and concurrency enough for the arrival rate",
    ),
    "db-connections": FailureCase(
        "Database connections exhausted",
        "every live environment holds its connections; a burst of environments exceeds max_connections",
        "filter @message like /too many clients|remaining connection slots|Timed-out waiting to acquire/ "
        "| stats count(*) as refused by bin(1m)",
        "put RDS Proxy between the functions and the database (it lends connections per transaction), cap "
        "the function's reserved concurrency at the connection budget, open connections at init, one each",
    ),
}


@dataclass(frozen=True)
class RunbookPage:
    case: str
    alarm_name: str
    markdown: str


def run_query(
    logs: Any, log_group: str, query: str, start: dt.datetime, end: dt.datetime, timeout_s: float = 20.0
) -> list[dict[str, str]]:
    """Run a Logs Insights query and wait for it: rows as ``{field: value}`` (without ``@ptr``)."""
    query_id = logs.start_query(
        logGroupName=log_group, startTime=int(start.timestamp()), endTime=int(end.timestamp()) + 1, queryString=query
    )["queryId"]
    deadline = time.monotonic() + timeout_s
    while True:
        answer = logs.get_query_results(queryId=query_id)
        if answer["status"] in ("Complete", "Failed", "Cancelled", "Timeout") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return [{f["field"]: f.get("value", "") for f in row if f["field"] != "@ptr"} for row in answer.get("results", [])]


def runbook(
    cloudwatch: Any,
    logs: Any,
    function_name: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    out_dir: str | Path | None = None,
    max_rows: int = 10,
) -> list[RunbookPage]:
    """One page per alarm of ``function_name`` (and its queues and database) named ``<owner>-<case>``.

    Alarms are found by their case suffix among ``DescribeAlarms``; a page holds the alarm's rule, its state
    changes within [start, end], the failure case's query run over that window on ``/aws/lambda/<function>``,
    and the fix. With ``out_dir``, each page is also written as ``<case>.md`` there.
    """
    alarms = cloudwatch.describe_alarms()["MetricAlarms"]
    pages = []
    for alarm in sorted(alarms, key=lambda a: a["AlarmName"]):
        case = next((c for c in CASES if alarm["AlarmName"].endswith(f"-{c}")), None)
        if case is None or not _belongs(alarm, function_name):
            continue
        history = cloudwatch.describe_alarm_history(
            AlarmName=alarm["AlarmName"],
            HistoryItemType="StateUpdate",
            StartDate=start,
            EndDate=end,
            ScanBy="TimestampAscending",
        )["AlarmHistoryItems"]
        try:
            rows = run_query(logs, f"/aws/lambda/{function_name}", CASES[case].query, start, end)
            query_error = None
        except Exception as exc:  # noqa: BLE001 - the page still tells the reader what to run
            rows, query_error = [], f"{type(exc).__name__}: {exc}"
        pages.append(
            RunbookPage(
                case, alarm["AlarmName"], _page(CASES[case], alarm, history, rows, query_error, function_name, max_rows)
            )
        )
    if out_dir is not None:
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for page in pages:
            (folder / f"{page.case}.md").write_text(page.markdown)
    return pages


def _belongs(alarm: dict[str, Any], function_name: str) -> bool:
    """The function's own alarms, and those on the queues or database it was given with it."""
    if alarm["AlarmName"].startswith(f"{function_name}-"):
        return True
    return alarm.get("Namespace") in ("AWS/SQS", "AWS/RDS")


def _rule(alarm: dict[str, Any]) -> str:
    if alarm.get("Metrics"):
        expression = next((m["Expression"] for m in alarm["Metrics"] if m.get("Expression")), "")
        what = f"metric math `{expression}`"
    else:
        stat = alarm.get("ExtendedStatistic") or alarm.get("Statistic")
        dims = ", ".join(f"{d['Name']}={d['Value']}" for d in alarm.get("Dimensions", []))
        what = f"`{alarm['Namespace']}` {alarm['MetricName']} ({stat}, {dims})"
    return (
        f"{what} {_OPS.get(alarm['ComparisonOperator'], alarm['ComparisonOperator'])} {alarm['Threshold']:g} "
        f"for {alarm.get('DatapointsToAlarm') or alarm['EvaluationPeriods']} of {alarm['EvaluationPeriods']} "
        "one-minute periods"
    )


_OPS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def _page(
    case: FailureCase,
    alarm: dict[str, Any],
    history: list[dict[str, Any]],
    rows: list[dict[str, str]],
    query_error: str | None,
    function_name: str,
    max_rows: int,
) -> str:
    lines = [
        f"# {case.title}",
        "",
        f"**Alarm** `{alarm['AlarmName']}`: {_rule(alarm)}.",
        "",
        f"**Why it fires**: {case.why}.",
        "",
        f"**State now**: {alarm['StateValue']}.",
        "",
        "## What happened in this run",
        "",
    ]
    if history:
        for item in history:
            reason = json.loads(item["HistoryData"])["newState"]["stateReason"]
            lines.append(f"- {item['Timestamp']:%H:%M:%S} {item['HistorySummary']}: {reason}")
    else:
        lines.append("- no state change in this window")
    lines += [
        "",
        f"## Find it in the logs (Logs Insights on `/aws/lambda/{function_name}`)",
        "",
        "```",
        case.query,
        "```",
        "",
    ]
    if query_error:
        lines.append(f"The query could not run here ({query_error}).")
    elif rows:
        fields = list(dict.fromkeys(f for row in rows for f in row))
        lines += ["| " + " | ".join(fields) + " |", "|" + "---|" * len(fields)]
        lines += ["| " + " | ".join(row.get(f, "") for f in fields) + " |" for row in rows[:max_rows]]
        if len(rows) > max_rows:
            lines.append(f"\n({len(rows) - max_rows} more rows)")
    else:
        lines.append("No matching log lines in this window.")
    lines += ["", "## Fix", "", case.fix[0].upper() + case.fix[1:] + ".", ""]
    return "\n".join(lines)
