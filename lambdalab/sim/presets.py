"""Presets with their provenance: how long idle environments lived, and how long cold starts took.

AWS documents neither the keep-alive of idle execution environments nor cold-start durations; both come
from outside measurements and both have changed. Each preset therefore carries its source and date, so a
lesson can say "in 2019, Shilkov measured..." instead of presenting a number as a constant of nature.
Values are in seconds. See docs/facts.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from lambdalab.sim.distributions import Distribution, Shifted


@dataclass(frozen=True)
class KeepAlivePreset:
    """An observed keep-alive: idle environments were reclaimed between ``low`` and ``high`` seconds
    after their last request. ``typical`` is the single value to simulate with."""

    name: str
    low: float
    high: float
    source: str
    date: str

    @property
    def typical(self) -> float:
        return (self.low + self.high) / 2


KEEP_ALIVE_2017 = KeepAlivePreset(
    name="2017: 45-60 min",
    low=45 * 60,
    high=60 * 60,
    source="Yan Cui, 'How long does AWS Lambda keep your idle functions around?', "
    "https://theburningmonk.com/2017/06/finding-coldstarts-how-long-does-aws-lambda-keep-your-idle-functions-around/",
    date="2017-06",
)
KEEP_ALIVE_2019 = KeepAlivePreset(
    name="2019-2020: 10 min",
    low=10 * 60,
    high=10 * 60,
    source="Mikhail Shilkov, 'AWS Lambda Cold Starts After 10 Minutes', "
    "https://mikhail.io/2019/08/aws-lambda-cold-starts-after-10-minutes/",
    date="2019-08",
)
KEEP_ALIVE_2021 = KeepAlivePreset(
    name="2021: 5-7 min",
    low=5 * 60,
    high=7 * 60,
    source="Mikhail Shilkov, 'Cold Starts in AWS Lambda', https://mikhail.io/serverless/coldstarts/aws/",
    date="2021",
)
KEEP_ALIVE_PRESETS: tuple[KeepAlivePreset, ...] = (KEEP_ALIVE_2017, KEEP_ALIVE_2019, KEEP_ALIVE_2021)


@dataclass(frozen=True)
class ColdStartPreset:
    """What a cold start adds to a request for one runtime, as measured by one benchmark.

    ``measure`` says what was measured: the median ``Init Duration`` of the REPORT line (only the init
    phase) or the whole cold request as a client saw it (init plus a trivial handler plus overheads).
    """

    runtime: str
    extra: float
    measure: str
    source: str
    date: str

    def durations(self, handler: Distribution) -> tuple[Distribution, Distribution]:
        """(warm, cold) durations for a handler that runs for ``handler`` seconds once initialised."""
        return handler, Shifted(self.extra, handler)


_LAMBDA_PERF = (
    "maxday/lambda-perf daily benchmark, median Init Duration, 128 MB, zip, x86 "
    "(https://maxday.github.io/lambda-perf/)"
)
_INIT = "median Init Duration"
_SHILKOV = "Mikhail Shilkov, 'Cold Starts in AWS Lambda' (https://mikhail.io/serverless/coldstarts/aws/)"
_WHOLE = "whole-request cold latency"

COLD_START_PRESETS: dict[str, ColdStartPreset] = {
    p.runtime: p
    for p in (
        ColdStartPreset("rust", 0.016, _INIT, _LAMBDA_PERF, "2026"),
        ColdStartPreset("go", 0.050, _INIT, _LAMBDA_PERF, "2026"),
        ColdStartPreset("python3.12", 0.085, _INIT, _LAMBDA_PERF, "2026"),
        ColdStartPreset("nodejs22.x", 0.140, _INIT, _LAMBDA_PERF, "2026"),
        ColdStartPreset("ruby", 0.230, _INIT, _LAMBDA_PERF, "2026"),
        ColdStartPreset("java21", 0.240, _INIT, _LAMBDA_PERF, "2026"),
        ColdStartPreset("dotnet8", 0.250, _INIT, _LAMBDA_PERF, "2026"),
        ColdStartPreset("python (whole request)", 0.22, _WHOLE, _SHILKOV, "2021-01"),
        ColdStartPreset("package 1 KB (whole request)", 0.26, _WHOLE, _SHILKOV, "2021-01"),
        ColdStartPreset("package 14 MB (whole request)", 1.7, _WHOLE, _SHILKOV, "2021-01"),
        ColdStartPreset("package 35 MB (whole request)", 3.9, _WHOLE, _SHILKOV, "2021-01"),
    )
}

#: AWS caps the init phase at 10 s (docs/facts.md, "Cold starts measured").
MAX_INIT_DURATION = 10.0
