"""A burst is admitted as it arrives: 300 simultaneous invokes against reserved concurrency 50 throttle 250.

On AWS, 300 requests that arrive while the first 50 are still running meet a full reservation: 50 run and
250 are throttled with ReservedFunctionConcurrentInvocationLimitExceeded (the account's 1,000 and the scaling
rate of 1,000 new environments per 10 s are not reached). A slot frees only when an execution ends, so the
count is exact while every execution outlasts the burst's arrival — nothing in the function waits for the
test. The burst client (tests/service/burst_client.py) puts all 300 requests on the wire within
milliseconds, at 50 warm environments (50 Python processes starting during the burst would take the cores
from the sandbox on a small machine). The handler sleeps three times as long as this machine, now, takes
to receive and answer the same 300 requests as DryRun invokes (which run nothing and take no slot), and
never less than 0.2 s.

So the count comes out wrong when the sandbox miscounts the slots, or takes its concurrency decisions
slower than it handles the requests themselves: with each decision made 10 ms slower (one at a time),
140 of the 300 ran here.
"""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlsplit

import lambdalab
from lambdalab.aws_facts import RESERVED_CONCURRENCY_EXCEEDED
from tests.service.burst_client import Outcome, SignedRequest, as_boto3_sees_it, burst, signed_invokes

RESERVED = 50
BURST = 300
SLEEPS = "import time\n\n\ndef handler(event, context):\n    time.sleep(event['sleep'])\n    return 1\n"


def test_when_300_invokes_arrive_together_against_a_reservation_of_50_then_50_run_and_250_are_throttled(box, lam):
    lambdalab.deploy("burst", code=SLEEPS, timeout=120)
    lam.put_function_concurrency(FunctionName="burst", ReservedConcurrentExecutions=RESERVED)
    parts = urlsplit(box.endpoint_url)
    host, port = parts.hostname or "127.0.0.1", int(parts.port or 80)

    def invokes(sleep: float, invocation_type: str = "RequestResponse") -> list[SignedRequest]:
        payload = json.dumps({"sleep": sleep}).encode()
        return signed_invokes(
            host, port, "burst", [payload] * BURST, region=box.region, invocation_type=invocation_type
        )

    # 50 environments are warm, as after the room's first exercise: 50 requests that overlap run side by side.
    warm_up = burst(host, port, invokes(1.0)[:RESERVED])
    assert {answer.status for answer in warm_up.answers} == {200}
    dry_run = burst(host, port, invokes(0, "DryRun"))
    assert {answer.status for answer in dry_run.answers} == {204}
    sleep = max(0.2, 3 * dry_run.answered_within)

    outcomes = Counter(as_boto3_sees_it(answer) for answer in burst(host, port, invokes(sleep)).answers)

    assert outcomes == {
        Outcome(200): RESERVED,
        Outcome(429, "TooManyRequestsException", RESERVED_CONCURRENCY_EXCEEDED): BURST - RESERVED,
    }, f"handler slept {sleep:.2f} s"
    assert box.lambda_service.governor.peak("burst") == RESERVED
    assert box.lambda_service.governor.in_flight("burst") == 0  # every slot given back
