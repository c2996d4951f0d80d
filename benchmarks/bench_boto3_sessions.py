"""CPU a new boto3 session costs, with a loader of its own (botocore's default) and with the shared one.

Run: ``python benchmarks/bench_boto3_sessions.py [--repeat 9] [--sessions 20]``

``lambdalab.service.botocore_data`` gives every botocore session of the process one data loader per search
path, so a new session stops re-parsing AWS's JSON models. Two things a sandbox's process does with new
sessions are timed here, each ``--sessions`` times per repeat, first with a loader per session, then with
the shared loader (in this thread, CPU time, both in one run; the shared loader is warmed once before the
first repeat, as it is after a sandbox's first client):

- ``boto3.session.Session().client("lambda")``: what a learner's plain ``boto3.client("lambda")`` does after
  ``lambdalab.sandbox()`` has started the default session afresh;
- ``Session().get_available_regions("ec2")``: what moto does three times when it is imported.

Results go to ``benchmarks/results/boto3_sessions.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import boto3
import botocore.loaders

from lambdalab.service.botocore_data import shared_loader


def new_session(*, shared: bool) -> boto3.session.Session:
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="testing",
                                    aws_secret_access_key="testing")
    loader = shared_loader() if shared else botocore.loaders.create_loader()
    session._session.register_component("data_loader", loader)
    return session


WORK: dict[str, Callable[[boto3.session.Session], object]] = {
    "new session, first Lambda client": lambda s: s.client("lambda", endpoint_url="http://127.0.0.1:1"),
    "new session, EC2's Regions (moto's import)": lambda s: s.get_available_regions("ec2"),
}


def cpu_ms_each(work: Callable[[boto3.session.Session], object], *, shared: bool, sessions: int) -> float:
    start = time.thread_time()
    for _ in range(sessions):
        work(new_session(shared=shared))
    return (time.thread_time() - start) * 1000 / sessions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "boto3_sessions.json")
    args = parser.parse_args()
    for work in WORK.values():  # the shared loader as a running sandbox has it: already holding the models
        work(new_session(shared=True))
    summary: dict[str, object] = {}
    for name, work in WORK.items():
        own, shared = [], []
        for _ in range(args.repeat):
            own.append(cpu_ms_each(work, shared=False, sessions=args.sessions))
            shared.append(cpu_ms_each(work, shared=True, sessions=args.sessions))
        ratios = [a / b for a, b in zip(own, shared, strict=True)]
        summary[name] = {"own_loader_ms": statistics.median(own), "shared_loader_ms": statistics.median(shared),
                         "ratio_median": statistics.median(ratios), "ratio_min": min(ratios),
                         "ratio_max": max(ratios)}
        print(f"{name}: {statistics.median(own):.1f} ms with its own loader, {statistics.median(shared):.1f} ms "
              f"shared, {statistics.median(ratios):.1f}x ({min(ratios):.1f}-{max(ratios):.1f}x)")
    summary["machine"] = {"python": platform.python_version(), "processor": platform.processor() or platform.machine()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
