"""Deleting a stack removes what it created, dependents first, tolerating what is already gone; a bucket
that still holds objects cannot be deleted, as on AWS."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from cfn_helpers import deploy, events
from typical_app import HANDLER, LAYER, TEMPLATE

pytestmark = pytest.mark.timeout(600)


def test_when_a_sam_stack_is_deleted_then_everything_it_created_is_gone(aws, artifacts):
    template = TEMPLATE.substitute(code=artifacts({"app.py": HANDLER.substitute(release="one")}),
                                   layer=artifacts(LAYER))
    stack = deploy(aws("cloudformation"), "doomed-app", template)
    made = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    resources = aws("cloudformation").list_stack_resources(StackName="doomed-app")["StackResourceSummaries"]
    aws("cloudformation").delete_stack(StackName="doomed-app")
    with pytest.raises(ClientError, match="Stack with id doomed-app does not exist"):
        aws("cloudformation").describe_stacks(StackName="doomed-app")
    deleted = [e for e in events(aws("cloudformation"), stack["StackId"]) if e[1] in ("DELETE_COMPLETE",
                                                                                      "DELETE_SKIPPED")]
    assert {e[0] for e in deleted} == {r["LogicalResourceId"] for r in resources} | {"doomed-app"}
    order = [e[0] for e in deleted]
    assert order.index("AppAliaslive") < order.index("App") < order.index("AppRole")  # dependents first
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        aws("lambda").get_function(FunctionName=made["FunctionName"])
    with pytest.raises(ClientError, match="NonExistentQueue"):
        aws("sqs").get_queue_attributes(QueueUrl=made["QueueUrl"])
    with pytest.raises(ClientError, match="Not Found"):
        aws("s3").head_bucket(Bucket=made["Bucket"])
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        aws("dynamodb").describe_table(TableName=made["Table"])
    with pytest.raises(ClientError, match="NotFoundException"):
        aws("apigatewayv2").get_api(ApiId=made["HttpApiId"])
    assert "AppNightly" not in [s["Name"] for s in aws("scheduler").list_schedules()["Schedules"]]
    skipped = {e[0] for e in deleted if e[1] == "DELETE_SKIPPED"}
    assert skipped == {r["LogicalResourceId"] for r in resources if r["ResourceType"] in (
        "AWS::Lambda::LayerVersion", "AWS::Lambda::Version")}  # SAM marks both DeletionPolicy: Retain


def test_when_a_resource_was_already_deleted_by_hand_then_deleting_the_stack_still_succeeds(aws):
    aws("cloudformation").create_stack(StackName="half-gone", TemplateBody="""Resources:
  Jobs: {Type: AWS::SQS::Queue}
  Uploads: {Type: AWS::S3::Bucket}
""")
    queue = aws("cloudformation").describe_stack_resource(StackName="half-gone", LogicalResourceId="Jobs")
    aws("sqs").delete_queue(QueueUrl=queue["StackResourceDetail"]["PhysicalResourceId"])
    aws("cloudformation").delete_stack(StackName="half-gone")
    listed = aws("cloudformation").list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert "half-gone" in [s["StackName"] for s in listed]


def test_when_a_bucket_still_holds_objects_then_the_delete_fails_until_it_is_emptied(aws):
    aws("cloudformation").create_stack(StackName="full-bucket",
                                       TemplateBody="Resources:\n  Uploads: {Type: AWS::S3::Bucket}\n")
    bucket = aws("cloudformation").describe_stack_resource(StackName="full-bucket", LogicalResourceId="Uploads")[
        "StackResourceDetail"]["PhysicalResourceId"]
    aws("s3").put_object(Bucket=bucket, Key="keep.txt", Body=b"x")
    aws("cloudformation").delete_stack(StackName="full-bucket")
    stack = aws("cloudformation").describe_stacks(StackName="full-bucket")["Stacks"][0]
    assert (stack["StackStatus"], stack["StackStatusReason"]) == (
        "DELETE_FAILED", "The following resource(s) failed to delete: [Uploads]. ")
    reason = [e[2] for e in events(aws("cloudformation"), "full-bucket") if e[1] == "DELETE_FAILED"][0]
    assert "The bucket you tried to delete is not empty" in reason
    aws("s3").delete_object(Bucket=bucket, Key="keep.txt")
    aws("cloudformation").delete_stack(StackName="full-bucket")
    with pytest.raises(ClientError, match="does not exist"):
        aws("cloudformation").describe_stacks(StackName="full-bucket")
