"""Figures the lessons share: concurrency against its limits, cold starts, latency, cost, SQS queues.

Each function returns a ``matplotlib.figure.Figure`` built without pyplot (no global state, nothing shown
twice in a notebook; a notebook displays a returned Figure as its last expression), so lessons, the
scenario runner and tests use the same drawings. matplotlib is imported inside the functions, which keeps
``import lambdalab.sim`` fast for code that never draws.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lambdalab.sim.account_results import AccountResult
    from lambdalab.sim.sqs_mapping import SqsResult

#: One colour per function, in account order, everywhere.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
LIMIT_STYLE = dict(color="#d62728", ls="--", lw=1.2)
THROTTLE_COLOR = "#d62728"


def _figure(width: float = 8.0, height: float = 4.2) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _time_axis(horizon: float) -> tuple[float, str]:
    """Seconds, minutes or hours, whichever reads best for a run of ``horizon`` seconds."""
    if horizon <= 600:
        return 1.0, "time (s)"
    if horizon <= 6 * 3600:
        return 60.0, "time (min)"
    return 3600.0, "time (h)"


def plot_concurrency(
    result: AccountResult,
    *,
    functions: Sequence[str] | None = None,
    show_limits: bool = True,
    show_throttles: bool = True,
    title: str | None = None,
) -> Figure:
    """Busy executions over time, stacked by function, with the limits drawn and throttles marked.

    Dashed lines: the account's concurrency limit and each shown function's reserved concurrency; dotted:
    provisioned concurrency. Throttled attempts per second (all reasons) are drawn in red on a second axis.
    """
    account = result.account
    names = [f.name for f in account.functions] if functions is None else list(functions)
    index = {f.name: i for i, f in enumerate(account.functions)}
    series = result.series
    scale, xlabel = _time_axis(account.horizon)
    t = series.start / scale
    fig, ax = _figure()
    rows = np.array([series.busy[index[n]] for n in names])
    colors = [PALETTE[index[n] % len(PALETTE)] for n in names]
    ax.stackplot(np.append(t, (series.start[-1] + series.width) / scale),
                 np.concatenate([rows, rows[:, -1:]], axis=1), step="post",
                 labels=[f"{n} (busy)" for n in names], colors=colors, alpha=0.75)
    if show_limits:
        if account.concurrency_limit is not None:
            ax.axhline(account.concurrency_limit, label=f"account limit {account.concurrency_limit:,}", **LIMIT_STYLE)
        for n in names:
            spec = account.functions[index[n]]
            color = PALETTE[index[n] % len(PALETTE)]
            if spec.reserved_concurrency is not None:
                ax.axhline(spec.reserved_concurrency, color=color, ls="--", lw=1.2,
                           label=f"{n} reserved {spec.reserved_concurrency:,}")
            if spec.provisioned_concurrency:
                ax.axhline(spec.provisioned_concurrency, color=color, ls=":", lw=1.5,
                           label=f"{n} provisioned {spec.provisioned_concurrency:,}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("concurrent executions (bin mean)")
    ax.set_xlim(0, account.horizon / scale)
    ax.set_ylim(bottom=0)
    handles, labels = ax.get_legend_handles_labels()
    if show_throttles:
        throttles = np.array([series.throttles[index[n]] for n in names]).sum(axis=0) / series.width
        if throttles.any():
            twin = ax.twinx()
            twin.plot(t, throttles, color=THROTTLE_COLOR, lw=1.0, drawstyle="steps-post")
            twin.set_ylabel("throttles per second (429)", color=THROTTLE_COLOR)
            twin.tick_params(axis="y", colors=THROTTLE_COLOR)
            twin.set_ylim(bottom=0)
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], color=THROTTLE_COLOR, lw=1.0))
            labels.append("throttles / s")
    ax.legend(handles, labels, loc="upper left", fontsize="small")
    ax.set_title(title or "Concurrency against its limits")
    return fig


def plot_available_concurrency(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    demand: float | None = None,
    account_limit: float | None = None,
    title: str = "Concurrency available after a sudden jump in demand",
) -> Figure:
    """Available environments over time for each scaling model (``{label: (times, available)}``, as
    returned by ``scaling.scale_out``), with the demand and the account limit drawn."""
    fig, ax = _figure()
    for i, (label, (times, available)) in enumerate(curves.items()):
        ax.step(times, available, where="post", lw=2, color=PALETTE[i % len(PALETTE)], label=label)
    if demand is not None:
        ax.axhline(demand, color="black", lw=1, ls=":", label=f"demand {demand:,.0f}")
    if account_limit is not None:
        ax.axhline(account_limit, label=f"account limit {account_limit:,.0f}", **LIMIT_STYLE)
    ax.set_xlabel("seconds after the jump")
    ax.set_ylabel("environments available")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title(title)
    return fig


def plot_cold_start_fraction(
    x: Sequence[float] | np.ndarray,
    fractions: Mapping[str, Sequence[float] | np.ndarray],
    *,
    xlabel: str = "arrival rate (requests per second)",
    logx: bool = True,
    logy: bool = True,
    title: str = "Fraction of requests that start cold",
) -> Figure:
    """Cold-start fraction curves, one per label, against ``x`` (a rate, a keep-alive, a provisioned count)."""
    fig, ax = _figure(7.0, 4.2)
    x = np.asarray(x, dtype=float)
    for i, (label, y) in enumerate(fractions.items()):
        ax.plot(x, y, marker="o", ms=3, color=PALETTE[i % len(PALETTE)], label=label)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cold-start fraction")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(title)
    return fig


def _percentiles_of(result: Any) -> tuple[float, float, float]:
    return result.latency_p50, result.latency_p95, result.latency_p99


def plot_latency_percentiles(
    results: Mapping[str, Any],
    *,
    unit: str = "ms",
    title: str = "Latency percentiles",
) -> Figure:
    """p50, p95 and p99 side by side for each labelled result (anything with ``latency_p50/95/99`` in
    seconds: a ``SimulationResult`` or one function of an ``AccountResult``)."""
    factor = {"ms": 1000.0, "s": 1.0}[unit]
    fig, ax = _figure(max(5.0, 1.6 * len(results) + 2), 4.0)
    labels = list(results)
    width = 0.26
    positions = np.arange(len(labels))
    for k, (name, shade) in enumerate((("p50", 0.45), ("p95", 0.7), ("p99", 0.95))):
        values = [_percentiles_of(results[label])[k] * factor for label in labels]
        bars = ax.bar(positions + (k - 1) * width, values, width, label=name, color=(0.12, 0.47, 0.71, shade))
        ax.bar_label(bars, fmt="%.0f", fontsize="x-small", padding=1)
    ax.set_xticks(positions, labels)
    ax.set_ylabel(f"latency ({unit})")
    ax.legend()
    ax.set_title(title)
    return fig


def plot_cost_curves(
    x: Sequence[float] | np.ndarray,
    costs: Mapping[str, Sequence[float] | np.ndarray | Callable[[float], float]],
    *,
    xlabel: str = "mean requests per second",
    logx: bool = True,
    logy: bool = True,
    mark: Mapping[str, float] | None = None,
    title: str = "Dollars a month",
) -> Figure:
    """Monthly cost curves against ``x``; a value of ``costs`` may be a list or a function of x.
    ``mark`` draws labelled vertical lines (a crossover, a break-even)."""
    fig, ax = _figure()
    x = np.asarray(x, dtype=float)
    for i, (label, values) in enumerate(costs.items()):
        y = [values(v) for v in x] if callable(values) else values
        ax.plot(x, y, lw=2, color=PALETTE[i % len(PALETTE)], label=label)
    for label, at in (mark or {}).items():
        ax.axvline(at, color="grey", ls=":", lw=1.2)
        ax.annotate(label, (at, 0.98), xycoords=("data", "axes fraction"), rotation=90, va="top", ha="right",
                    fontsize="small", color="dimgrey")
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("$ per month")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(title)
    return fig


def plot_sqs(result: SqsResult, *, title: str | None = None) -> Figure:
    """Messages visible (waiting), in flight, deleted and in the DLQ over time, and concurrent batches."""
    from matplotlib.figure import Figure

    series = result.series
    scale, xlabel = _time_axis(result.scenario.horizon)
    t = series.times / scale
    fig = Figure(figsize=(8.0, 5.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    top.step(t, series.visible, where="post", label="visible (waiting)", color=PALETTE[0])
    top.step(t, series.in_flight, where="post", label="in flight (invisible)", color=PALETTE[1])
    top.step(t, series.in_dlq, where="post", label="in the DLQ", color=THROTTLE_COLOR, lw=2)
    top.set_ylabel("messages")
    top.set_ylim(bottom=0)
    top.legend(loc="upper left", fontsize="small")
    bottom.step(t, series.batches, where="post", color=PALETTE[2], label="concurrent batches")
    cap = result.scenario.mapping.poller_cap
    if result.scenario.function_concurrency is not None:
        bottom.axhline(result.scenario.function_concurrency, label="function concurrency", **LIMIT_STYLE)
    elif cap < 1000:
        bottom.axhline(cap, label=f"MaximumConcurrency {cap}", **LIMIT_STYLE)
    bottom.set_ylabel("batches")
    bottom.set_xlabel(xlabel)
    bottom.set_ylim(bottom=0)
    bottom.legend(loc="upper left", fontsize="small")
    top.set_title(title or f"SQS: {result.sent:,} sent, {result.deleted:,} deleted, {result.in_dlq:,} in the DLQ")
    return fig


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (for an Image widget or a file)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
