"""Warm and cold invocation cost: lambdalab's execution environments beside python-lambda-local.

Run: ``python benchmarks/bench_runtime.py [--warm 300]`` (needs the ``bench`` extra for python-lambda-local).

All measurements are taken side by side in one run on the same handler, and reported as ratios, so the
numbers mean something on any machine:

- warm invoke round trip through the notebook API (``fn.invoke``) and through boto3's ``invoke`` (HTTP to
  the sandbox, then the Runtime API);
- cold-start overhead: a cold invoke's wall time minus the handler's own init (importing its module in a
  fresh interpreter), i.e. what the local Lambda adds to start an environment;
- python-lambda-local's per-call time, both as engineers run it (its command line, a process per call) and
  through its Python API (a forked process per call) — it has no warm reuse, so every call is "cold".
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HANDLER = """
import json
import hashlib

def handler(event, context):
    digest = hashlib.sha256(json.dumps(event).encode()).hexdigest()
    return {"n": event["n"] * 2, "digest": digest[:8]}
"""


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000.0)
    return samples


def handler_import_ms(folder: Path, repeat: int = 5) -> float:
    """The handler's own init: importing its module in a fresh interpreter (interpreter start excluded)."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); import app; "
        "print((time.perf_counter() - t) * 1000)"
    )
    return statistics.median(
        float(
            subprocess.run([sys.executable, "-c", code, str(folder)], check=True, capture_output=True, text=True).stdout
        )
        for _ in range(repeat)
    )


def interpreter_start_ms(repeat: int = 5) -> float:
    return statistics.median(timed(lambda _: subprocess.run([sys.executable, "-c", "pass"], check=True), repeat))


def python_lambda_local() -> tuple[type, type, object]:
    """python-lambda-local's pieces, or exit non-zero: a benchmark that cannot make its comparison fails.

    It imports ``pkg_resources``, which setuptools 82 removed; the ``bench`` extra pins setuptools below it.
    """
    try:
        from lambda_local.context import Context
        from lambda_local.main import FunctionLoader, _runner
    except ImportError as error:
        raise SystemExit(
            f"bench_runtime: python-lambda-local cannot be imported ({error}), so the comparison cannot run. "
            "Install the benchmark extra: pip install -e '.[bench]'"
        ) from error
    return Context, FunctionLoader, _runner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=300, help="warm invokes to time (default 300)")
    parser.add_argument("--cold", type=int, default=10, help="cold invokes to time (default 10)")
    parser.add_argument("--plambda", type=int, default=10, help="python-lambda-local calls to time (default 10)")
    args = parser.parse_args()
    Context, FunctionLoader, _runner = python_lambda_local()  # before any timing: fail fast

    import boto3

    import lambdalab

    work = Path(tempfile.mkdtemp(prefix="lambdalab-bench-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    (work / "app.py").write_text(HANDLER)
    (work / "event.json").write_text(json.dumps({"n": 21}))

    lambdalab.sandbox()
    fn = lambdalab.deploy("bench", path=work, handler="app.handler")
    fn.invoke({"n": 0})  # the one cold start
    api_warm = timed(lambda i: fn.invoke({"n": i}), args.warm)
    lam = boto3.client("lambda")
    boto3_warm = timed(
        lambda i: lam.invoke(FunctionName="bench", Payload=json.dumps({"n": i}))["Payload"].read(), args.warm
    )

    def cold(i: int) -> None:
        fn.shutdown()
        assert fn.invoke({"n": i}).cold

    cold_ms = timed(cold, args.cold)
    own_init = handler_import_ms(work)
    python_start = interpreter_start_ms()

    results: dict[str, object] = {
        "warm_api_ms_median": statistics.median(api_warm),
        "warm_boto3_ms_median": statistics.median(boto3_warm),
        "cold_invoke_ms_median": statistics.median(cold_ms),
        "handler_own_init_ms": own_init,
        "python_interpreter_start_ms": python_start,
    }
    results["cold_overhead_ms"] = results["cold_invoke_ms_median"] - own_init

    import logging

    logging.disable(logging.INFO)
    cli = timed(
        lambda _: subprocess.run(
            [
                str(Path(sys.executable).with_name("python-lambda-local")),
                "-f",
                "handler",
                str(work / "app.py"),
                str(work / "event.json"),
            ],
            check=True,
            capture_output=True,
        ),
        args.plambda,
    )

    def api_call(i: int) -> None:
        context = Context(3)
        loader = FunctionLoader(request_id=context.aws_request_id, source=str(work / "app.py"), function_name="handler")
        _runner(loader, {"n": i}, context)

    api = timed(api_call, args.plambda * 3)
    results["plambda_cli_ms_median"] = statistics.median(cli)
    results["plambda_api_ms_median"] = statistics.median(api)
    results["ratio_plambda_cli_per_call_over_lambdalab_warm_api"] = (
        results["plambda_cli_ms_median"] / results["warm_api_ms_median"]
    )
    results["ratio_plambda_api_per_call_over_lambdalab_warm_api"] = (
        results["plambda_api_ms_median"] / results["warm_api_ms_median"]
    )
    results["ratio_plambda_cli_per_call_over_lambdalab_warm_boto3"] = (
        results["plambda_cli_ms_median"] / results["warm_boto3_ms_median"]
    )
    results["ratio_lambdalab_cold_over_plambda_cli"] = (
        results["cold_invoke_ms_median"] / results["plambda_cli_ms_median"]
    )

    lambdalab.sandbox().reset()
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value:10.2f}")
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "runtime.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
