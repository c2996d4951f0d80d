"""Bad templates get CloudFormation's answers: refused up front with its ValidationError wording, or a
failed resource with its status reason and a rollback that leaves nothing behind — never a 500."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError
from cfn_helpers import events

ROLE = """
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
"""


def name() -> str:
    return f"bad-{uuid.uuid4().hex[:8]}"


def function(memory: int = 128, code: str = "def handler(event, context):\n  return 1\n") -> str:
    indented = code.replace("\n", "\n          ")
    return f"""
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      MemorySize: {memory}
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: |
          {indented}
"""


def refused(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Code"], error["Message"]


def test_when_a_sam_resource_is_invalid_then_the_change_set_fails_with_the_transform_message(aws):
    template = """Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
"""
    cloudformation = aws("cloudformation")
    change_set = cloudformation.create_change_set(StackName=name(), ChangeSetName="c", TemplateBody=template,
                                                  ChangeSetType="CREATE", Capabilities=["CAPABILITY_IAM"])
    described = cloudformation.describe_change_set(ChangeSetName=change_set["Id"])
    assert described["Status"] == "FAILED"
    assert described["StatusReason"].startswith(
        "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification document. "
        "Number of errors found: 1. Resource with id [Fn] is invalid. ")
    assert "'InlineCode' or 'CodeUri'" in described["StatusReason"]


def test_when_code_is_still_local_then_the_transform_asks_for_an_s3_uri(aws):
    template = """Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.11, Handler: app.handler, CodeUri: src/}
"""
    cloudformation = aws("cloudformation")
    change_set = cloudformation.create_change_set(StackName=name(), ChangeSetName="c", TemplateBody=template,
                                                  ChangeSetType="CREATE", Capabilities=["CAPABILITY_IAM"])
    reason = cloudformation.describe_change_set(ChangeSetName=change_set["Id"])["StatusReason"]
    assert "'CodeUri' is not a valid S3 Uri of the form 's3://bucket/key'" in reason


def test_when_create_stack_gets_a_transform_without_auto_expand_then_it_requires_the_capability(aws):
    template = "Transform: AWS::Serverless-2016-10-31\nResources:\n  T: {Type: AWS::Serverless::SimpleTable}\n"
    assert refused(aws("cloudformation").create_stack, StackName=name(), TemplateBody=template) == (
        "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_AUTO_EXPAND]")


def test_when_a_template_creates_a_role_without_capability_iam_then_it_is_refused(aws):
    assert refused(aws("cloudformation").create_stack, StackName=name(), TemplateBody="Resources:" + ROLE) == (
        "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]")


def test_when_a_resource_type_does_not_exist_then_the_template_is_refused(aws):
    template = "Resources:\n  X: {Type: AWS::Lambda::Functon, Properties: {}}\n"
    assert refused(aws("cloudformation").create_stack, StackName=name(), TemplateBody=template) == (
        "ValidationError", "Template format error: Unrecognized resource types: [AWS::Lambda::Functon]")


def test_when_a_reference_names_nothing_then_the_template_is_refused(aws):
    template = "Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: !Ref Missing}}\n"
    assert refused(aws("cloudformation").create_stack, StackName=name(), TemplateBody=template) == (
        "ValidationError", "Template format error: Unresolved resource dependencies [Missing] in the Resources "
                           "block of the template")


def test_when_resources_depend_on_each_other_in_a_circle_then_the_template_is_refused(aws):
    template = """Resources:
  A: {Type: AWS::SQS::Queue, DependsOn: B}
  B: {Type: AWS::SQS::Queue, DependsOn: A}
