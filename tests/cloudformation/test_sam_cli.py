"""The real AWS SAM CLI and AWS CLI, unchanged, as subprocesses against ``lambdalab sandbox`` in a terminal:
build (no Docker), deploy with ``--resolve-s3``, list outputs and resources, redeploy, delete, ``deploy --guided`` and
``logs --tail`` — the commands lesson 06 runs (its notebooks run the rest of them under nbval)."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest

SCRIPTS = str(Path(sys.executable).parent)
SAM = shutil.which("sam", path=SCRIPTS) or shutil.which("sam")
AWS = shutil.which("aws", path=SCRIPTS) or shutil.which("aws")
#: ``sam build`` without Docker needs the template's runtime on PATH: use the interpreter running the course.
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"

pytestmark = [
    pytest.mark.timeout(900),
    pytest.mark.runs_long,  # about 40 s together: collected first (tests/conftest.py)
    pytest.mark.skipif(SAM is None, reason="no AWS SAM CLI: python3 course.py installs it"),
]

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
    return (
        "import json\nfrom helper import shout\n\n\ndef handler(event, context):\n"
        f"    return {{'statusCode': 200, 'body': json.dumps({{'release': shout('{release}'), "
        "'version': context.function_version})}\n"
    )


@pytest.fixture(scope="module")
def terminal():
    """``lambdalab sandbox`` in the foreground of a 'terminal'; the environment its exports give a shell."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lambdalab.cli", "sandbox"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAM_"))}
    env["PATH"] = os.pathsep.join([SCRIPTS, env.get("PATH", "")])
    try:
        for line in process.stdout:
            if line.startswith("export "):
                key, value = line[len("export ") :].strip().split("=", 1)
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
    return boto3.client(
        service,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
    )


def invoke_alias(env: dict[str, str], function_name: str) -> dict:
    answer = client(env, "lambda").invoke(FunctionName=function_name, Qualifier="live", Payload=b"{}")
    result = json.loads(answer["Payload"].read())
    assert "body" in result, result
    return json.loads(result["body"])


def test_sam_build_deploy_list_redeploy_and_delete(terminal, project):
    """One stack with a layer, an alias, a function URL, an HTTP API and an SQS queue, through the real SAM CLI.

    Not repeated here, because they run elsewhere in the suite: ``sam validate`` with and without ``--lint``
    (lesson 06a, under nbval), ``sam logs`` (lesson 06b; ``--tail`` below) and a deploy with nothing to change
    (the ``--guided`` test below).
    """
    assert (terminal["SAM_CLI_POLL_DELAY"], terminal["SAM_CLI_TELEMETRY"]) == ("0.5", "0")  # printed by the sandbox
    sam = [SAM]
    assert "Build Succeeded" in run(terminal, project, *sam, "build")
    deploy = [
        *sam,
        "deploy",
        "--stack-name",
        "sam-app",
        "--resolve-s3",
        "--capabilities",
        "CAPABILITY_IAM",
        "--no-confirm-changeset",
        "--no-fail-on-empty-changeset",
    ]
    assert "Successfully created/updated stack - sam-app" in run(terminal, project, *deploy)

    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in json.loads(
            run(terminal, project, *sam, "list", "stack-outputs", "--stack-name", "sam-app", "--output", "json")
        )
    }
    assert invoke_alias(terminal, outputs["FunctionName"]) == {"release": "ONE", "version": "1"}
    resources = run(terminal, project, *sam, "list", "resources", "--stack-name", "sam-app", "--output", "json")
    logical = {r["LogicalResourceId"] for r in json.loads(resources)}
    assert {"AppAliaslive", "ServerlessHttpApi", "Jobs", "AppUrl", "AppQueue"} <= logical, logical
    assert any(name.startswith("Shared") for name in logical), logical  # SAM names a layer by its content's hash

    (project / "src" / "app.py").write_text(handler("two"))
    run(terminal, project, *sam, "build")
    assert "Successfully created/updated stack - sam-app" in run(terminal, project, *deploy)
    assert invoke_alias(terminal, outputs["FunctionName"]) == {"release": "TWO", "version": "2"}

    assert "Deleted successfully" in run(terminal, project, *sam, "delete", "--stack-name", "sam-app", "--no-prompts")
    stacks = client(terminal, "cloudformation").list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert "sam-app" in [s["StackName"] for s in stacks]
    assert outputs["FunctionName"] not in [
        f["FunctionName"] for f in client(terminal, "lambda").list_functions()["Functions"]
    ]


@pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")
def test_aws_cloudformation_package_and_deploy_deploy_a_sam_template(terminal, project):
    s3 = client(terminal, "s3")
    s3.create_bucket(Bucket="cli-artifacts")
    (project / "src" / "app.py").write_text(handler("cli"))
    run(
        terminal,
        project,
        AWS,
        "cloudformation",
        "package",
        "--template-file",
        "template.yaml",
        "--s3-bucket",
        "cli-artifacts",
        "--output-template-file",
        "packaged.yaml",
    )
    assert "s3://cli-artifacts/" in (project / "packaged.yaml").read_text()
    run(
        terminal,
        project,
        AWS,
        "cloudformation",
        "deploy",
        "--template-file",
        "packaged.yaml",
        "--stack-name",
        "cli-app",
        "--capabilities",
        "CAPABILITY_IAM",
    )
    stack = client(terminal, "cloudformation").describe_stacks(StackName="cli-app")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    function_name = next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "FunctionName")
    assert invoke_alias(terminal, function_name) == {"release": "CLI", "version": "1"}
    run(terminal, project, AWS, "cloudformation", "delete-stack", "--stack-name", "cli-app")


GUIDED_TEMPLATE = f"""AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  App:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: {RUNTIME}
      CodeUri: src/
      Handler: app.handler
      AutoPublishAlias: live
      FunctionUrlConfig:
        AuthType: NONE
"""
#: ``sam deploy --guided``'s questions for GUIDED_TEMPLATE, in the order SAM CLI asks them, and our answers.
GUIDED_ANSWERS = [
    ("Stack Name [sam-app]", "guided-app"),
    ("AWS Region", ""),  # the default: the region the sandbox exported
    ("Confirm changes before deploy [y/N]", "n"),
    ("Allow SAM CLI IAM role creation [Y/n]", "y"),
    ("Disable rollback [y/N]", "n"),
    ("App Function Url has no authentication. Is this okay? [y/N]", "y"),
    ("Save arguments to configuration file [Y/n]", "y"),
    ("SAM configuration file [samconfig.toml]", ""),
    ("SAM configuration environment [default]", ""),
]


def test_sam_deploy_guided_takes_its_answers_from_stdin_and_saves_them_for_the_next_deploy(terminal, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        "def handler(event, context):\n    print('marker', event.get('marker'))\n    return {'ok': True}\n"
    )
    (tmp_path / "template.yaml").write_text(GUIDED_TEMPLATE)
    run(terminal, tmp_path, SAM, "build")
    answers = "".join(f"{answer}\n" for _, answer in GUIDED_ANSWERS)
    done = subprocess.run(
        [SAM, "deploy", "--guided"],
        input=answers,
        env=terminal,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    asked = [question for question, _ in GUIDED_ANSWERS if question in output]
    assert asked == [question for question, _ in GUIDED_ANSWERS], output  # every question, in this order
    assert "Successfully created/updated stack - guided-app" in output
    config = (tmp_path / "samconfig.toml").read_text()
    assert 'stack_name = "guided-app"' in config and "resolve_s3 = true" in config, config

    # The next deploy reads samconfig.toml and asks nothing.
    again = run(terminal, tmp_path, SAM, "deploy", "--no-fail-on-empty-changeset")
    assert "Stack guided-app is up to date" in again or "No changes to deploy" in again, again

    try:
        _sam_logs_tail_shows_a_new_invocation(terminal, tmp_path)
    finally:
        run(terminal, tmp_path, SAM, "delete", "--stack-name", "guided-app", "--no-prompts")


def _sam_logs_tail_shows_a_new_invocation(env: dict[str, str], cwd: Path) -> None:
    """``sam logs --tail`` runs until stopped and prints an invocation made after it started."""
    tail = subprocess.Popen(
        [SAM, "logs", "--stack-name", "guided-app", "--name", "App", "--tail"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in tail.stdout], daemon=True).start()
    seen: list[str] = []
    try:
        seen.append(lines.get(timeout=120))  # SAM CLI is up and polling
        marker = f"m-{time.time_ns()}"
        function_name = next(
            f["FunctionName"]
            for f in client(env, "lambda").list_functions()["Functions"]
            if f["FunctionName"].startswith("guided-app-App")
        )
        client(env, "lambda").invoke(
            FunctionName=function_name, Qualifier="live", Payload=json.dumps({"marker": marker}).encode()
        )
        deadline = time.monotonic() + 120
        while not any(marker in line for line in seen) and time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                pass
        assert tail.poll() is None, "sam logs --tail stopped by itself"
        assert any(f"marker {marker}" in line for line in seen), "".join(seen)
        assert any("REPORT RequestId" in line for line in seen) or any("START RequestId" in line for line in seen)
    finally:
        os.killpg(tail.pid, signal.SIGINT)
        try:
            tail.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(tail.pid, signal.SIGKILL)
            tail.wait()
