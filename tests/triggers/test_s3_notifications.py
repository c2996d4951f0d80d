"""S3 → Lambda: notifications invoke asynchronously, with AWS's record, encoded keys and filters.

Each function here answers with the event it received; an on-success destination queue collects those
answers (what an asynchronous invocation returns goes nowhere else), so the tests read exactly what the
function saw.
"""

from __future__ import annotations

import json
import uuid

import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event

import lambdalab
from lambdalab.service import moto_patching
from lambdalab.service.async_invoke import invoker
from lambdalab.triggers.s3 import S3Trigger

ECHO = "import json\ndef handler(event, context):\n    return event\n"
#: Answers only once the file named by GATE exists: the test opens the gate after it has looked.
GATED_ECHO = (
    "import os, time\n"
    "def handler(event, context):\n"
    "    while not os.path.exists(os.environ['GATE']):\n"
    "        time.sleep(0.01)\n"
    "    return event\n"
)
FAILING = (
    "def handler(event, context):\n"
    "    raise RuntimeError('cannot read ' + event['Records'][0]['s3']['object']['key'])\n"
)


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture(scope="module")
def clients(box):
    return box.client("s3"), box.client("sqs"), box.client("lambda")


@pytest.fixture
def wired(box, clients):
    """A bucket and a function whose successful (and failed) invocations land in two queues."""
    s3, sqs, lam = clients
    suffix = uuid.uuid4().hex[:8]
    bucket, function = f"bucket-{suffix}", f"echo-{suffix}"
    s3.create_bucket(Bucket=bucket)
    fn = lambdalab.deploy(function, code=ECHO)
    queues = {kind: sqs.create_queue(QueueName=f"{kind}-{suffix}")["QueueUrl"] for kind in ("ok", "failed")}
    lam.put_function_event_invoke_config(
        FunctionName=function,
        MaximumRetryAttempts=2,
        DestinationConfig={
            "OnSuccess": {"Destination": f"arn:aws:sqs:us-east-1:123456789012:ok-{suffix}"},
            "OnFailure": {"Destination": f"arn:aws:sqs:us-east-1:123456789012:failed-{suffix}"},
        },
    )
    return {"bucket": bucket, "function": function, "arn": fn.arn, "queues": queues}


def notify(s3, bucket, arn, events, **key_filter):
    config = {"Id": "to-lambda", "LambdaFunctionArn": arn, "Events": events}
    if key_filter:
        config["Filter"] = {"Key": {"FilterRules": [{"Name": k, "Value": v} for k, v in key_filter.items()]}}
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": [config]}
    )


def records(box, sqs, url):
    """The invocation records that reached a destination queue, once Lambda's async queue is idle."""
    assert invoker(box.lambda_service).drain(timeout=30)
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_the_patches_replace_moto_s_synchronous_error_swallowing_path(box):
    from moto.s3 import notifications
    from moto.s3.models import Notification

    assert moto_patching.is_replaced(notifications, "_invoke_awslambda")
    assert moto_patching.is_replaced(notifications, "_get_s3_event")
    assert moto_patching.is_replaced(Notification, "_key_matches")


def test_a_put_invokes_the_function_with_aws_record_and_the_key_url_encoded(box, clients, wired):
    s3, sqs, _ = clients
    notify(s3, wired["bucket"], wired["arn"], ["s3:ObjectCreated:Put"])
    key = "uploads/Ünïcode report (v2)+final.pdf"
    s3.put_object(Bucket=wired["bucket"], Key=key, Body=b"%PDF-1.7")
    [record] = records(box, sqs, wired["queues"]["ok"])
    event = record["responsePayload"]
    [s3_record] = event["Records"]
    assert s3_record["eventName"] == "ObjectCreated:Put"
    assert s3_record["eventSource"] == "aws:s3" and s3_record["eventVersion"] == "2.1"
    assert s3_record["s3"]["object"]["key"] == "uploads/%C3%9Cn%C3%AFcode+report+%28v2%29%2Bfinal.pdf"
    assert s3_record["s3"]["object"]["size"] == 8
    assert s3_record["s3"]["configurationId"] == "to-lambda"
    assert S3Event(event).object_key == key
    assert record["requestContext"]["condition"] == "Success"


