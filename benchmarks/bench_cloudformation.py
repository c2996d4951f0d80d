"""How long a typical SAM application takes to deploy, update and delete on the sandbox.

Run: ``python benchmarks/bench_cloudformation.py [--rounds 3]``.

The application is the one ``tests/cloudformation`` deploys (HTTP API function behind an alias with a layer,
a function URL, an SQS consumer with a dead-letter queue, an S3 trigger, a schedule and a table: 20
resources after the SAM transform). Reported, per phase, through boto3's CloudFormation calls:

- first deploy in the process (includes importing moto's CloudFormation and the SAM translator);
- later deploys of a fresh stack (create change set, execute);
- an update that changes the code (a new version, the alias moved);
- delete.

Times depend on the machine and its load; compare phases within one run, not runs across machines.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "cloudformation"))

from cfn_helpers import deploy, zipped  # noqa: E402
from typical_app import HANDLER, LAYER, TEMPLATE  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import lambdalab

    box = lambdalab.sandbox()
    s3, cloudformation = box.client("s3"), box.client("cloudformation")
    s3.create_bucket(Bucket="bench-artifacts")

    def upload(files: dict[str, str]) -> str:
        key = f"{uuid.uuid4().hex}.zip"
        s3.put_object(Bucket="bench-artifacts", Key=key, Body=zipped(files))
        return f"s3://bench-artifacts/{key}"

    def template(release: str) -> str:
        return TEMPLATE.substitute(code=upload({"app.py": HANDLER.substitute(release=release)}), layer=upload(LAYER))

    phases: dict[str, list[float]] = {"create": [], "update": [], "delete": []}
    first = None
    for round_number in range(args.rounds):
        name = f"bench-{round_number}"
        started = time.perf_counter()
        stack = deploy(cloudformation, name, template("one"))
        elapsed = time.perf_counter() - started
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        if first is None:
            first = elapsed
        else:
            phases["create"].append(elapsed)
        started = time.perf_counter()
        stack = deploy(cloudformation, name, template("two"), update=True)
        phases["update"].append(time.perf_counter() - started)
        assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
        bucket = next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "Bucket")
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
        started = time.perf_counter()
        cloudformation.delete_stack(StackName=name)
        phases["delete"].append(time.perf_counter() - started)
    resources = len(cloudformation.list_stack_resources(StackName=stack["StackId"])["StackResourceSummaries"])
    print(f"typical SAM application: {resources} resources after the transform")
    print(f"  first deploy in the process: {first:6.2f} s")
    for phase, samples in phases.items():
        if samples:
            print(f"  {phase:>6} (median of {len(samples)}): {statistics.median(samples):6.2f} s")
    box.stop()


if __name__ == "__main__":
    main()
