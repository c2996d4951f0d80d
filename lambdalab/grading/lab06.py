"""Lesson 06's lab: repair a SAM template that lints clean and still cannot deploy, then extend one with an S3
trigger, an HTTP API route and an alias.

Every check deploys the learner's template to the sandbox's CloudFormation, as ``sam deploy`` would after
uploading the code — with the check's own *probe* as every function's code, so what is judged is the
template — then sends traffic the learner has not seen through each trigger (orders with poison messages
among them, uploads with keys that must and must not match the filter, requests with fresh ids). The probe
reports every event it receives to a queue the check reads. A stack that fails is explained with
CloudFormation's own status reason.
"""

from __future__ import annotations

import copy
import io
import json
import random
import string
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdalab.grading import checker, exercise, failed, passed
from lambdalab.grading.results import CheckResult

check = checker("06")

REPAIR_FILE = "lab06/ex1/template.yaml"
EXTEND_FILE = "lab06/ex2/template.yaml"
SERVERLESS_FUNCTION = "AWS::Serverless::Function"

#: Every function of the learner's template runs this: it reports each event to RESULTS_QUEUE and fails, one
#: by one, the queued messages whose body contains "poison".
PROBE = """
import json, os
import boto3

SQS = boto3.client("sqs")


def handler(event, context):
    records = event.get("Records") or []
    source = records[0].get("eventSource") if records else ("http" if "requestContext" in event else "direct")
    report = {"source": source, "function_arn": context.invoked_function_arn, "version": context.function_version}
    if source == "aws:sqs":
        report["bodies"] = [r["body"] for r in records]
    elif source == "aws:s3":
        report["keys"] = [r["s3"]["object"]["key"] for r in records]
    elif source == "http":
        report["route"] = event.get("routeKey")
        report["path_parameters"] = event.get("pathParameters")
    SQS.send_message(QueueUrl=os.environ["RESULTS_QUEUE"], MessageBody=json.dumps(report))
    if source == "aws:sqs":
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if "poison" in r["body"]]}
    return {"statusCode": 200, "body": json.dumps(report)}
"""


class TemplateProblem(Exception):
    """The learner's template cannot be deployed; the message says why, for the learner."""

    def __init__(self, expected: str, got: str, hint: str) -> None:
        super().__init__(got)
        self.expected, self.got, self.hint = expected, got, hint


@dataclass(frozen=True)
class Deployed:
    """A learner's stack on the sandbox: its resources by type, and the queue the probe reports to."""

    stack_name: str
    resources: dict[str, list[dict[str, str]]]
    results_queue: str

    def physical(self, kind: str) -> list[str]:
        return [r["PhysicalResourceId"] for r in self.resources.get(kind, [])]


def _word(rng: random.Random, n: int = 6) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def _load(answer: Path, relative: str) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    text = (answer / relative).read_text(encoding="utf-8")
    try:
        template = yaml_parse(text)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the learner's YAML
        raise TemplateProblem(
            "a template that parses as YAML",
            f"{type(exc).__name__}: {exc}"[:300],
            "check the indentation (spaces only) around the line named",
        ) from None
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise TemplateProblem(
            "a template with a Resources section",
            f"{type(template).__name__} without Resources",
            "start from the template given above the exercise",
        )
    return template


def _with_probe(template: dict[str, Any], code_uri: str, results_queue: str) -> dict[str, Any]:
    """The template as ``sam deploy`` would send it, with the probe as every function's code."""
    template = copy.deepcopy(template)
    functions = [
        r for r in template["Resources"].values() if isinstance(r, dict) and r.get("Type") == SERVERLESS_FUNCTION
    ]
    if not functions:
        raise TemplateProblem(
            f"at least one {SERVERLESS_FUNCTION}",
            "no function in the template",
            "keep the function of the template given above the exercise",
        )
    for function in functions:
        properties = function.setdefault("Properties", {})
        properties["CodeUri"], properties["Handler"] = code_uri, "lambdalab_probe.handler"
        variables = properties.setdefault("Environment", {}).setdefault("Variables", {})
        variables["RESULTS_QUEUE"] = results_queue
    return template


