"""CPU the sandbox spends supervising in-flight invokes: 40 handlers sleeping in parallel.

    .venv/bin/python benchmarks/bench_supervision.py

Prints the kernel process's CPU use (user + system, as a share of one core) over 4 s while 40 warm
environments each run a handler that sleeps: the work is all supervision (waiting, exit and memory checks).

Then the once-a-second scan for the environments' process trees, side by side over the same 40 roots: the
watchdog's walk below this process (``lambdalab.runtime.watchdog._descendants``) against a ``psutil.Process``
for every process on the machine (``process_iter``, what the watchdog did before). The second grows with every
process on the machine, which on a JupyterHub node means every learner's; ``--other-processes N`` starts N
idle processes that are not below this one (``sleep``, re-parented when the shell that started them exits),
as other users' would be, for the comparison.

    .venv/bin/python benchmarks/bench_supervision.py --other-processes 1000
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import threading
import time

import psutil

import lambdalab
from lambdalab.runtime import watchdog

SLEEPY = "import time\ndef handler(event, context):\n    time.sleep(event['s'])\n    return 1\n"


def main(parallel: int = 40, other_processes: int = 0) -> None:
    others = _other_processes(other_processes)
    try:
        _measure(parallel)
    finally:
        for pid in others:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _other_processes(count: int) -> list[int]:
    """``count`` idle processes that are not below this one: a shell starts them and exits."""
    if not count:
        return []
    script = f"for i in $(seq {count}); do sleep 300 >/dev/null 2>&1 & echo $!; done"
    return [int(pid) for pid in subprocess.run(["sh", "-c", script], capture_output=True, text=True).stdout.split()]


def _measure(parallel: int) -> None:
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
    roots = {environment.pid for environment in fn.environments}
    scans = {"walk below this process": watchdog._descendants, "every process (process_iter)": _every_process}
    cpu_ms: dict[str, list[float]] = {name: [] for name in scans}
    for _ in range(7):
        for name, scan in scans.items():
            started_cpu = time.process_time()
            for _ in range(10):
                scan(roots)
            cpu_ms[name].append(100 * (time.process_time() - started_cpu))
    for thread in threads:
        thread.join()
    used = (after.user + after.system) - (before.user + before.system)
    print(f"supervising {parallel} sleeping invokes: {used / elapsed * 100:.0f}% of a core")
    walk, every = (statistics.median(cpu_ms[name]) for name in scans)
    print(f"tree scan over {len(roots)} environments, {len(psutil.pids())} processes on the machine: "
          f"{walk:.2f} ms a scan walking below this process, {every:.2f} ms building every process "
          f"({every / walk:.1f}x)")


def _every_process(roots: set[int]) -> dict[int, list[int]]:
    """The tree scan as the watchdog made it before: a ``psutil.Process`` for every process on the machine."""
    children: dict[int, list[int]] = {}
    for process in psutil.process_iter(["ppid"]):
        if process.info.get("ppid") is not None:
            children.setdefault(process.info["ppid"], []).append(process.pid)
    found = {}
    for root in roots:
        below, stack = [], list(children.get(root, []))
        while stack:
            below.append(stack.pop())
            stack.extend(children.get(below[-1], []))
        found[root] = below
    return found


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other-processes", type=int, default=0)
    main(other_processes=parser.parse_args().other_processes)
