"""Where the time of ``sam deploy`` goes: the real SAM CLI against the sandbox, split into the CLI's part and the
sandbox's CloudFormation work.

Run: ``python benchmarks/bench_sam_deploy.py [--rounds 2]`` (needs the AWS SAM CLI: ``python3 course.py`` installs
it, and ``sam build`` without Docker needs ``python3.11`` on PATH, the runtime of ``examples/sam-app``).

One run, side by side, on ``examples/sam-app`` (lesson 06's template, 24 resources after the transform):

- ``sam --version``: the SAM CLI's start-up alone (Python imports, no request);
- ``sam build``: copying code and layer into ``.aws-sam/build``;
- ``sam deploy --resolve-s3`` of a new stack, timed around the subprocess, with the first and last stack event's
  timestamps (what the sandbox's CloudFormation spent creating resources);
- ``sam deploy`` again with nothing changed, and ``sam list stack-outputs``: the CLI's fixed cost per command;
- the same packaged template (read back with ``GetTemplate``) deployed to a second stack through boto3:
  ``CreateChangeSet`` (the SAM transform and the plan) and ``ExecuteChangeSet`` (creating the resources), each
  timed — the sandbox's part without the CLI.

The CLI's own share is the deploy's wall time minus the boto3 deploy of the same template. The first deploy in a
process costs the sandbox several CPU seconds more than later ones: importing moto's CloudFormation imports every
moto service a template can name (``moto.cloudformation.parsing``). Times depend on the
machine and its load; compare the lines of one run, not runs across machines.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

APP = Path(__file__).resolve().parents[1] / "examples" / "sam-app"
DEPLOY = [
    "deploy",
    "--resolve-s3",
    "--capabilities",
    "CAPABILITY_IAM",
    "--no-confirm-changeset",
    "--no-fail-on-empty-changeset",
]


def sam_command() -> str:
    found = shutil.which("sam", path=str(Path(sys.executable).parent)) or shutil.which("sam")
    if found is None:
        sys.exit("no AWS SAM CLI: run `python3 course.py` (it installs the SAM CLI beside .venv's python)")
    if shutil.which("python3.11") is None:
        sys.exit("sam build without Docker needs python3.11 on PATH (examples/sam-app's runtime)")
    return found


@dataclass(frozen=True)
class Spent:
    """One phase: wall seconds, and CPU seconds of the SAM CLI (a child process), of the sandbox (this process)
    and of the execution environments it runs (its live child processes: functions' init and invokes)."""

    wall: float
    cli_cpu: float
    sandbox_cpu: float
    environments_cpu: float = 0.0


class Stopwatch:
    """Wall time and CPU time split by who spent it: CPU is what load on a shared machine does not inflate."""

    def __enter__(self) -> Stopwatch:
        self._wall, self._own, self._children = time.perf_counter(), time.process_time(), _children_cpu()
        self._environments = _environments_cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.spent = Spent(
            time.perf_counter() - self._wall,
            _children_cpu() - self._children,
            time.process_time() - self._own,
            _environments_cpu() - self._environments,
        )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _environments_cpu() -> float:
    """CPU seconds of this process's live children (the execution environments; the SAM CLI has ended)."""
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def timed(command: list[str], cwd: Path) -> Spent:
    with Stopwatch() as watch:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(command[:2])} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return watch.spent


def event_span(cloudformation, stack_name: str) -> float:
    """Seconds from the stack's first event to its last (the resources' creation as CloudFormation logged it)."""
    events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    stamps = [e["Timestamp"] for e in events]
    return (max(stamps) - min(stamps)).total_seconds()


