"""What the control plane's checks cost a warm ``Invoke``: the screening alone, and end to end.

Run: ``python benchmarks/bench_controlplane.py [--invokes 300] [--repeat 3]``

Two numbers. *Screening*: matching an ``Invoke`` request to its operation in botocore's model, gathering its
parameters and validating them (:func:`lambdalab.controlplane.validate`), timed in-process over many
repetitions — the work added to every request. *End to end*: warm ``boto3`` invokes of a trivial handler
through the sandbox, median latency with the control plane in place and with it bypassed (the gateway
calling its own handler directly), alternating runs so machine load affects both alike. Results go to
``benchmarks/results/controlplane.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path


def screening_us(repetitions: int = 20_000) -> float:
    from lambdalab.controlplane import model, validate
    from lambdalab.controlplane.rules import Scope

    query: dict[str, list[str]] = {"Qualifier": ["live"]}
    headers = {"X-Amz-Invocation-Type": "RequestResponse", "X-Amz-Log-Type": "None"}
    scope = Scope("us-east-1", "123456789012")
    path = "/2015-03-31/functions/bench-fn/invocations"
    model.match("POST", path, query)  # builds the routes and the validator once
    started = time.perf_counter()
    for _ in range(repetitions):
        route, params = model.match("POST", path, query)
        validate(route.operation, model.gather(route, params, query, headers, None), scope)
    return (time.perf_counter() - started) / repetitions * 1e6


def invoke_ms(lam, invokes: int) -> float:
    samples = []
    for _ in range(invokes):
        started = time.perf_counter()
        lam.invoke(FunctionName="bench-fn", Payload=b"{}")
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invokes", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import boto3

    import lambdalab
    from lambdalab.controlplane import wsgi

    box = lambdalab.sandbox()
    lambdalab.deploy("bench-fn", code="def handler(event, context):\n    return 1\n")
    lam = boto3.client("lambda")
    invoke_ms(lam, 20)  # warm the environment and the connection
    checked, bypassed = [], []
    original = wsgi.serve
    for _ in range(args.repeat):
        checked.append(invoke_ms(lam, args.invokes))
        wsgi.serve = lambda environ, start_response, inner, service: inner(environ, start_response)
        try:
            bypassed.append(invoke_ms(lam, args.invokes))
        finally:
            wsgi.serve = original
    result = {
        "screening_us_per_request": round(screening_us(), 1),
        "warm_invoke_median_ms_checked": round(statistics.median(checked), 2),
        "warm_invoke_median_ms_bypassed": round(statistics.median(bypassed), 2),
        "invokes_per_run": args.invokes,
        "runs": args.repeat,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(json.dumps(result, indent=1))
    out = Path(__file__).parent / "results" / "controlplane.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    box.reset()


if __name__ == "__main__":
    main()