def test_the_wildcard_catches_every_way_of_creating_an_object_and_names_each_one(box, clients, wired):
    s3, sqs, _ = clients
    notify(s3, wired["bucket"], wired["arn"], ["s3:ObjectCreated:*"])
    s3.put_object(Bucket=wired["bucket"], Key="a.txt", Body=b"a")
    s3.copy_object(Bucket=wired["bucket"], Key="b.txt", CopySource={"Bucket": wired["bucket"], "Key": "a.txt"})
    upload = s3.create_multipart_upload(Bucket=wired["bucket"], Key="c.bin")
    part = s3.upload_part(
        Bucket=wired["bucket"], Key="c.bin", UploadId=upload["UploadId"], PartNumber=1, Body=b"c" * 10
    )
    s3.complete_multipart_upload(
        Bucket=wired["bucket"],
        Key="c.bin",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    s3.delete_object(Bucket=wired["bucket"], Key="a.txt")  # not an ObjectCreated event
    names = sorted(
        (r["responsePayload"]["Records"][0]["s3"]["object"]["key"], r["responsePayload"]["Records"][0]["eventName"])
        for r in records(box, sqs, wired["queues"]["ok"])
    )
    assert names == [
        ("a.txt", "ObjectCreated:Put"),
        ("b.txt", "ObjectCreated:Copy"),
        ("c.bin", "ObjectCreated:CompleteMultipartUpload"),
    ]


def test_a_delete_sends_object_removed_without_size_or_etag(box, clients, wired):
    s3, sqs, _ = clients
    s3.put_object(Bucket=wired["bucket"], Key="gone.txt", Body=b"x")
    notify(s3, wired["bucket"], wired["arn"], ["s3:ObjectRemoved:*"])
    s3.delete_object(Bucket=wired["bucket"], Key="gone.txt")
    [record] = records(box, sqs, wired["queues"]["ok"])
    [s3_record] = record["responsePayload"]["Records"]
    assert s3_record["eventName"] == "ObjectRemoved:Delete"
    assert set(s3_record["s3"]["object"]) == {"key", "sequencer"}


def test_prefix_and_suffix_filters_match_the_encoded_key_as_s3_s_guide_says(box, clients, wired):
    s3, sqs, _ = clients
    # "If your prefix or suffix contains a space, you must replace it with the '+' character."
    notify(s3, wired["bucket"], wired["arn"], ["s3:ObjectCreated:*"], prefix="my+photos/", suffix=".jpg")
    for key in ("my photos/cat.jpg", "my photos/cat.png", "other/cat.jpg", "my photos/sub/dog.jpg"):
        s3.put_object(Bucket=wired["bucket"], Key=key, Body=b"img")
    keys = sorted(S3Event(r["responsePayload"]).object_key for r in records(box, sqs, wired["queues"]["ok"]))
    assert keys == ["my photos/cat.jpg", "my photos/sub/dog.jpg"]


def test_put_object_returns_before_the_function_has_run(box, clients, wired, tmp_path):
    s3, sqs, lam = clients
    gate = tmp_path / "gate"
    # A new function (destinations again) that cannot finish until the gate opens, whatever the load.
    lambdalab.deploy(wired["function"], code=GATED_ECHO, timeout=60, environment={"GATE": str(gate)})
    lam.put_function_event_invoke_config(
        FunctionName=wired["function"],
        DestinationConfig={
            "OnSuccess": {"Destination": f"arn:aws:sqs:us-east-1:123456789012:{wired['queues']['ok'].split('/')[-1]}"}
        },
    )
    notify(s3, wired["bucket"], wired["arn"], ["s3:ObjectCreated:*"])
    s3.put_object(Bucket=wired["bucket"], Key="slow.txt", Body=b"x")
    assert sqs.receive_message(QueueUrl=wired["queues"]["ok"]).get("Messages", []) == []  # still running
    gate.touch()
    assert len(records(box, sqs, wired["queues"]["ok"])) == 1


def test_a_failing_function_gets_lambda_s_two_async_retries_then_the_failure_destination(box, clients, wired):
    s3, sqs, lam = clients
    box.async_invocations.set_retry_delays(0.05, 0.05)
    lambdalab.deploy(wired["function"], code=FAILING)
    lam.put_function_event_invoke_config(
        FunctionName=wired["function"],
        MaximumRetryAttempts=2,
        DestinationConfig={
            "OnFailure": {
                "Destination": f"arn:aws:sqs:us-east-1:123456789012:{wired['queues']['failed'].split('/')[-1]}"
            }
        },
    )
    notify(s3, wired["bucket"], wired["arn"], ["s3:ObjectCreated:Put"])
    s3.put_object(Bucket=wired["bucket"], Key="bad file.csv", Body=b"x")
    [failure] = records(box, sqs, wired["queues"]["failed"])
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["responsePayload"]["errorMessage"] == "cannot read bad+file.csv"


def test_a_notification_to_a_missing_function_does_not_fail_the_upload(box, clients, wired):
    s3, _, lam = clients
    notify(s3, wired["bucket"], wired["arn"], ["s3:ObjectCreated:*"])
    lam.delete_function(FunctionName=wired["function"])
    s3.put_object(Bucket=wired["bucket"], Key="orphan.txt", Body=b"x")
    undelivered = box.trigger(S3Trigger).undelivered
    assert undelivered and undelivered[-1]["function"] == wired["arn"]