"""
    assert refused(aws("cloudformation").create_stack, StackName=name(), TemplateBody=template) == (
        "ValidationError", "Circular dependency between resources: [A, B]")


def test_when_lambda_refuses_a_property_then_the_stack_rolls_back_with_the_resource_reason(aws):
    stack = name()
    aws("cloudformation").create_stack(StackName=stack, TemplateBody="Resources:" + ROLE + function(memory=20000),
                                       Capabilities=["CAPABILITY_IAM"])
    described = aws("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    assert described["StackStatus"] == "ROLLBACK_COMPLETE"
    history = events(aws("cloudformation"), stack)
    failed = [reason for logical_id, status, reason in history if status == "CREATE_FAILED"]
    assert len(failed) == 1 and failed[0].startswith(
        'Resource handler returned message: "1 validation error detected: Value \'20000\' at \'memorySize\' failed '
        "to satisfy constraint: Member must have value less than or equal to 10240 (Service: Lambda, Status Code: "
        "400")
    assert failed[0].endswith("HandlerErrorCode: InvalidRequest)")
    assert (stack, "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Fn]. Rollback requested "
                                           "by user.") in history
    assert [(e[0], e[1]) for e in history if e[0] == "Role"][-1] == ("Role", "DELETE_COMPLETE")
    roles = [r["RoleName"] for r in aws("iam").list_roles()["Roles"]]
    assert not any(r.startswith(f"{stack}-Role") for r in roles)


def test_when_rollback_is_disabled_then_the_stack_stays_create_failed_with_what_it_made(aws):
    stack = name()
    aws("cloudformation").create_stack(StackName=stack, TemplateBody="Resources:" + ROLE + function(memory=64),
                                       Capabilities=["CAPABILITY_IAM"], DisableRollback=True)
    described = aws("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    assert (described["StackStatus"], described["StackStatusReason"]) == (
        "CREATE_FAILED", "The following resource(s) failed to create: [Fn]. ")
    role = aws("cloudformation").describe_stack_resource(StackName=stack, LogicalResourceId="Role")
    assert role["StackResourceDetail"]["ResourceStatus"] == "CREATE_COMPLETE"
    aws("cloudformation").delete_stack(StackName=stack)


def test_when_the_sandbox_cannot_deploy_a_type_then_the_resource_fails_and_the_stack_rolls_back(aws):
    stack = name()
    template = """Resources:
  Q: {Type: AWS::SQS::Queue}
  Project:
    Type: AWS::Bedrock::Agent
    DependsOn: Q
    Properties: {AgentName: helper}
