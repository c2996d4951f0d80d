"""``context.invoked_function_arn`` is the ARN the caller named: unqualified, ``$LATEST``, a version or an alias —
through Invoke's Qualifier, a qualified FunctionName, and a trigger that targets an alias."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

import lambdalab
from lambdalab.aws_facts import DEFAULT_ACCOUNT_ID, DEFAULT_REGION

HANDLER = """
def handler(event, context):
    print("invoked-arn=" + context.invoked_function_arn)
    return {"arn": context.invoked_function_arn, "version": context.function_version}
"""
NAME = "who-called"
ARN = f"arn:aws:lambda:{DEFAULT_REGION}:{DEFAULT_ACCOUNT_ID}:function:{NAME}"


@pytest.fixture
def published(lam):
    """``who-called`` with version 1 and the alias ``live`` on it."""
    lambdalab.deploy(NAME, code=HANDLER)
    version = lam.publish_version(FunctionName=NAME)["Version"]
    lam.create_alias(FunctionName=NAME, Name="live", FunctionVersion=version)
    return version


def called(lam, **kwargs) -> dict:
    response = lam.invoke(FunctionName=kwargs.pop("FunctionName", NAME), Payload=b"{}", **kwargs)
    assert "FunctionError" not in response, response["Payload"].read()
    return json.loads(response["Payload"].read())


def test_when_invoked_without_a_qualifier_then_the_handler_sees_the_unqualified_arn(lam, published):
    assert called(lam) == {"arn": ARN, "version": "$LATEST"}


def test_when_invoked_with_qualifier_latest_then_the_arn_ends_in_latest(lam, published):
    assert called(lam, Qualifier="$LATEST") == {"arn": f"{ARN}:$LATEST", "version": "$LATEST"}


def test_when_invoked_with_a_version_number_then_the_arn_carries_that_version(lam, published):
    assert called(lam, Qualifier=published) == {"arn": f"{ARN}:{published}", "version": published}


def test_when_invoked_through_an_alias_then_the_arn_carries_the_alias_and_the_version_is_the_alias_target(
    lam, published
):
    assert called(lam, Qualifier="live") == {"arn": f"{ARN}:live", "version": published}


@pytest.mark.parametrize("function_name", [f"{NAME}:live", f"{ARN}:live", f"{DEFAULT_ACCOUNT_ID}:function:{NAME}:live"])
def test_when_the_function_name_itself_names_the_alias_then_the_arn_carries_the_alias(lam, published, function_name):
    assert called(lam, FunctionName=function_name) == {"arn": f"{ARN}:live", "version": published}


def test_when_the_function_name_is_an_unqualified_partial_arn_then_the_handler_sees_the_full_arn(lam, published):
    assert called(lam, FunctionName=f"{DEFAULT_ACCOUNT_ID}:function:{NAME}") == {"arn": ARN, "version": "$LATEST"}


def test_when_a_function_url_is_on_an_alias_then_the_handler_sees_the_alias_arn(lam, published):
    url = lam.create_function_url_config(FunctionName=NAME, Qualifier="live", AuthType="NONE")["FunctionUrl"]
    # A public URL needs both grants on the alias (AWS's rule for URLs made since October 2025).
    lam.add_permission(
        FunctionName=NAME,
        Qualifier="live",
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    lam.add_permission(
        FunctionName=NAME,
        Qualifier="live",
        StatementId="invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )
    with urllib.request.urlopen(url, timeout=30) as response:
        assert json.loads(response.read()) == {"arn": f"{ARN}:live", "version": published}


def test_when_an_sqs_mapping_targets_an_alias_then_the_handler_sees_the_alias_arn(lam, box, published):
    sqs, logs = box.client("sqs"), box.client("logs")
    queue_url = sqs.create_queue(QueueName="who-called-jobs")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=f"{ARN}:live", BatchSize=1)
    sqs.send_message(QueueUrl=queue_url, MessageBody="hello")
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while not seen and time.monotonic() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{NAME}", filterPattern='"invoked-arn="')
            seen = [e["message"].strip() for e in events["events"]]
        except logs.exceptions.ResourceNotFoundException:
            pass
        time.sleep(0.2)
    assert seen == [f"invoked-arn={ARN}:live"]


def test_when_a_weighted_alias_picks_a_version_then_executed_version_names_the_one_that_ran(lam, published):
    # Invoke's ExecutedVersion is "the version the alias resolved to": through a weighted alias, each call's own.
    lam.update_function_configuration(FunctionName=NAME, Description="second version")
    second = lam.publish_version(FunctionName=NAME)["Version"]
    lam.update_alias(FunctionName=NAME, Name="live", RoutingConfig={"AdditionalVersionWeights": {second: 0.5}})
    ran = set()
    for _ in range(40):
        response = lam.invoke(FunctionName=NAME, Qualifier="live", Payload=b"{}")
        seen = json.loads(response["Payload"].read())
        assert seen["arn"] == f"{ARN}:live"
        assert response["ExecutedVersion"] == seen["version"]
        ran.add(seen["version"])
    assert ran == {published, second}  # both ran: 40 calls at 50 % all alike would be a 1-in-5e11 event
