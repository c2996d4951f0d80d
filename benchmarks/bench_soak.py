"""Memory per warm invoke through the notebook API, once CloudWatch's kept logs and metrics reach their bounds.

    .venv/bin/python benchmarks/bench_soak.py [WARM] [MEASURED]

Traces allocations from the start (tracemalloc, one frame), invokes a trivial function WARM times so every
bound fills, then MEASURED more times, and prints the traced and RSS growth per invoke over the latter.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc

import psutil

import lambdalab


def main(warm: int = 7_000, measured: int = 3_000) -> None:
    tracemalloc.start(1)
    lambdalab.sandbox()
    fn = lambdalab.deploy("bench-soak", code="def handler(event, context):\n    return 1\n")
    started = time.perf_counter()
    for _ in range(warm):
        fn.invoke({})
    assert lambdalab.flush_logs(300)
    gc.collect()
    traced, rss = tracemalloc.get_traced_memory()[0], psutil.Process().memory_info().rss
    for _ in range(measured):
        fn.invoke({})
    assert lambdalab.flush_logs(300)
    gc.collect()
    traced_growth = tracemalloc.get_traced_memory()[0] - traced
    rss_growth = psutil.Process().memory_info().rss - rss
    print(
        f"{warm + measured} warm invokes in {time.perf_counter() - started:.0f} s; over the last {measured}: "
        f"{traced_growth / measured:+.0f} B/invoke traced, {rss_growth / measured:+.0f} B/invoke RSS"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
