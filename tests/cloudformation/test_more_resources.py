"""Resources beyond the typical application: SAM's REST API (``Api`` events), weighted aliases with
provisioned concurrency, asynchronous invoke configs, and types moto models that the engine still drives."""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest
from cfn_helpers import deploy, events

import lambdalab

pytestmark = pytest.mark.timeout(600)

HELLO = "import json\n\ndef handler(event, context):\n    return {'statusCode': 200, 'body': json.dumps(" \
        "{'path': event.get('path'), 'version': context.function_version})}\n"


def test_when_a_function_has_an_api_event_then_the_rest_api_serves_it_on_its_stage(aws, artifacts):
    template = f"""Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {artifacts({"app.py": HELLO})}
      Handler: app.handler
      Runtime: python3.11
      Events:
        Hello:
          Type: Api
          Properties:
            Path: /hello/{{name}}
            Method: get
Outputs:
  HelloApi:
    Value: !Sub "https://${{ServerlessRestApi}}.execute-api.${{AWS::Region}}.amazonaws.com/Prod/hello/"
  ApiId:
    Value: !Ref ServerlessRestApi
"""
    stack = deploy(aws("cloudformation"), f"rest-{uuid.uuid4().hex[:6]}", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["HelloApi"] == f"https://{outputs['ApiId']}.execute-api.us-east-1.amazonaws.com/Prod/hello/"
    with urllib.request.urlopen(f"{lambdalab.api_url(outputs['ApiId'], 'Prod')}/hello/ada", timeout=60) as response:
        assert json.loads(response.read()) == {"path": "/hello/ada", "version": "$LATEST"}


ALIAS_TEMPLATE = """Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: |
          def handler(event, context):
              return "RELEASE", context.function_version
  One:
    Type: AWS::Lambda::Version
    DeletionPolicy: Retain
    Properties: {FunctionName: !Ref Fn}
"""
SECOND_VERSION = """  Two:
    Type: AWS::Lambda::Version
    DeletionPolicy: Retain
    Properties: {FunctionName: !Ref Fn}
"""
LIVE = """  Live:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Fn
      Name: live
      FunctionVersion: !GetAtt VERSION.Version
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 1}
"""
WEIGHTS = """      RoutingConfig:
        AdditionalVersionWeights: [{FunctionVersion: !GetAtt One.Version, FunctionWeight: 0.25}]
"""
RETRIES = """  Retries:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: {FunctionName: !Ref Fn, Qualifier: live, MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60}
"""


def test_when_an_update_adds_a_version_then_the_alias_moves_with_weights_and_provisioned_concurrency(aws):
    cloudformation, stack_name = aws("cloudformation"), f"alias-{uuid.uuid4().hex[:6]}"
    first = ALIAS_TEMPLATE.replace("RELEASE", "one") + LIVE.replace("VERSION", "One") + RETRIES
    cloudformation.create_stack(StackName=stack_name, TemplateBody=first, Capabilities=["CAPABILITY_IAM"])
    assert cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE", \
        events(cloudformation, stack_name)
    name = cloudformation.describe_stack_resource(StackName=stack_name, LogicalResourceId="Fn")[
        "StackResourceDetail"]["PhysicalResourceId"]
    invoke_config = aws("lambda").get_function_event_invoke_config(FunctionName=name, Qualifier="live")
    assert (invoke_config["MaximumRetryAttempts"], invoke_config["MaximumEventAgeInSeconds"]) == (0, 60)

    second = (ALIAS_TEMPLATE.replace("RELEASE", "two") + SECOND_VERSION + LIVE.replace("VERSION", "Two") + WEIGHTS
              + RETRIES)
    cloudformation.update_stack(StackName=stack_name, TemplateBody=second, Capabilities=["CAPABILITY_IAM"])
    assert cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE", \
        events(cloudformation, stack_name)
    alias = aws("lambda").get_alias(FunctionName=name, Name="live")
    assert (alias["FunctionVersion"], alias["RoutingConfig"]) == ("2", {"AdditionalVersionWeights": {"1": 0.25}})
    provisioned = aws("lambda").get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert (provisioned["Status"], provisioned["AllocatedProvisionedConcurrentExecutions"]) == ("READY", 1)
    answers = [json.loads(aws("lambda").invoke(FunctionName=name, Qualifier="live", Payload=b"{}")["Payload"].read())
               for _ in range(120)]
    assert {tuple(a) for a in answers} == {("one", "1"), ("two", "2")}
    share = sum(1 for a in answers if a[1] == "1") / len(answers)
    assert 0.1 < share < 0.45  # 25 % of the traffic goes to version 1 (more than 4 standard deviations of room)
    cloudformation.delete_stack(StackName=stack_name)
    with pytest.raises(aws("lambda").exceptions.ResourceNotFoundException):
        aws("lambda").get_function(FunctionName=name)


def test_when_a_type_is_modelled_by_moto_then_the_engine_creates_and_deletes_it(aws):
    stack_name = f"topic-{uuid.uuid4().hex[:6]}"
    template = """Resources:
  Alerts: {Type: AWS::SNS::Topic, Properties: {TopicName: course-alerts}}
Outputs:
  Topic: {Value: !Ref Alerts}
"""
    aws("cloudformation").create_stack(StackName=stack_name, TemplateBody=template)
    stack = aws("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    topic = stack["Outputs"][0]["OutputValue"]
    assert topic.endswith(":course-alerts")
    assert topic in [t["TopicArn"] for t in aws("sns").list_topics()["Topics"]]
    aws("cloudformation").delete_stack(StackName=stack_name)
    assert topic not in [t["TopicArn"] for t in aws("sns").list_topics()["Topics"]]


def test_when_an_http_api_is_written_by_hand_then_its_routes_reach_the_function(aws, artifacts):
    template = f"""Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Code:
        S3Bucket: {artifacts({"app.py": HELLO}).split("/")[2]}
        S3Key: KEY
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {{Name: by-hand, ProtocolType: HTTP}}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Fn.Arn
      PayloadFormatVersion: "2.0"
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /items/{{id}}
      Target: !Sub integrations/${{Integration}}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {{ApiId: !Ref Api, StageName: $default, AutoDeploy: true}}
  Invoke:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn
      Principal: apigateway.amazonaws.com
      SourceArn: !Sub arn:aws:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{Api}}/*
Outputs:
  ApiId: {{Value: !Ref Api}}
"""
    uri = artifacts({"app.py": HELLO})
    template = template.replace("KEY", uri.split("/", 3)[3])
    stack_name = f"byhand-{uuid.uuid4().hex[:6]}"
    aws("cloudformation").create_stack(StackName=stack_name, TemplateBody=template, Capabilities=["CAPABILITY_IAM"])
    stack = aws("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", events(aws("cloudformation"), stack_name)
    api_id = stack["Outputs"][0]["OutputValue"]
    with urllib.request.urlopen(f"{lambdalab.api_url(api_id)}/items/7", timeout=60) as response:
        assert json.loads(response.read()) == {"path": None, "version": "$LATEST"}
    aws("cloudformation").delete_stack(StackName=stack_name)
