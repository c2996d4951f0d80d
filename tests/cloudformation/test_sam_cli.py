"""The real AWS SAM CLI and AWS CLI, unchanged, as subprocesses against ``lambdalab sandbox`` in a terminal:
validate, build (no Docker), deploy with ``--resolve-s3``, list outputs and resources, read logs, redeploy,
delete — the commands lesson 06 runs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

SCRIPTS = str(Path(sys.executable).parent)
SAM = shutil.which("sam", path=SCRIPTS) or shutil.which("sam")
AWS = shutil.which("aws", path=SCRIPTS) or shutil.which("aws")
#: ``sam build`` without Docker needs the template's runtime on PATH: use the interpreter running the course.
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"

pytestmark = [pytest.mark.timeout(900),
              pytest.mark.skipif(SAM is None, reason="no AWS SAM CLI: python3 course.py installs it")]

TEMPLATE = f"""AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: lambdalab SAM CLI check

Globals:
  Function:
    Runtime: {RUNTIME}
    Timeout: 10

Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
      CompatibleRuntimes: [{RUNTIME}]

  App:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      AutoPublishAlias: live
      Layers: [!Ref Shared]
      FunctionUrlConfig:
        AuthType: NONE
      Events:
        Http:
          Type: HttpApi
          Properties: {{Path: /hello, Method: get}}
        Queue:
          Type: SQS
          Properties: {{Queue: !GetAtt Jobs.Arn, BatchSize: 5}}

  Jobs:
    Type: AWS::SQS::Queue
    Properties: {{VisibilityTimeout: 60}}

Outputs:
  FunctionName:
    Value: !Ref App
  FunctionUrl:
    Value: !GetAtt AppUrl.FunctionUrl
  QueueUrl:
    Value: !Ref Jobs
"""


def handler(release: str) -> str:
    return ("import json\nfrom helper import shout\n\n\ndef handler(event, context):\n"
            f"    return {{'statusCode': 200, 'body': json.dumps({{'release': shout('{release}'), "
            "'version': context.function_version})}\n")


@pytest.fixture(scope="module")
def terminal():
    """``lambdalab sandbox`` in the foreground of a 'terminal'; the environment its exports give a shell."""
    process = subprocess.Popen([sys.executable, "-m", "lambdalab.cli", "sandbox"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAM_"))}
    env["PATH"] = os.pathsep.join([SCRIPTS, env.get("PATH", "")])
    try:
        for line in process.stdout:
            if line.startswith("export "):
                key, value = line[len("export "):].strip().split("=", 1)
                env[key] = value
            if "SAM_CLI_TELEMETRY" in env:
                break
        yield env
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("sam-app")
    (root / "src").mkdir()
    (root / "layer" / "python").mkdir(parents=True)
    (root / "src" / "app.py").write_text(handler("one"))
    (root / "layer" / "python" / "helper.py").write_text("def shout(text):\n    return text.upper()\n")
    (root / "template.yaml").write_text(TEMPLATE)
    return root


def run(env: dict[str, str], cwd: Path, *args: str, timeout: float = 300) -> str:
    started = time.perf_counter()
    done = subprocess.run(list(args), env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    print(f"{' '.join(args[:2])}: {time.perf_counter() - started:.1f} s")
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def client(env: dict[str, str], service: str):
    return boto3.client(service, endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                        aws_session_token=env["AWS_SESSION_TOKEN"])


def invoke_alias(env: dict[str, str], function_name: str) -> dict:
    answer = client(env, "lambda").invoke(FunctionName=function_name, Qualifier="live", Payload=b"{}")
    result = json.loads(answer["Payload"].read())
    assert "body" in result, result
    return json.loads(result["body"])


def test_sam_validate_build_deploy_list_logs_redeploy_and_delete(terminal, project):
    assert (terminal["SAM_CLI_POLL_DELAY"], terminal["SAM_CLI_TELEMETRY"]) == ("0.5", "0")  # printed by the sandbox
    sam = [SAM]
    assert "is a valid SAM Template" in run(terminal, project, *sam, "validate")
    assert "is a valid SAM Template" in run(terminal, project, *sam, "validate", "--lint")
    assert "Build Succeeded" in run(terminal, project, *sam, "build")
    deploy = [*sam, "deploy", "--stack-name", "sam-app", "--resolve-s3", "--capabilities", "CAPABILITY_IAM",
              "--no-confirm-changeset", "--no-fail-on-empty-changeset"]
    assert "Successfully created/updated stack - sam-app" in run(terminal, project, *deploy)

    assert "No changes to deploy. Stack sam-app is up to date" in run(terminal, project, *deploy)

    outputs = {o["OutputKey"]: o["OutputValue"] for o in json.loads(
        run(terminal, project, *sam, "list", "stack-outputs", "--stack-name", "sam-app", "--output", "json"))}
    assert invoke_alias(terminal, outputs["FunctionName"]) == {"release": "ONE", "version": "1"}
    resources = run(terminal, project, *sam, "list", "resources", "--stack-name", "sam-app", "--output", "json")
    assert "AppAliaslive" in resources and "ServerlessHttpApi" in resources
    logs = run(terminal, project, *sam, "logs", "--stack-name", "sam-app", "--name", "App")
    assert "START RequestId" in logs and "REPORT RequestId" in logs

    (project / "src" / "app.py").write_text(handler("two"))
    run(terminal, project, *sam, "build")
    assert "Successfully created/updated stack - sam-app" in run(terminal, project, *deploy)
    assert invoke_alias(terminal, outputs["FunctionName"]) == {"release": "TWO", "version": "2"}

    assert "Deleted successfully" in run(terminal, project, *sam, "delete", "--stack-name", "sam-app",
                                         "--no-prompts")
    stacks = client(terminal, "cloudformation").list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert "sam-app" in [s["StackName"] for s in stacks]
    assert outputs["FunctionName"] not in [f["FunctionName"] for f in client(terminal, "lambda").list_functions()[
        "Functions"]]


@pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")
def test_aws_cloudformation_package_and_deploy_deploy_a_sam_template(terminal, project):
    s3 = client(terminal, "s3")
    s3.create_bucket(Bucket="cli-artifacts")
    (project / "src" / "app.py").write_text(handler("cli"))
    run(terminal, project, AWS, "cloudformation", "package", "--template-file", "template.yaml", "--s3-bucket",
        "cli-artifacts", "--output-template-file", "packaged.yaml")
    assert "s3://cli-artifacts/" in (project / "packaged.yaml").read_text()
    run(terminal, project, AWS, "cloudformation", "deploy", "--template-file", "packaged.yaml", "--stack-name",
        "cli-app", "--capabilities", "CAPABILITY_IAM")
    stack = client(terminal, "cloudformation").describe_stacks(StackName="cli-app")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    function_name = next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "FunctionName")
    assert invoke_alias(terminal, function_name) == {"release": "CLI", "version": "1"}
    run(terminal, project, AWS, "cloudformation", "delete-stack", "--stack-name", "cli-app")
