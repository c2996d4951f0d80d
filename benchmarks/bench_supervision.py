"""CPU the sandbox spends supervising in-flight invokes: 40 handlers sleeping in parallel.

    .venv/bin/python benchmarks/bench_supervision.py

Prints the kernel process's CPU use (user + system, as a share of one core) over 4 s while 40 warm
environments each run a handler that sleeps: the work is all supervision (waiting, exit and memory checks).
"""

from __future__ import annotations

import threading
import time

import psutil

import lambdalab

SLEEPY = "import time\ndef handler(event, context):\n    time.sleep(event['s'])\n    return 1\n"


def main(parallel: int = 40) -> None:
    lambdalab.sandbox()
    fn = lambdalab.deploy("bench-sleepy", code=SLEEPY, timeout=60)
    fn.invoke_many([{"s": 0.01}] * parallel, concurrency=parallel)  # warm environments
    threads = [threading.Thread(target=fn.invoke, args=({"s": 6},)) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    process = psutil.Process()
    before, started = process.cpu_times(), time.perf_counter()
    time.sleep(4.0)
    after, elapsed = process.cpu_times(), time.perf_counter() - started
    for thread in threads:
        thread.join()
    used = (after.user + after.system) - (before.user + before.system)
    print(f"supervising {parallel} sleeping invokes: {used / elapsed * 100:.0f}% of a core")


if __name__ == "__main__":
    main()