@contextmanager
def deployed(answer: Path, relative: str) -> Iterator[Deployed]:
    """Deploy the learner's template (with the probe as its code) as a stack; delete everything afterwards."""
    import lambdalab

    template = _load(answer, relative)
    box = lambdalab.sandbox()
    s3, sqs, cloudformation = box.client("s3"), box.client("sqs"), box.client("cloudformation")
    tag = uuid.uuid4().hex[:8]
    bucket, stack_name = f"check-artifacts-{tag}", f"check-lab06-{tag}"
    s3.create_bucket(Bucket=bucket)
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("lambdalab_probe.py", PROBE)
    s3.put_object(Bucket=bucket, Key="probe.zip", Body=package.getvalue())
    results = sqs.create_queue(QueueName=f"check-results-{tag}")["QueueUrl"]
    body = json.dumps(_with_probe(template, f"s3://{bucket}/probe.zip", results))
    try:
        try:
            cloudformation.create_stack(
                StackName=stack_name, TemplateBody=body, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
            )
        except cloudformation.exceptions.ClientError as exc:
            raise TemplateProblem(
                "CloudFormation accepts the template",
                exc.response["Error"]["Message"][:400],
                "run sam validate and sam validate --lint on it first",
            ) from None
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise TemplateProblem(
                "the stack reaches CREATE_COMPLETE",
                _first_failure(cloudformation, stack_name),
                "the reason is the service's own error: fix the property it names",
            )
        resources: dict[str, list[dict[str, str]]] = {}
        for resource in cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]:
            resources.setdefault(resource["ResourceType"], []).append(resource)
        yield Deployed(stack_name, resources, results)
    finally:
        _empty_buckets(s3, cloudformation, stack_name)
        cloudformation.delete_stack(StackName=stack_name)
        sqs.delete_queue(QueueUrl=results)
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=bucket)


def _first_failure(cloudformation: Any, stack_name: str) -> str:
    events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    for event in reversed(events):  # newest first on the wire: the first failure is the oldest one
        if event["ResourceStatus"].endswith("_FAILED") and event.get("ResourceStatusReason"):
            return f"{event['LogicalResourceId']}: {event['ResourceStatusReason']}"[:500]
    return cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]


def _empty_buckets(s3: Any, cloudformation: Any, stack_name: str) -> None:
    try:
        summaries = cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    except Exception:  # noqa: BLE001 - a stack that never existed holds no bucket
        return
    for resource in summaries:
        if resource["ResourceType"] == "AWS::S3::Bucket" and resource.get("PhysicalResourceId"):
            try:
                for item in s3.list_objects_v2(Bucket=resource["PhysicalResourceId"]).get("Contents", []):
                    s3.delete_object(Bucket=resource["PhysicalResourceId"], Key=item["Key"])
            except Exception:  # noqa: BLE001 - already gone
                pass


def _reports(deployment: Deployed, until: Any, within_s: float = 30.0) -> list[dict[str, Any]]:
    """What the probe reported, read until ``until(reports)`` holds or time is up."""
    import lambdalab

    sqs = lambdalab.sandbox().client("sqs")
    reports: list[dict[str, Any]] = []
    deadline = time.monotonic() + within_s
    while not until(reports) and time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=deployment.results_queue, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            reports.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=deployment.results_queue, ReceiptHandle=message["ReceiptHandle"])
    return reports


def _messages_left(sqs: Any, queue_url: str, settle_at: int, within_s: float = 10.0) -> int:
    """Messages still in the queue (visible or in flight), once Lambda has deleted what succeeded."""
    deadline = time.monotonic() + within_s
    while True:
        left = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        count = int(left["ApproximateNumberOfMessagesNotVisible"]) + int(left["ApproximateNumberOfMessages"])
        if count <= settle_at or time.monotonic() > deadline:
            return count
        time.sleep(0.2)


def _verdict(run: Any) -> CheckResult:
    try:
        return run()
    except TemplateProblem as problem:
        return failed(expected=problem.expected, got=problem.got, hint=problem.hint)


@exercise(lab="06", number=1, title="Repair an order consumer's template", files=[REPAIR_FILE])
def repair(answer: Path) -> CheckResult:
    return _verdict(lambda: _repair(answer))


def _repair(answer: Path) -> CheckResult:
    import lambdalab

    rng = random.Random()
    with deployed(answer, REPAIR_FILE) as stack:
        box = lambdalab.sandbox()
        lam, sqs = box.client("lambda"), box.client("sqs")
        (function,) = stack.physical("AWS::Lambda::Function")[:1] or [None]
        queues = stack.physical("AWS::SQS::Queue")
        mappings = lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"] if function else []
        if not mappings:
            return failed(
                expected="an SQS event on the function",
                got="no event source mapping",
                hint="keep the function's SQS event",
            )
        mapping = mappings[0]
        source = next(
            q
            for q in queues
            if sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            == mapping["EventSourceArn"]
        )
        attributes = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["All"])["Attributes"]
        timeout = lam.get_function_configuration(FunctionName=function)["Timeout"]
        if int(attributes["VisibilityTimeout"]) < 6 * timeout:
            return failed(
                expected=f"a visibility timeout of at least 6 × {timeout} s (the function timeout)",
                got=f"VisibilityTimeout {attributes['VisibilityTimeout']} s",
                hint="AWS recommends six times the function timeout, so retries of a throttled batch do not overlap",
            )
        redrive = json.loads(attributes.get("RedrivePolicy") or "{}")
        if not redrive.get("deadLetterTargetArn") or not 1 <= int(redrive.get("maxReceiveCount", 0)) <= 5:
            return failed(
                expected="a RedrivePolicy to a dead-letter queue with maxReceiveCount from 1 to 5",
                got=f"RedrivePolicy {redrive or 'missing'}",
                hint="declare the dead-letter queue as a resource and point deadLetterTargetArn at it",
            )
        if "ReportBatchItemFailures" not in mapping.get("FunctionResponseTypes", []):
            return failed(
                expected="FunctionResponseTypes [ReportBatchItemFailures] on the SQS event",
                got=f"FunctionResponseTypes {mapping.get('FunctionResponseTypes', [])}",
                hint="without it Lambda ignores the batchItemFailures the function returns",
            )
        good = [json.dumps({"id": _word(rng), "quantity": rng.randrange(1, 9)}) for _ in range(rng.randrange(4, 9))]
        poison = [f"poison-{_word(rng)}" for _ in range(rng.randrange(1, 3))]
        for body in rng.sample(good + poison, len(good) + len(poison)):
            sqs.send_message(QueueUrl=source, MessageBody=body)
        seen = _reports(stack, lambda r: set(good + poison) <= {b for x in r for b in x.get("bodies", [])})
        bodies = {b for report in seen for b in report.get("bodies", [])}
        if not set(good) <= bodies:
            return failed(
                expected=f"all {len(good)} orders sent to the queue reach the function",
                got=f"{len(set(good) & bodies)} of them did",
                hint="the SQS event must name this queue",
            )
        in_flight = _messages_left(sqs, source, settle_at=len(poison))
        if in_flight != len(poison):
            return failed(
                expected=f"only the {len(poison)} failed message(s) left in the queue",
                got=f"{in_flight} message(s) left",
                hint="the batch's good messages must be deleted",
            )
    return passed(got="deployed; every order processed, each poison message left in the queue for retries and the DLQ")


