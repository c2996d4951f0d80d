"""A typical SAM application, the shape lesson 06 teaches: an HTTP API function behind an alias with a layer
and a function URL, consuming an SQS queue and S3 uploads, on a schedule, recording every call in a table."""

from __future__ import annotations

import string

#: The function records who called it (and which version ran) in the table, then answers its caller.
HANDLER = string.Template('''import json, os
import boto3
from helper import greeting

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    records = event.get("Records") or []
    source = records[0].get("eventSource", "") if records else ""
    kind = ("http" if "requestContext" in event else "sqs" if source == "aws:sqs" else
            "s3" if source == "aws:s3" else "direct")
    key = {"sqs": lambda: records[0]["body"], "s3": lambda: records[0]["s3"]["object"]["key"]}.get(
        kind, lambda: context.aws_request_id)()
    TABLE.put_item(Item={"id": f"{kind}:{key}", "version": context.function_version, "release": "$release"})
    if kind == "sqs":
        return {"batchItemFailures": []}
    return {"statusCode": 200, "body": json.dumps({"version": context.function_version, "release": "$release",
                                                   "greeting": greeting()})}
''')

LAYER = {"python/helper.py": "def greeting():\n    return 'hello from the layer'\n"}

TEMPLATE = string.Template('''AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: A typical SAM application on the lambdalab sandbox

Globals:
  Function:
    Runtime: python3.11
    Timeout: 10
    MemorySize: 128

Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: $layer
      CompatibleRuntimes: [python3.11]

  App:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: $code
      Handler: app.handler
      Layers: [!Ref Shared]
      AutoPublishAlias: live
      ReservedConcurrentExecutions: 5
      Environment:
        Variables:
          TABLE: !Ref Calls
      FunctionUrlConfig:
        AuthType: NONE
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref Calls}
      Events:
        Http:
          Type: HttpApi
          Properties: {Path: /hello, Method: get}
        Queue:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
            ScalingConfig: {MaximumConcurrency: 2}
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
            Filter: {S3Key: {Rules: [{Name: suffix, Value: .txt}]}}
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 2 * * ? *)
            ScheduleExpressionTimezone: Europe/Paris

  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt JobsDlq.Arn
        maxReceiveCount: 5

  JobsDlq:
    Type: AWS::SQS::Queue

  Uploads:
    Type: AWS::S3::Bucket

  Calls:
    Type: AWS::Serverless::SimpleTable

Outputs:
  HttpApiId:
    Value: !Ref ServerlessHttpApi
  FunctionUrl:
    Value: !GetAtt AppUrl.FunctionUrl
  FunctionName:
    Value: !Ref App
  QueueUrl:
    Value: !Ref Jobs
  Bucket:
    Value: !Ref Uploads
  Table:
    Value: !Ref Calls
''')
