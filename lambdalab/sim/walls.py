"""Which wall first: given a workload, the practical limit of Lambda it hits first, and when.

A workload is a request-rate profile (piecewise linear, requests per second over seconds) and what each
request needs. Every limit is checked second by second along the profile, with the same rules the account
simulator applies (docs/facts.md and AWS's quota page, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html,
checked December 2026):

- **concurrency**: busy environments = rate x duration (Little's law) against the reserved concurrency, or
  the account's concurrency (1,000 by default);
- **scaling rate**: since 26 Nov 2023 a function adds at most 1,000 environments per 10 s (refilled
  continuously): demand that grows faster than ``sim.scaling.scale_out`` allows is throttled;
- **requests per second**: at most 10 x the concurrency limit;
- **database connections**: environments hold ``db_connections_per_env`` each while they live (opened at
  init), so the connections needed are the most environments alive so far x that, against max_connections;
- **15 minutes**: a p99 request longer than 900 s cannot run at all, and one longer than the timeout fails;
- **payload**: 6 MB each way for synchronous invocations, 1 MB for asynchronous ones (since Oct 2025);
- **package**: 250 MB unzipped for function and layers (container images go to 10 GB);
- **cold starts at the tail**: when more than 1 % of requests in a second start a new environment, the p99
  includes an Init Duration; a wall when that p99 passes the latency objective;
- **cost**: above the crossover mean rate, an always-on container fleet sized for the peak
  (``sim.containers``, Fargate's us-east-1 price, checked March 2026) costs less than Lambda.

Limits that do not depend on time (size, duration) are hit at t = 0 when exceeded; the cost wall has no
time, only a rate. :func:`walls` lists every wall with the number that decides it; :func:`first_wall` the
first one hit.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from lambdalab.aws_facts import (
    MAX_ASYNC_INVOKE_REQUEST_BYTES,
    MAX_SYNC_INVOKE_REQUEST_BYTES,
    MAX_TIMEOUT_S,
    MAX_UNZIPPED_CODE_BYTES,
    REQUESTS_PER_CONCURRENCY,
)
from lambdalab.sim.containers import ContainerFleet, crossover_rate
from lambdalab.sim.scaling import PerFunctionScaling, scale_out

MIB = 1024 * 1024
#: The walls in the MB this module speaks (AWS's byte limits, which its messages quote): 6, 1 and 250.
SYNC_PAYLOAD_MB = MAX_SYNC_INVOKE_REQUEST_BYTES / MIB
ASYNC_PAYLOAD_MB = MAX_ASYNC_INVOKE_REQUEST_BYTES / MIB
UNZIPPED_PACKAGE_MB = MAX_UNZIPPED_CODE_BYTES / MIB
COLD_TAIL_FRACTION = 0.01


@dataclass(frozen=True)
class ProductionWorkload:
    """What a function must serve. ``profile``: (seconds, requests per second) points, linear between them.

        ``duration_ms`` is the typical (mean) handler time, ``p99_duration_ms`` the slow tail's (defaults to
        twice the mean). Sizes are in MB. ``latency_objective_ms`` is the p99 the callers were promised. ``fleet``
    is the container alternative: by default 1 vCPU / 2 GB Fargate tasks serving 10 requests at once each (an
    I/O-bound API; use ``ContainerFleet(concurrency_per_task=1)`` for CPU-bound work).
    """

    profile: tuple[tuple[float, float], ...]
    duration_ms: float
    p99_duration_ms: float | None = None
    memory_mb: int = 512
    timeout_s: float = 30.0
    invocation: str = "sync"  # or "async"
    payload_mb: float = 0.01
    package_mb: float = 20.0
    init_ms: float = 300.0
    latency_objective_ms: float | None = None
    account_concurrency: int = 1000
    reserved_concurrency: int | None = None
    db_connections_per_env: int = 0
    db_max_connections: int | None = None
    fleet: ContainerFleet = field(default_factory=lambda: ContainerFleet(concurrency_per_task=10))

    def __post_init__(self) -> None:
        times = [t for t, _ in self.profile]
        if len(self.profile) < 2 or times != sorted(times) or any(r < 0 for _, r in self.profile):
            raise ValueError(
                "profile needs two or more (seconds, requests per second) points, in time order, rates >= 0"
            )
        if self.duration_ms <= 0 or self.init_ms < 0:
            raise ValueError("duration_ms must be > 0 and init_ms >= 0")
        if self.invocation not in ("sync", "async"):
            raise ValueError(f"invocation is 'sync' or 'async', got {self.invocation!r}")

    @classmethod
    def ramp(cls, base_rps: float, peak_rps: float, ramp_s: float, hold_s: float = 600, **kwargs) -> ProductionWorkload:
        """Traffic at ``base_rps`` rising linearly to ``peak_rps`` over ``ramp_s`` seconds, then held."""
        return cls(profile=((0.0, base_rps), (ramp_s, peak_rps), (ramp_s + hold_s, peak_rps)), **kwargs)

    @property
    def concurrency_limit(self) -> int:
        return self.account_concurrency if self.reserved_concurrency is None else self.reserved_concurrency

    @property
    def p99_ms(self) -> float:
        return self.p99_duration_ms if self.p99_duration_ms is not None else 2 * self.duration_ms

    def rate(self, t: np.ndarray) -> np.ndarray:
        times, rates = zip(*self.profile, strict=True)
        return np.interp(t, times, rates)


@dataclass(frozen=True)
class Wall:
    """One practical limit: whether the workload hits it, when (seconds into the profile), and the numbers."""

    name: str
    hit: bool
    at_s: float | None
    needed: float
    limit: float
    detail: str


def walls(workload: ProductionWorkload, step_s: float = 1.0) -> list[Wall]:
    """Every wall, hit ones first in the order they are hit (then the rest, by how close they come)."""
    w = workload
    end = w.profile[-1][0]
    t = np.arange(0.0, end + step_s / 2, step_s)
    rate = w.rate(t)
    busy = rate * w.duration_ms / 1000
    limit = w.concurrency_limit
    found: list[Wall] = []

    def first(mask: np.ndarray) -> float | None:
        index = np.flatnonzero(mask)
        return float(t[index[0]]) if len(index) else None

    at = first(busy > limit)
    found.append(
        Wall(
            "concurrency",
            at is not None,
            at,
            float(busy.max()),
            limit,
            f"rate x duration needs {busy.max():.0f} environments at the peak; the limit is {limit}",
        )
    )

    _, available = scale_out(
        PerFunctionScaling(),
        lambda s: math.ceil(w.rate(np.array([s]))[0] * w.duration_ms / 1000),
        account_limit=limit,
        horizon=end,
        step=step_s,
    )
    wanted = np.minimum(busy, limit)
    at = first(wanted - available[: len(t)] > 1)
    lag = max(1, round(10 / step_s))
    growth = float(np.max(wanted[lag:] - wanted[:-lag])) if len(t) > lag else float(wanted.max())
    found.append(
        Wall(
            "scaling rate",
            at is not None,
            at,
            max(growth, 0.0),
            1000,
            f"demand grows by up to {max(growth, 0.0):.0f} environments in 10 s; Lambda adds at most 1,000 "
            "per 10 s per function",
        )
    )

    cap = REQUESTS_PER_CONCURRENCY * limit
    at = first(rate > cap)
    found.append(
        Wall(
            "requests per second",
            at is not None,
            at,
            float(rate.max()),
            cap,
            f"{rate.max():.0f} requests/s at the peak; the cap is 10 x concurrency = {cap}",
        )
    )

    if w.db_connections_per_env and w.db_max_connections:
        environments = np.maximum.accumulate(np.ceil(np.minimum(busy, limit)))
        connections = environments * w.db_connections_per_env
        at = first(connections > w.db_max_connections)
        found.append(
            Wall(
                "database connections",
                at is not None,
                at,
                float(connections.max()),
                w.db_max_connections,
                f"{environments.max():.0f} live environments x {w.db_connections_per_env} connection(s)",
            )
        )

    p99_s = w.p99_ms / 1000
    found.append(
        Wall(
            "15-minute timeout",
            p99_s > MAX_TIMEOUT_S,
            0.0 if p99_s > MAX_TIMEOUT_S else None,
            p99_s,
            MAX_TIMEOUT_S,
            f"p99 duration {p99_s:g} s; no invocation may run longer than 900 s",
        )
    )
    found.append(
        Wall(
            "function timeout",
            p99_s > w.timeout_s,
            0.0 if p99_s > w.timeout_s else None,
            p99_s,
            w.timeout_s,
            f"p99 duration {p99_s:g} s against the function's timeout {w.timeout_s:g} s",
        )
    )
    payload_limit = SYNC_PAYLOAD_MB if w.invocation == "sync" else ASYNC_PAYLOAD_MB
    found.append(
        Wall(
            "payload size",
            w.payload_mb > payload_limit,
            0.0 if w.payload_mb > payload_limit else None,
            w.payload_mb,
            payload_limit,
            f"{w.invocation} invocations carry at most {payload_limit:g} MB",
        )
    )
    found.append(
        Wall(
            "package size",
            w.package_mb > UNZIPPED_PACKAGE_MB,
            0.0 if w.package_mb > UNZIPPED_PACKAGE_MB else None,
            w.package_mb,
            UNZIPPED_PACKAGE_MB,
            "function and layers unzipped at most 250 MB (container images: 10 GB)",
        )
    )

    # warm at the starting rate: only environments added as traffic grows start cold
    new_envs = np.diff(np.maximum.accumulate(np.minimum(busy, limit)), prepend=min(busy[0], limit))
    requests = np.maximum(rate * step_s, 1e-9)
    cold = new_envs / requests
    if w.latency_objective_ms is not None:
        cold_p99 = w.p99_ms + w.init_ms
        breaks = cold_p99 > w.latency_objective_ms
        at = first((cold > COLD_TAIL_FRACTION) & breaks)
        found.append(
            Wall(
                "cold starts at the tail",
                at is not None,
                at,
                float(cold.max()),
                COLD_TAIL_FRACTION,
                f"up to {100 * cold.max():.1f} % of a second's requests start cold; a cold p99 is "
                f"{cold_p99:.0f} ms against the {w.latency_objective_ms:g} ms objective",
            )
        )

    mean_rate = float(np.trapezoid(rate, t) / end) if end > 0 else float(rate[0])
    peak_to_mean = float(rate.max() / mean_rate) if mean_rate > 0 else 1.0
    crossover = crossover_rate(w.duration_ms / 1000, w.memory_mb, w.fleet, peak_to_mean=peak_to_mean)
    found.append(
        Wall(
            "cost vs a container fleet",
            mean_rate > crossover,
            None,
            mean_rate,
            crossover,
            f"mean {mean_rate:.1f} requests/s; a Fargate fleet sized for the peak is cheaper above "
            f"{crossover:.1f} requests/s",
        )
    )

    hit = sorted((x for x in found if x.hit), key=lambda x: (x.at_s is None, x.at_s or 0.0))
    rest = sorted((x for x in found if not x.hit), key=lambda x: -(x.needed / x.limit if x.limit else 0))
    return hit + rest


def load_workload(path: str | Path) -> ProductionWorkload:
    """A workload from a TOML (or YAML) file: a ``[workload]`` table with :class:`ProductionWorkload`'s fields, e.g.::

    [workload]
    profile = [[0, 50], [300, 2000], [900, 2000]]   # seconds, requests per second
    duration_ms = 120
    db_connections_per_env = 1
    db_max_connections = 400
    """
    path = Path(path)
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        import yaml

        document = yaml.safe_load(text) or {}
    else:
        document = tomllib.loads(text)
    table = document.get("workload")
    if not isinstance(table, dict):
        raise ValueError(f"{path}: no [workload] table (see lambdalab.sim.walls.load_workload)")
    known = {f.name for f in fields(ProductionWorkload)} - {"fleet"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"{path}: unknown workload keys {unknown}; known keys are {sorted(known)}")
    settings = dict(table)
    settings["profile"] = tuple((float(t), float(r)) for t, r in settings.get("profile", ()))
    return ProductionWorkload(**settings)


def first_wall(workload: ProductionWorkload) -> Wall | None:
    """The first limit the workload hits, or None if it fits every one."""
    hit = [x for x in walls(workload) if x.hit]
    return hit[0] if hit else None


def walls_table(found: Sequence[Wall]) -> str:
    """A plain-text table of the walls (stable, for notebooks' stored outputs)."""
    lines = [f"{'wall':28} {'hit':5} {'when':>8} {'needed':>12} {'limit':>12}  why"]
    for x in found:
        when = "-" if x.at_s is None else f"{x.at_s:.0f} s"
        lines.append(f"{x.name:28} {'YES' if x.hit else 'no':5} {when:>8} {x.needed:12.4g} {x.limit:12.4g}  {x.detail}")
    return "\n".join(lines)


def plot_walls(workload: ProductionWorkload, step_s: float = 1.0):  # noqa: ANN201 - a matplotlib Figure
    """Demand over the profile against the limits that move with it: concurrency, scaling, requests per
    second and database connections, each as a fraction of its limit (1.0 is the wall)."""
    from matplotlib.figure import Figure

    w = workload
    end = w.profile[-1][0]
    t = np.arange(0.0, end + step_s / 2, step_s)
    rate = w.rate(t)
    busy = rate * w.duration_ms / 1000
    limit = w.concurrency_limit
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(t, busy / limit, label=f"concurrency / limit ({limit:,})")
    ax.plot(t, rate / (REQUESTS_PER_CONCURRENCY * limit), label="requests per second / (10 x limit)")
    if w.db_connections_per_env and w.db_max_connections:
        connections = np.maximum.accumulate(np.ceil(np.minimum(busy, limit))) * w.db_connections_per_env
        ax.plot(t, connections / w.db_max_connections, label=f"DB connections / max ({w.db_max_connections:,})")
    ax.axhline(1.0, color="tab:red", linestyle="--", linewidth=1, label="the wall")
    first = first_wall(w)
    if first is not None and first.at_s is not None:
        ax.axvline(first.at_s, color="grey", linestyle=":", linewidth=1)
        ax.annotate(f"first wall: {first.name} at {first.at_s:.0f} s", (first.at_s, 1.02), fontsize=8)
    ax.set_xlabel("seconds into the profile")
    ax.set_ylabel("share of the limit")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def explore_walls(**defaults: float):  # noqa: ANN201 - an ipywidgets box
    """Sliders for one's own workload; the walls table and plot redraw as they move."""
    import ipywidgets as widgets
    from IPython.display import display

    sliders = {
        "peak_rps": widgets.FloatLogSlider(
            value=defaults.get("peak_rps", 500), base=10, min=0, max=5, description="peak req/s"
        ),
        "ramp_s": widgets.IntSlider(value=int(defaults.get("ramp_s", 120)), min=1, max=1800, description="ramp (s)"),
        "duration_ms": widgets.FloatLogSlider(
            value=defaults.get("duration_ms", 200), base=10, min=0, max=5.9, description="duration ms"
        ),
        "init_ms": widgets.IntSlider(
            value=int(defaults.get("init_ms", 300)), min=0, max=10_000, step=50, description="init ms"
        ),
        "account_concurrency": widgets.IntSlider(
            value=int(defaults.get("account_concurrency", 1000)),
            min=100,
            max=30_000,
            step=100,
            description="concurrency",
        ),
        "db_max_connections": widgets.IntSlider(
            value=int(defaults.get("db_max_connections", 400)), min=0, max=5000, step=50, description="DB max conn."
        ),
        "payload_mb": widgets.FloatSlider(
            value=defaults.get("payload_mb", 0.1), min=0, max=10, step=0.1, description="payload MB"
        ),
        "package_mb": widgets.IntSlider(
            value=int(defaults.get("package_mb", 20)), min=1, max=400, description="package MB"
        ),
    }
    out = widgets.Output()

    def redraw(_: object = None) -> None:
        v = {k: s.value for k, s in sliders.items()}
        workload = ProductionWorkload.ramp(
            v["peak_rps"] / 20,
            v["peak_rps"],
            v["ramp_s"],
            hold_s=600,
            duration_ms=v["duration_ms"],
            init_ms=v["init_ms"],
            latency_objective_ms=1000,
            account_concurrency=v["account_concurrency"],
            db_connections_per_env=1 if v["db_max_connections"] else 0,
            db_max_connections=v["db_max_connections"] or None,
            payload_mb=v["payload_mb"],
            package_mb=v["package_mb"],
        )
        with out:
            out.clear_output(wait=True)
            print(walls_table(walls(workload)))
            display(plot_walls(workload))

    for slider in sliders.values():
        slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox(list(sliders.values())[:4]), widgets.HBox(list(sliders.values())[4:]), out])