@exercise(lab="06", number=2, title="Add an S3 trigger, an HTTP API route and an alias", files=[EXTEND_FILE])
def extend(answer: Path) -> CheckResult:
    return _verdict(lambda: _extend(answer))


def _extend(answer: Path) -> CheckResult:
    import requests

    import lambdalab

    rng = random.Random()
    with deployed(answer, EXTEND_FILE) as stack:
        box = lambdalab.sandbox()
        aliases = stack.physical("AWS::Lambda::Alias")
        if not any(a.endswith(":live") for a in aliases):
            return failed(
                expected="an alias named live",
                got=f"aliases {aliases or 'none'}",
                hint="AutoPublishAlias: live on the function (or in Globals)",
            )
        buckets = stack.physical("AWS::S3::Bucket")
        apis = stack.physical("AWS::ApiGatewayV2::Api")
        if not buckets or not apis:
            return failed(
                expected="a bucket and an HTTP API in the stack",
                got=f"{len(buckets)} bucket(s), {len(apis)} HTTP API(s)",
                hint="declare the Uploads bucket and give the function an S3 and an HttpApi event",
            )
        s3 = box.client("s3")
        wanted = [f"incoming/{_word(rng)}.csv" for _ in range(rng.randrange(1, 4))]
        unwanted = [f"incoming/{_word(rng)}.txt", f"{_word(rng)}/{_word(rng)}.csv", f"{_word(rng)}.csv"]
        for key in rng.sample(wanted + unwanted, len(wanted) + len(unwanted)):
            for bucket in buckets:
                s3.put_object(Bucket=bucket, Key=key, Body=b"item,quantity\n")
        order_id = _word(rng, 8)
        response = requests.get(f"{lambdalab.api_url(apis[0])}/orders/{order_id}", timeout=10)
        reports = _reports(
            stack,
            lambda r: (
                set(wanted) <= {k for x in r for k in x.get("keys", [])} and any(x["source"] == "http" for x in r)
            ),
        )
        time.sleep(1)
        reports += _reports(stack, lambda r: False, within_s=1)
        keys = sorted({k for report in reports for k in report.get("keys", [])})
        if keys != sorted(wanted):
            return failed(
                expected=f"exactly the uploads under incoming/ ending in .csv: {sorted(wanted)}",
                got=f"the function was told of {keys}",
                hint="an S3 event with Filter: S3Key: Rules: prefix incoming/ and suffix .csv",
            )
        http = [r for r in reports if r["source"] == "http"]
        if response.status_code != 200 or not http or (http[0].get("path_parameters") or {}).get("id") != order_id:
            return failed(
                expected=f"GET /orders/{order_id} through the HTTP API reaches the function with id {order_id}",
                got=f"HTTP {response.status_code} {response.text[:120]!r}",
                hint="an HttpApi event with Path /orders/{id} and Method get",
            )
        # A trigger on the alias runs the version the alias points at (and the handler's invoked_function_arn
        # ends in the alias); one on the function runs $LATEST.
        not_on_alias = sorted({f"{r['source']} ran {r['version']}" for r in reports if r["version"] == "$LATEST"})
        if not_on_alias:
            return failed(
                expected="every trigger invokes the alias live",
                got=f"invoked as {not_on_alias}",
                hint="AutoPublishAlias makes SAM point every event at the alias",
            )
    return passed(got="deployed; only the matching uploads and GET /orders/{id} reached the function, through live")