"""
    aws("cloudformation").create_stack(StackName=stack, TemplateBody=template)
    assert aws("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [e for e in events(aws("cloudformation"), stack) if e[1] == "CREATE_FAILED"]
    assert failed[0][0] == "Project"
    assert failed[0][2].startswith("Resource type AWS::Bedrock::Agent is not supported by the lambdalab sandbox")


def test_when_a_property_is_unknown_then_the_resource_fails_schema_validation(aws):
    stack = name()
    template = "Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeOut: 30}}\n"
    aws("cloudformation").create_stack(StackName=stack, TemplateBody=template)
    failed = [e for e in events(aws("cloudformation"), stack) if e[1] == "CREATE_FAILED"]
    assert failed == [("Q", "CREATE_FAILED", "Properties validation failed for resource Q with message: #: "
                                             "extraneous key [VisibilityTimeOut] is not permitted")]


def test_when_an_update_fails_then_it_rolls_back_and_the_old_resources_keep_serving(aws):
    stack = name()
    cloudformation = aws("cloudformation")
    cloudformation.create_stack(StackName=stack, TemplateBody="Resources:" + ROLE + function(),
                                Capabilities=["CAPABILITY_IAM"])
    before = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId="Fn")["StackResourceDetail"]
    broken = "Resources:" + ROLE + function(memory=20000) + "  Extra: {Type: AWS::SQS::Queue}\n"
    cloudformation.update_stack(StackName=stack, TemplateBody=broken, Capabilities=["CAPABILITY_IAM"])
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    history = events(cloudformation, stack)
    assert any(status == "UPDATE_FAILED" and "less than or equal to 10240" in reason for _, status, reason in history)
    fn = aws("lambda").get_function_configuration(FunctionName=before["PhysicalResourceId"])
    assert fn["MemorySize"] == 128
    assert "Extra" not in {r["LogicalResourceId"] for r in cloudformation.list_stack_resources(
        StackName=stack)["StackResourceSummaries"]}
    assert aws("lambda").invoke(FunctionName=before["PhysicalResourceId"], Payload=b"{}")["Payload"].read() == b"1"
    cloudformation.delete_stack(StackName=stack)


def test_when_a_stack_already_exists_then_creating_it_again_is_refused(aws):
    stack = name()
    aws("cloudformation").create_stack(StackName=stack, TemplateBody="Resources:\n  Q: {Type: AWS::SQS::Queue}\n")
    assert refused(aws("cloudformation").create_stack, StackName=stack,
                   TemplateBody="Resources:\n  Q: {Type: AWS::SQS::Queue}\n") == (
        "AlreadyExistsException", f"Stack [{stack}] already exists")
    aws("cloudformation").delete_stack(StackName=stack)


@pytest.mark.parametrize(("body", "message"), [
    ("Resources: [unclosed", "Template format error: YAML not well-formed. (line 1, column 21)"),
    ("Resources:\n  A: 5\n", "Template format error: [/Resources/A] Every Resources object must contain a Type "
                             "member."),
    ("Resources:\n  A: {Type: AWS::SQS::Queue, Properties: [1]}\n",
     "Template format error: [/Resources/A/Properties] Properties must be an object."),
    ("Conditions:\n  Big: !Equals [!Ref Q, x]\nResources:\n  Q: {Type: AWS::SQS::Queue}\n",
     "Template format error: Unresolved dependencies [Q]. Cannot reference resources in the Conditions block of "
     "the template"),
    ("Resources:\n  Q: {Type: AWS::SQS::Queue}\nOutputs:\n  X: {Value: !GetAtt Q.Nope}\n",
     "Template error: resource Q does not support attribute type Nope in Fn::GetAtt"),
])
def test_when_a_template_is_malformed_then_create_stack_refuses_it_with_what_is_wrong(aws, body, message):
    assert refused(aws("cloudformation").create_stack, StackName=name(), TemplateBody=body) == (
        "ValidationError", message)


def test_when_an_intrinsic_function_is_malformed_then_the_resource_fails_with_what_is_wrong(aws):
    stack = name()
    template = "Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: {'Fn::Join': 'oops'}}}\n"
    aws("cloudformation").create_stack(StackName=stack, TemplateBody=template)
    assert aws("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [e for e in events(aws("cloudformation"), stack) if e[1] == "CREATE_FAILED"]
    assert failed[0][0] == "Q" and failed[0][2].startswith("Template error: Fn::Join has malformed arguments 'oops'")


def test_when_a_sam_template_refers_to_undeclared_names_then_the_change_set_fails_naming_them(aws, artifacts):
    code = artifacts({"main.py": "def handler(event, context):\n    return 1\n"})
    template = f"""Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Environment:
      Variables:
        ENV: !Ref Environment
Resources:
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}
      Handler: main.handler
      Events:
        Api:
          Type: HttpApi
          Properties: {{Path: "/{{proxy+}}", Method: ANY}}
      Policies:
        - S3ReadPolicy:
            BucketName: !Ref DataBucket
"""
    cloudformation = aws("cloudformation")
    change_set = cloudformation.create_change_set(StackName=name(), ChangeSetName="c", TemplateBody=template,
                                                  ChangeSetType="CREATE", Capabilities=["CAPABILITY_IAM"])
    described = cloudformation.describe_change_set(ChangeSetName=change_set["Id"])
    assert (described["Status"], described["StatusReason"]) == (
        "FAILED", "Template format error: Unresolved resource dependencies [DataBucket, Environment] in the "
                  "Resources block of the template")
