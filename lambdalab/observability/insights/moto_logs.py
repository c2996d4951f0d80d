"""Logs Insights in moto's CloudWatch Logs: StartQuery, GetQueryResults, DescribeQueries and StopQuery.

moto's own StartQuery understands a few commands and no Lambda fields, DescribeQueries needs a log group,
and StopQuery is missing. These replace moto's response methods (the one place a request's parameters
are read) and keep each query on moto's backend, so a sandbox reset forgets them with the log groups.
A query runs on a background thread: it is ``Scheduled``, then ``Running``, then ``Complete`` (or
``Cancelled`` by StopQuery), as on AWS; GetQueryResults returns what AWS returns, with ``statistics``.
API: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html (checked
December 2026).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import JsonRESTError

from lambdalab.observability.insights.engine import MAX_RESULTS, run
from lambdalab.observability.insights.query import MalformedQuery, Query, parse_query
from lambdalab.observability.insights.records import discover
from lambdalab.observability.insights.validate import validate
from lambdalab.service.moto_patching import replace

_QUERIES = "_lambdalab_insights_queries"


class MalformedQueryException(JsonRESTError):
    """AWS's answer to a query it cannot compile: where (``queryCompileError.location``) and why."""

    code = 400

    def __init__(self, error: MalformedQuery) -> None:
        super().__init__("MalformedQueryException", error.message)
        self.description = json.dumps(
            {
                "__type": "MalformedQueryException",
                "message": error.message,
                "queryCompileError": {
                    "location": {"startCharOffset": error.start, "endCharOffset": error.end},
                    "message": error.message,
                },
            }
        )


def _invalid(message: str) -> JsonRESTError:
    error = JsonRESTError("InvalidParameterException", message)
    error.code = 400
    return error


def _not_found(message: str) -> JsonRESTError:
    error = JsonRESTError("ResourceNotFoundException", message)
    error.code = 400
    return error


@dataclass
class QueryRun:
    """One query and what became of it (mutable: its status moves on as it runs)."""

    query_id: str
    query_string: str
    log_group_names: list[str]
    create_time_ms: int
    status: str = "Scheduled"
    results: list[list[dict[str, str]]] = field(default_factory=list)
    records_matched: int = 0
    records_scanned: int = 0
    bytes_scanned: int = 0
    cancelled: threading.Event = field(default_factory=threading.Event)

    def describe(self) -> dict[str, Any]:
        return {
            "queryLanguage": "CWLI",
            "queryId": self.query_id,
            "queryString": self.query_string,
            "status": self.status,
            "createTime": self.create_time_ms,
            "logGroupName": self.log_group_names[0] if self.log_group_names else "",
        }


def install() -> None:
    """Replace moto's Insights request handlers (idempotent)."""
    from moto.logs.responses import LogsResponse

    replace(LogsResponse, "start_query", _start_query)
    replace(LogsResponse, "get_query_results", _get_query_results)
    replace(LogsResponse, "describe_queries", _describe_queries)
    replace(LogsResponse, "stop_query", _stop_query)


def _queries(backend: Any) -> dict[str, QueryRun]:
    queries = getattr(backend, _QUERIES, None)
    if queries is None:
        queries = {}
        setattr(backend, _QUERIES, queries)
    return queries


def _group_name(identifier: str) -> str:
    """A log group identifier may be its ARN (``arn:aws:logs:region:account:log-group:NAME[:*]``)."""
    if identifier.startswith("arn:"):
        name = identifier.split(":log-group:", 1)[-1]
        return name[:-2] if name.endswith(":*") else name
    return identifier


