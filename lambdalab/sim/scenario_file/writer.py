"""A simulated account written out: ``result.json``, ``functions.csv``, ``timeseries.csv``, per-queue files, plots.

Plain data only (NaN becomes null, numpy scalars plain numbers), so the files read anywhere.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np

from lambdalab.sim.account_results import AccountResult
from lambdalab.sim.cost import AccountCost
from lambdalab.sim.sqs_mapping import SqsResult

MONTHLY_COST_BASIS = (
    "the run's traffic repeated for a 730-hour month, us-east-1 prices, free tier applied "
    "to the account total (per-function costs are before the free tier)"
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, np.floating | np.integer):
        return _jsonable(value.item())
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def summary(result: AccountResult, cost: AccountCost) -> dict[str, Any]:
    """Everything a reader of ``result.json`` needs, as plain data."""
    functions = {}
    for name, fr in result.functions.items():
        row = {f.name: getattr(fr, f.name) for f in fields(fr)}
        row["throttled_fraction"] = fr.throttled_fraction
        row["monthly_cost"] = asdict(cost.functions[name]) | {"total": cost.functions[name].total}
        functions[name] = row
    return _jsonable(
        {
            "seed": result.seed,
            "engine": result.engine,
            "horizon": result.account.horizon,
            "requests": result.requests,
            "attempts": result.attempts,
            "executions": result.executions,
            "throttles": result.throttles,
            "database_refusals": result.database_refusals,
            "outcomes": result.outcomes,
            "peak_concurrency": result.peak_concurrency,
            "mean_concurrency": result.mean_concurrency,
            "peak_connections": result.peak_connections,
            "mean_connections": result.mean_connections,
            "monthly_cost": asdict(cost.total) | {"total": cost.total.total},
            "monthly_cost_basis": MONTHLY_COST_BASIS,
            "functions": functions,
        }
    )


def sqs_summary(result: SqsResult) -> dict[str, Any]:
    return _jsonable(
        {
            "sent": result.sent,
            "deleted": result.deleted,
            "in_dlq": result.in_dlq,
            "visible": result.visible,
            "in_flight": result.in_flight,
            "batches": result.batches,
            "throttled_batches": result.throttled_batches,
            "failed_processings": result.failed_processings,
            "peak_batches": result.peak_batches,
            "peak_visible": result.peak_visible,
            "delivered_twice_fraction": result.delivered_twice_fraction,
            "duplicate_fraction": result.duplicate_fraction,
            "mean_age_at_delete": result.mean_age_at_delete,
        }
    )


def write_outputs(
    out: Path,
    result: AccountResult,
    cost: AccountCost,
    queues: list[tuple[str, SqsResult]],
    inputs: Mapping[str, Any],
    plots: bool = True,
) -> list[Path]:
    """Write the JSON, CSV and PNG files; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    document = summary(result, cost)
    document["queues"] = {name: sqs_summary(q) for name, q in queues}
    document["inputs"] = _jsonable(inputs)
    path = out / "result.json"
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    written.append(path)

    path = out / "functions.csv"
    columns = [
        "name",
        "requests",
        "attempts",
        "executions",
        "cold_starts",
        "throttles",
        "database_refusals",
        "errors",
        "cold_start_fraction",
        "mean_busy",
        "peak_busy",
        "mean_live",
        "peak_live",
        "provisioned_utilisation",
        "latency_p50",
        "latency_p95",
        "latency_p99",
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*columns, "succeeded", "failed", "throttled", "dropped", "monthly_cost"])
        for name, fr in result.functions.items():
            writer.writerow(
                [getattr(fr, c) for c in columns] + list(fr.outcomes.values()) + [round(cost.functions[name].total, 4)]
            )
    written.append(path)

    path = out / "timeseries.csv"
    names = list(result.functions)
    series = result.series
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["time", *[f"busy_{n}" for n in names], *[f"throttles_{n}" for n in names], "connections"])
        for k, t in enumerate(series.start):
            writer.writerow(
                [
                    round(float(t), 6),
                    *[round(float(series.busy[i][k]), 6) for i in range(len(names))],
                    *[int(series.throttles[i][k]) for i in range(len(names))],
                    round(float(series.connections[k]), 6),
                ]
            )
    written.append(path)

    for name, q in queues:
        path = out / f"sqs-{name}.json"
        path.write_text(json.dumps(sqs_summary(q), indent=2) + "\n", encoding="utf-8")
        written.append(path)
        path = out / f"sqs-{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["time", "visible", "in_flight", "in_dlq", "deleted", "batches"])
            s = q.series
            for row in zip(s.times, s.visible, s.in_flight, s.in_dlq, s.deleted, s.batches, strict=True):
                writer.writerow([round(float(row[0]), 6), *[int(v) for v in row[1:]]])
        written.append(path)

    if plots:
        from lambdalab.sim.plots import plot_concurrency, plot_latency_percentiles, plot_sqs

        figures = {
            "concurrency.png": plot_concurrency(result, title=str(inputs.get("run", {}).get("name", "scenario"))),
            "latency.png": plot_latency_percentiles(dict(result.functions)),
            **{f"sqs-{name}.png": plot_sqs(q, title=f"SQS queue {name}") for name, q in queues},
        }
        for filename, fig in figures.items():
            path = out / filename
            fig.savefig(path, dpi=100)
            written.append(path)
    return written
