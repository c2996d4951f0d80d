"""Asynchronous invocation with Lambda's retries and destinations; layers on the import path."""

from __future__ import annotations

import json

import pytest

import lambdalab
from lambdalab.service.async_invoke import invoker

FLAKY = """
import json
def handler(event, context):
    print("attempt", json.dumps(event))
    if event.get("fail"):
        raise RuntimeError("always fails")
    return {"ok": event}
"""


@pytest.fixture
def queues(box):
    sqs = box.client("sqs")
    urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("on-failure", "on-success", "dlq")}
    return sqs, urls


def messages(sqs, url):
    return [json.loads(m["Body"]) if m["Body"].startswith("{") else m["Body"]
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
                "Messages", [])]


def test_an_async_event_that_keeps_failing_is_tried_three_times_then_sent_to_the_failure_destination(lam, box, queues):
    sqs, urls = queues
    box.async_invocations.set_retry_delays(0.1, 0.1)
    lambdalab.deploy("flaky", code=FLAKY)
    lam.put_function_event_invoke_config(FunctionName="flaky", DestinationConfig={
        "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:on-failure"},
        "OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:123456789012:on-success"}})
    assert lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"fail": true}')["StatusCode"] == 202
    assert lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"n": 1}')["StatusCode"] == 202
    assert invoker(box.lambda_service).drain(timeout=30)
    [failure] = messages(sqs, urls["on-failure"])
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["requestPayload"] == {"fail": True}
    assert failure["responsePayload"]["errorType"] == "RuntimeError"
    assert failure["responseContext"]["functionError"] == "Unhandled"
    [success] = messages(sqs, urls["on-success"])
    assert success["responsePayload"] == {"ok": {"n": 1}}


def test_maximum_retry_attempts_zero_means_one_try(lam, box, queues):
    sqs, urls = queues
    lambdalab.deploy("once", code=FLAKY)
    lam.put_function_event_invoke_config(FunctionName="once", MaximumRetryAttempts=0, DestinationConfig={
        "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:on-failure"}})
    lam.invoke(FunctionName="once", InvocationType="Event", Payload=b'{"fail": true}')
    assert invoker(box.lambda_service).drain(timeout=30)
    [failure] = messages(sqs, urls["on-failure"])
    assert failure["requestContext"]["approximateInvokeCount"] == 1


def test_without_a_destination_a_failed_event_goes_to_the_dead_letter_queue(lam, box, queues):
    sqs, urls = queues
    box.async_invocations.set_retry_delays(0.05, 0.05)
    lambdalab.deploy("with-dlq", code=FLAKY)
    lam.update_function_configuration(FunctionName="with-dlq",
                                      DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"})
    lam.invoke(FunctionName="with-dlq", InvocationType="Event", Payload=b'{"fail": true}')
    assert invoker(box.lambda_service).drain(timeout=30)
    received = sqs.receive_message(QueueUrl=urls["dlq"], MessageAttributeNames=["All"])["Messages"]
    assert json.loads(received[0]["Body"]) == {"fail": True}
    assert received[0]["MessageAttributes"]["ErrorMessage"]["StringValue"] == "always fails"


def test_throttled_async_events_wait_in_the_queue_and_are_not_lost(lam, box):
    lambdalab.deploy("narrow", code="import time\ndef handler(e, c):\n    time.sleep(0.3)\n    print('did', e['i'])\n")
    lam.put_function_concurrency(FunctionName="narrow", ReservedConcurrentExecutions=1)
    for i in range(6):
        lam.invoke(FunctionName="narrow", InvocationType="Event", Payload=json.dumps({"i": i}))
    assert invoker(box.lambda_service).drain(timeout=60)
    assert lambdalab.flush_logs()
    events = box.client("logs").filter_log_events(logGroupName="/aws/lambda/narrow")["events"]
    done = sorted(int(e["message"].split()[1]) for e in events if e["message"].startswith("did "))
    assert done == list(range(6))


def test_a_layer_is_importable_and_a_function_keeps_its_pinned_version(lam, make_zip):
    v1, v2 = (lam.publish_layer_version(LayerName="shared", CompatibleRuntimes=["python3.12"],
                                        Content={"ZipFile": make_zip({"python/greet.py": f"WHO = '{tag}'\n"})})
              for tag in ("v1", "v2"))
    assert (v1["Version"], v2["Version"]) == (1, 2)
    fn = lambdalab.deploy("pinned", code="import greet\ndef handler(e, c):\n    return greet.WHO\n",
                          layers=[v1["LayerVersionArn"]])
    assert fn.invoke().payload == "v1"
    lam.update_function_configuration(FunctionName="pinned", Layers=[v2["LayerVersionArn"]])
    assert fn.invoke().payload == "v2"


def test_later_layers_win_and_site_packages_layout_works(lam, make_zip):
    first = lam.publish_layer_version(LayerName="a", Content={"ZipFile": make_zip({"python/which.py": "X = 'a'\n"})})
    second = lam.publish_layer_version(LayerName="b", Content={"ZipFile": make_zip({
        "python/which.py": "X = 'b'\n",
        "python/lib/python3.11/site-packages/deep.py": "Y = 'deep'\n",
        "python/lib/python3.12/site-packages/deep.py": "Y = 'deep'\n",
        "python/lib/python3.13/site-packages/deep.py": "Y = 'deep'\n"})})
    fn = lambdalab.deploy("ordered", code="import which, deep\ndef handler(e, c):\n    return [which.X, deep.Y]\n",
                          layers=[first["LayerVersionArn"], second["LayerVersionArn"]])
    assert fn.invoke().payload == ["b", "deep"]


def test_more_than_five_layers_or_250_mb_are_refused_with_aws_words(lam, make_zip):
    arn = lam.publish_layer_version(LayerName="small", Content={"ZipFile": make_zip({"python/m.py": "x=1\n"})})[
        "LayerVersionArn"]
    lambdalab.deploy("limits", code="def handler(e, c):\n    return 1\n")
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="Cannot reference more than 5 layers"):
        lam.update_function_configuration(FunctionName="limits", Layers=[arn] * 6)
    big_zip = make_zip({"python/b.bin": b"\0" * 140_000_000})
    big = lam.publish_layer_version(LayerName="big", Content={"ZipFile": big_zip})
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="262144000 bytes"):
        lam.update_function_configuration(FunctionName="limits", Layers=[big["LayerVersionArn"]] * 2)
