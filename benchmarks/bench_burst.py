"""A room's burst: 300 simultaneous synchronous invokes against reserved concurrency 50.

    .venv/bin/python benchmarks/bench_burst.py

AWS runs 50 and throttles 250 when all 300 arrive while the first 50 still run. The requests are signed
first and sent by the burst client of tests/service/burst_client.py (worker processes, one keep-alive
connection per request, released by a barrier), so they are on the wire within milliseconds: once at a
function with no environment yet (50 start during the burst), then at warm environments, beside 300 boto3
threads in the sandbox's own process. For each it prints how many were
throttled, how long after the release the last request reached the sandbox's WSGI application (read by
its HTTP server) and the last concurrency decision was taken, when the first slot came back, and how many requests
were admitted after that (warm reuses AWS would also allow: throttled = 300 - 50 - those).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from pathlib import Path

import boto3
from botocore.config import Config

import lambdalab

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.service.burst_client import as_boto3_sees_it, burst, signed_invokes  # noqa: E402

HANDLER = "import time\ndef handler(event, context):\n    time.sleep(0.2)\n    return 1\n"


class Recorder:
    """When (``time.monotonic``) requests reach the server's application, are decided and give slots back."""

    def __init__(self, box: object) -> None:
        self.box, self.reached, self.decided, self.admitted, self.released = box, [], [], [], []

    def __enter__(self) -> Recorder:
        service, server = self.box.lambda_service, self.box._server._server
        self._saved = service.admit_burst, service.governor.release, server.app
        admit, release, app = self._saved

        def reached(environ, start_response):  # the HTTP server has read the request and hands it on
            if "/invocations" in environ.get("PATH_INFO", ""):
                self.reached.append(time.monotonic())
            return app(environ, start_response)

        def admitted(name: str) -> None:
            try:
                admit(name)
                self.admitted.append(time.monotonic())
            finally:
                self.decided.append(time.monotonic())

        def released(name: str) -> None:
            release(name)
            self.released.append(time.monotonic())

        service.admit_burst, service.governor.release, server.app = admitted, released, reached
        return self

    def __exit__(self, *exc: object) -> None:
        service, server = self.box.lambda_service, self.box._server._server
        service.admit_burst, service.governor.release, server.app = self._saved

    def summary(self, start: float) -> str:
        first_back = min(self.released, default=float("inf"))
        reuses = sum(t > first_back for t in self.admitted)
        return (
            f"reached the server's application over {max(self.reached) - start:.3f} s, decided over "
            f"{max(self.decided) - start:.3f} s, first slot back after {first_back - start:.3f} s, "
            f"{reuses} admitted after that"
        )


def with_boto3_threads(box: object, name: str, count: int) -> tuple[Counter, float]:
    lam = boto3.client(
        "lambda", config=Config(retries={"total_max_attempts": 1}, read_timeout=300, max_pool_connections=count + 10)
    )
    barrier = threading.Barrier(count + 1)
    outcomes: list[str] = []
    throttle = lam.exceptions.TooManyRequestsException  # built before the threads race to build it

    def call() -> None:
        barrier.wait()
        try:
            lam.invoke(FunctionName=name, Payload=b"{}")
            outcomes.append("ok")
        except throttle as throttled:
            outcomes.append(throttled.response.get("Reason", "?"))

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.monotonic()
    for thread in threads:
        thread.join()
    return Counter(outcomes), start


def with_burst_client(box: object, name: str, count: int) -> tuple[Counter, float]:
    host, port = _address(box)
    result = burst(host, port, signed_invokes(host, port, name, [b"{}"] * count, region=box.region))
    outcomes = (as_boto3_sees_it(answer) for answer in result.answers)
    return Counter(o.reason or "ok" for o in outcomes), result.released


def _address(box: object) -> tuple[str, int]:
    from urllib.parse import urlsplit

    parts = urlsplit(box.endpoint_url)
    return parts.hostname or "127.0.0.1", int(parts.port or 80)


def main(count: int = 300, reserved: int = 50) -> None:
    box = lambdalab.sandbox()
    lam = box.client("lambda")
    for name in ("bench-burst-cold", "bench-burst"):
        lambdalab.deploy(name, code=HANDLER)
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
    runs = (
        ("burst client, 50 cold starts", "bench-burst-cold", with_burst_client),
        ("boto3 threads", "bench-burst", with_boto3_threads),
        ("burst client, warm", "bench-burst", with_burst_client),
    )
    for label, name, send in runs:
        time.sleep(1.0)  # every slot back
        with Recorder(box) as recorder:
            outcomes, start = send(box, name, count)
        print(f"{label:28s}: {dict(outcomes)}; {recorder.summary(start)}")


if __name__ == "__main__":
    main()
