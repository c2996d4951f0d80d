"""A room's burst: 300 simultaneous synchronous invokes (boto3, over HTTP) against reserved concurrency 50.

    .venv/bin/python benchmarks/bench_burst.py

AWS would run 50 and throttle 250 (if all 300 arrive while the first 50 still run). Prints how many were
throttled here, how long the burst took to arrive at the sandbox's admission (first to last), the peak
concurrency, and how many requests were admitted after the first execution had given its slot back. The
client runs in the same process as the sandbox, so on a small or busy machine arrivals spread over longer
than the 0.2 s handler runs; every request admitted after a slot came back is a warm reuse AWS would also
allow, so throttled = 300 - 50 - (admitted after the first release). tests/service/test_burst_admission.py
holds every slot until the burst has arrived and sees exactly 250.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import boto3
from botocore.config import Config

import lambdalab

HANDLER = "import time\ndef handler(event, context):\n    time.sleep(0.2)\n    return 1\n"


def main(burst: int = 300, reserved: int = 50) -> None:
    box = lambdalab.sandbox()
    lambdalab.deploy("bench-burst", code=HANDLER)
    lam = boto3.client(
        "lambda", config=Config(retries={"total_max_attempts": 1}, read_timeout=300, max_pool_connections=burst + 10)
    )
    lam.put_function_concurrency(FunctionName="bench-burst", ReservedConcurrentExecutions=reserved)
    service = box.lambda_service
    arrivals: list[float] = []
    admitted: list[float] = []
    releases: list[float] = []
    admit, release = service.admit_burst, service.governor.release

    def recorded(name: str) -> None:
        arrivals.append(time.perf_counter())
        admit(name)
        admitted.append(arrivals[-1])

    def released(name: str) -> None:
        release(name)
        releases.append(time.perf_counter())

    service.admit_burst = recorded
    service.governor.release = released
    barrier = threading.Barrier(burst)
    outcomes: list[str] = []

    def call() -> None:
        barrier.wait()
        try:
            lam.invoke(FunctionName="bench-burst", Payload=b"{}")
            outcomes.append("ok")
        except lam.exceptions.TooManyRequestsException:
            outcomes.append("throttled")

    threads = [threading.Thread(target=call) for _ in range(burst)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    service.admit_burst, service.governor.release = admit, release
    reuses = sum(t > min(releases) for t in admitted)
    print(
        f"{dict(Counter(outcomes))}; arrivals spread over {arrivals[-1] - arrivals[0]:.2f} s; "
        f"first slot given back {min(releases) - arrivals[0]:.2f} s after the first arrival; "
        f"{reuses} admitted after that; peak concurrency {service.governor.peak('bench-burst')}"
    )


if __name__ == "__main__":
    main()