def empty_buckets(box, cloudformation, stack_name: str) -> None:
    s3 = box.client("s3")
    for summary in cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]:
        if summary["ResourceType"] == "AWS::S3::Bucket":
            for item in s3.list_objects_v2(Bucket=summary["PhysicalResourceId"]).get("Contents", []):
                s3.delete_object(Bucket=summary["PhysicalResourceId"], Key=item["Key"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sam = sam_command()

    import lambdalab

    box = lambdalab.sandbox()  # sets AWS_ENDPOINT_URL, the region, fast polling and no telemetry for subprocesses
    cloudformation = box.client("cloudformation")
    work = Path(tempfile.mkdtemp(prefix="bench-sam-")) / "sam-app"
    shutil.copytree(APP, work, ignore=shutil.ignore_patterns(".aws-sam"))
    samples: dict[str, list[Spent]] = {}

    def note(phase: str, spent: Spent) -> None:
        samples.setdefault(phase, []).append(spent)

    try:
        for round_number in range(args.rounds):
            note("sam --version (start-up only)", timed([sam, "--version"], work))
            note("sam build", timed([sam, "build"], work))
            stack = f"bench-sam-{round_number}"
            note("sam deploy, new stack", timed([sam, *DEPLOY, "--stack-name", stack], work))
            note("  of which stack events span", Spent(event_span(cloudformation, stack), 0.0, 0.0))
            body = cloudformation.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
            body = body if isinstance(body, str) else json.dumps(body)

            note("sam deploy, nothing changed", timed([sam, *DEPLOY, "--stack-name", stack], work))
            note("sam list stack-outputs", timed([sam, "list", "stack-outputs", "--stack-name", stack], work))
            # The schedule's name is fixed by SAM (the function's id and the event's), so the twin waits for this
            # stack to go, as it would on AWS.
            empty_buckets(box, cloudformation, stack)
            cloudformation.delete_stack(StackName=stack)

            twin = f"bench-boto3-{round_number}"
            planning = Stopwatch().__enter__()
            change_set = cloudformation.create_change_set(
                StackName=twin,
                ChangeSetName="first",
                ChangeSetType="CREATE",
                TemplateBody=body,
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
            )
            while (described := cloudformation.describe_change_set(ChangeSetName=change_set["Id"]))["Status"] in (
                "CREATE_PENDING",
                "CREATE_IN_PROGRESS",
            ):
                time.sleep(0.05)
            planning.__exit__()
            executing = Stopwatch().__enter__()
            assert described["Status"] == "CREATE_COMPLETE", described.get("StatusReason")
            cloudformation.execute_change_set(ChangeSetName=change_set["Id"])
            while (status := cloudformation.describe_stacks(StackName=twin)["Stacks"][0]["StackStatus"]).endswith(
                "IN_PROGRESS"
            ):
                time.sleep(0.05)
            executing.__exit__()
            if status != "CREATE_COMPLETE":
                failed = [
                    f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
                    for e in cloudformation.describe_stack_events(StackName=twin)["StackEvents"]
                    if e["ResourceStatus"].endswith("FAILED")
                ]
                sys.exit(f"the boto3 deploy ended {status}: {failed}")
            plan, execute = planning.spent, executing.spent
            note("boto3 create_change_set (transform + plan)", plan)
            note("boto3 execute_change_set (resources)", execute)
            note(
                "boto3 deploy of the same template",
                Spent(
                    plan.wall + execute.wall,
                    0.0,
                    plan.sandbox_cpu + execute.sandbox_cpu,
                    plan.environments_cpu + execute.environments_cpu,
                ),
            )
            empty_buckets(box, cloudformation, twin)
            cloudformation.delete_stack(StackName=twin)
    finally:
        shutil.rmtree(work.parent, ignore_errors=True)
        box.stop()

    def median(phase: str, part: str) -> float:
        return statistics.median(getattr(spent, part) for spent in samples[phase])

    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"examples/sam-app with the real SAM CLI: median of {args.rounds} rounds; load average {load}")
    print(f"  {'phase':45} {'wall':>7} {'CLI CPU':>8} {'sandbox CPU':>12} {'environments CPU':>17}")
    for phase in samples:
        print(
            f"  {phase:45} {median(phase, 'wall'):6.2f}s {median(phase, 'cli_cpu'):7.2f}s "
            f"{median(phase, 'sandbox_cpu'):11.2f}s {median(phase, 'environments_cpu'):16.2f}s"
        )
    firsts = samples["sam deploy, new stack"]
    print(
        "  sam deploy, new stack, round by round (the first in the process imports CloudFormation and the translator):"
    )
    for number, spent in enumerate(firsts, 1):
        print(
            f"    round {number}: wall {spent.wall:.2f}s, CLI CPU {spent.cli_cpu:.2f}s,"
            f" sandbox CPU {spent.sandbox_cpu:.2f}s"
        )
    cli_share = median("sam deploy, new stack", "wall") - median("boto3 deploy of the same template", "wall")
    print(f"  {'sam deploy minus the boto3 deploy (the CLI)':45} {cli_share:6.2f}s")
    print("CPU seconds do not grow with other processes' load. On an idle machine a deploy's wall time is about its")
    print("CLI and sandbox CPU plus the CLI's polling sleeps (SAM_CLI_POLL_DELAY); environments start beside it.")


if __name__ == "__main__":
    main()
