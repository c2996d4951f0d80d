"""A burst is admitted as it arrives: 300 simultaneous invokes against reserved concurrency 50 throttle.

Before, moto's per-request parsing spread a burst over seconds, so a slot was always free by the time a
request was admitted and all 300 succeeded; AWS would throttle most of them. The concurrency decision is
now taken when the request reaches the sandbox. How many are throttled depends on how fast this machine
lets the burst arrive (benchmarks, not tests, measure that); what holds everywhere is below.
"""

from __future__ import annotations

import threading

import lambdalab

RESERVED = 50
BURST = 300


def test_when_300_invokes_arrive_together_against_reserved_50_then_the_excess_is_throttled(box, lam):
    lambdalab.deploy("burst", code="import time\ndef handler(event, context):\n    time.sleep(0.2)\n    return 1\n")
    lam.put_function_concurrency(FunctionName="burst", ReservedConcurrentExecutions=RESERVED)
    barrier = threading.Barrier(BURST)
    outcomes: list[str] = []

    def call() -> None:
        barrier.wait()
        try:
            lam.invoke(FunctionName="burst", Payload=b"{}")
            outcomes.append("ok")
        except lam.exceptions.TooManyRequestsException as throttled:
            outcomes.append(throttled.response.get("Reason", "?"))

    threads = [threading.Thread(target=call) for _ in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    throttled = [o for o in outcomes if o != "ok"]
    assert len(outcomes) == BURST
    assert throttled, "all 300 succeeded: admission is slower than the burst"
    assert set(throttled) == {"ReservedFunctionConcurrentInvocationLimitExceeded"}
    assert box.lambda_service.governor.peak("burst") <= RESERVED
    assert box.lambda_service.governor.in_flight("burst") == 0  # every slot given back