def _start_query(response: Any) -> str:
    backend = response.logs_backend
    name = response._get_param("logGroupName")
    names = response._get_param("logGroupNames")
    identifiers = response._get_param("logGroupIdentifiers")
    given = [p for p in (name, names, identifiers) if p]
    if len(given) != 1:
        raise _invalid("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.")
    groups = [name] if name else [_group_name(i) for i in (names or identifiers)]
    start, end = response._get_param("startTime"), response._get_param("endTime")
    if start is None or end is None:
        raise _invalid("startTime and endTime are required (seconds since 1970-01-01 00:00:00 UTC).")
    start, end = int(start), int(end)
    if end < start:
        raise _invalid(f"endTime ({end}) must not be before startTime ({start}).")
    limit = response._get_param("limit")
    if limit is not None and not 1 <= int(limit) <= MAX_RESULTS:
        raise _invalid(f"limit must be between 1 and {MAX_RESULTS}, not {limit}.")
    language = response._get_param("queryLanguage") or "CWLI"
    if language != "CWLI":
        raise _invalid(f"queryLanguage {language} is not answered by the sandbox: use CWLI (Logs Insights QL).")
    text = response._get_param("queryString") or ""
    try:
        query = parse_query(text)
        validate(query)
    except MalformedQuery as error:
        raise MalformedQueryException(error) from None
    for group in groups:
        if group not in backend.groups:
            raise _not_found(
                f"Log group '{group}' does not exist for account ID '{backend.account_id}' (resource: {group})."
            )
    run_ = QueryRun(str(uuid.uuid4()), text, groups, int(time.time() * 1000))
    _queries(backend)[run_.query_id] = run_
    snapshot = _snapshot(backend, groups, start * 1000, end * 1000 + 999)
    threading.Thread(
        target=_execute, args=(run_, query, snapshot, limit and int(limit)), name="lambdalab-insights", daemon=True
    ).start()
    return json.dumps({"queryId": run_.query_id})


def _snapshot(backend: Any, groups: list[str], start_ms: int, end_ms: int) -> list[tuple[Any, ...]]:
    """The events in range, copied now: later writes do not change a query already started (as on AWS)."""
    events = []
    for group in groups:
        log_group = backend.groups[group]
        for stream_name, stream in list(log_group.streams.items()):
            for event in list(stream.events):
                if start_ms <= event.timestamp <= end_ms:
                    events.append((event.message, event.timestamp, event.ingestion_time, stream_name, group))
    return [(*e, backend.account_id) for e in events]


def _execute(run_: QueryRun, query: Query, events: list[tuple[Any, ...]], limit: int | None) -> None:
    run_.status = "Running"
    try:
        records = [discover(*event) for event in events]
        if run_.cancelled.is_set():
            return
        outcome = run(query, records, limit)
        run_.results = outcome.rows
        run_.records_matched = outcome.records_matched
        run_.records_scanned = len(records)
        run_.bytes_scanned = sum(len(str(e[0]).encode()) for e in events)
        if not run_.cancelled.is_set():
            run_.status = "Complete"
    except Exception:  # noqa: BLE001 - a query that breaks fails alone, as on AWS; it never takes the server down
        run_.status = "Failed"


def _find(response: Any) -> QueryRun:
    query_id = response._get_param("queryId")
    found = _queries(response.logs_backend).get(query_id or "")
    if found is None:
        raise _not_found(f"Query {query_id} does not exist.")
    return found


def _get_query_results(response: Any) -> str:
    found = _find(response)
    return json.dumps(
        {
            "queryLanguage": "CWLI",
            "results": found.results if found.status == "Complete" else [],
            "statistics": {
                "recordsMatched": float(found.records_matched),
                "recordsScanned": float(found.records_scanned),
                "bytesScanned": float(found.bytes_scanned),
            },
            "status": found.status,
        }
    )


def _describe_queries(response: Any) -> str:
    group = response._get_param("logGroupName")
    status = response._get_param("status")
    most = int(response._get_param("maxResults") or 1000)
    queries = [
        q
        for q in _queries(response.logs_backend).values()
        if (not group or group in q.log_group_names) and (not status or q.status == status)
    ]
    queries.sort(key=lambda q: q.create_time_ms, reverse=True)
    return json.dumps({"queries": [q.describe() for q in queries[:most]]})


def _stop_query(response: Any) -> str:
    found = _find(response)
    if found.status in ("Scheduled", "Running"):
        found.cancelled.set()
        found.status = "Cancelled"
        return json.dumps({"success": True})
    return json.dumps({"success": False})
