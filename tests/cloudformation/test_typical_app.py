"""A typical SAM application deployed through boto3's CloudFormation: every resource exists, every trigger
reaches the version the alias points at on real execution environments, a redeploy moves the alias and the
traffic with it, and deleting the stack removes what it created."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest
from cfn_helpers import deploy
from typical_app import HANDLER, LAYER, TEMPLATE

import lambdalab

pytestmark = pytest.mark.timeout(600)


def template(artifacts, release: str) -> str:
    code = artifacts({"app.py": HANDLER.substitute(release=release)})
    return TEMPLATE.substitute(code=code, layer=artifacts(LAYER))


def outputs(stack: dict) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def recorded(aws, table: str, key: str, timeout: float = 60.0) -> dict:
    """The table's item for ``key`` once the function has written it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = aws("dynamodb").get_item(TableName=table, Key={"id": {"S": key}}).get("Item")
        if item:
            return {k: next(iter(v.values())) for k, v in item.items()}
        time.sleep(0.2)
    raise AssertionError(f"the function never recorded {key!r} in {table}")


@pytest.fixture(scope="module")
def app(aws, artifacts):
    stack = deploy(aws("cloudformation"), "typical-app", template(artifacts, "one"))
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return outputs(stack)


def test_when_a_sam_template_deploys_then_every_generated_resource_exists(aws, app):
    resources = aws("cloudformation").list_stack_resources(StackName="typical-app")["StackResourceSummaries"]
    types = sorted(r["ResourceType"] for r in resources)
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in resources)
    assert types == sorted([
        "AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage", "AWS::DynamoDB::Table", "AWS::IAM::Role",
        "AWS::IAM::Role", "AWS::Lambda::Alias", "AWS::Lambda::EventSourceMapping", "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion", "AWS::Lambda::Permission", "AWS::Lambda::Permission",
        "AWS::Lambda::Permission", "AWS::Lambda::Permission", "AWS::Lambda::Url", "AWS::Lambda::Version",
        "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::SQS::Queue", "AWS::Scheduler::Schedule"])
    fn = aws("lambda").get_function(FunctionName=app["FunctionName"])
    assert fn["Configuration"]["Layers"][0]["Arn"].split(":")[6] == "Shared"
    assert fn["Concurrency"]["ReservedConcurrentExecutions"] == 5
    assert fn["Configuration"]["Environment"]["Variables"]["TABLE"] == app["Table"]
    role = fn["Configuration"]["Role"].rsplit("/", 1)[1]
    attached = aws("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in attached) == ["AWSLambdaBasicExecutionRole",
                                                          "AWSLambdaSQSQueueExecutionRole"]
    mappings = [m for m in aws("lambda").list_event_source_mappings()["EventSourceMappings"]
                if app["FunctionName"] in m["FunctionArn"]]
    assert [(m["FunctionArn"].rsplit(":", 1)[1], m["ScalingConfig"]) for m in mappings] == [
        ("live", {"MaximumConcurrency": 2})]
    schedules = aws("scheduler").list_schedules()["Schedules"]
    schedule = aws("scheduler").get_schedule(Name=next(s["Name"] for s in schedules if s["Name"] == "AppNightly"))
    assert schedule["Target"]["Arn"].endswith(":live") and schedule["ScheduleExpressionTimezone"] == "Europe/Paris"
    notification = aws("s3").get_bucket_notification_configuration(Bucket=app["Bucket"])
    assert notification["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"].endswith(":live")


def test_when_the_processed_template_is_asked_for_then_it_is_what_sam_generated(aws, app):
    original = aws("cloudformation").get_template(StackName="typical-app")
    processed = aws("cloudformation").get_template(StackName="typical-app", TemplateStage="Processed")
    assert original["StagesAvailable"] == ["Original", "Processed"]
    assert "Transform: AWS::Serverless-2016-10-31" in original["TemplateBody"]
    generated = processed["TemplateBody"]
    assert "Transform" not in generated and generated["Resources"]["AppAliaslive"]["Type"] == "AWS::Lambda::Alias"


def test_when_the_alias_is_invoked_then_the_published_version_runs_with_its_layer(aws, app):
    answer = aws("lambda").invoke(FunctionName=app["FunctionName"], Qualifier="live", Payload=b"{}")
    body = json.loads(json.loads(answer["Payload"].read())["body"])
    assert body == {"version": "1", "release": "one", "greeting": "hello from the layer"}


def test_when_the_http_api_is_called_then_the_alias_version_answers(app):
    with urllib.request.urlopen(f"{lambdalab.api_url(app['HttpApiId'])}/hello", timeout=60) as response:
        assert json.loads(response.read())["version"] == "1"


def test_when_the_function_url_is_called_then_the_alias_version_answers(app):
    with urllib.request.urlopen(app["FunctionUrl"], timeout=60) as response:
        assert json.loads(response.read())["version"] == "1"


def test_when_a_message_is_sent_then_the_mapping_invokes_the_alias_version(aws, app):
    body = f"job-{uuid.uuid4().hex[:6]}"
    aws("sqs").send_message(QueueUrl=app["QueueUrl"], MessageBody=body)
    assert recorded(aws, app["Table"], f"sqs:{body}")["version"] == "1"


def test_when_an_object_is_uploaded_then_the_notification_invokes_the_alias_version(aws, app):
    key = f"upload-{uuid.uuid4().hex[:6]}.txt"
    aws("s3").put_object(Bucket=app["Bucket"], Key=key, Body=b"hello")
    assert recorded(aws, app["Table"], f"s3:{key}")["version"] == "1"


def test_when_the_code_changes_then_a_redeploy_publishes_a_version_and_every_trigger_follows_the_alias(
        aws, app, artifacts):
    before = aws("lambda").get_alias(FunctionName=app["FunctionName"], Name="live")["FunctionVersion"]
    stack = deploy(aws("cloudformation"), "typical-app", template(artifacts, "two"), update=True)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    after = aws("lambda").get_alias(FunctionName=app["FunctionName"], Name="live")["FunctionVersion"]
    assert int(after) == int(before) + 1
    with urllib.request.urlopen(f"{lambdalab.api_url(app['HttpApiId'])}/hello", timeout=60) as response:
        assert json.loads(response.read()) == {"version": after, "release": "two", "greeting": "hello from the layer"}
    body = f"job-{uuid.uuid4().hex[:6]}"
    aws("sqs").send_message(QueueUrl=app["QueueUrl"], MessageBody=body)
    assert recorded(aws, app["Table"], f"sqs:{body}") == {"id": f"sqs:{body}", "version": after, "release": "two"}
    with urllib.request.urlopen(app["FunctionUrl"], timeout=60) as response:  # the URL's grants moved with the alias
        assert json.loads(response.read())["version"] == after
    versions = [v["Version"] for v in aws("lambda").list_versions_by_function(FunctionName=app["FunctionName"])[
        "Versions"]]
    assert before in versions  # SAM retains the old version (DeletionPolicy: Retain), for rollbacks


def test_when_nothing_changed_then_the_change_set_fails_with_no_changes(aws, app, artifacts):
    stack = aws("cloudformation").describe_stacks(StackName="typical-app")["Stacks"][0]
    body = aws("cloudformation").get_template(StackName="typical-app")["TemplateBody"]
    change_set = aws("cloudformation").create_change_set(StackName="typical-app", ChangeSetName="again",
                                                         TemplateBody=body, ChangeSetType="UPDATE",
                                                         Capabilities=["CAPABILITY_IAM"])
    described = aws("cloudformation").describe_change_set(ChangeSetName=change_set["Id"])
    assert (described["Status"], described["StatusReason"]) == (
        "FAILED", "The submitted information didn't contain changes. Submit different information to create a "
                  "change set.")
    assert aws("cloudformation").describe_stacks(StackName="typical-app")["Stacks"][0]["StackStatus"] == \
        stack["StackStatus"]
