"""A workshop terminal: ``lambdalab sandbox`` in the foreground, the AWS CLI in another shell."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

AWS = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")


@pytest.fixture
def terminal_sandbox():
    """Start ``lambdalab sandbox`` and return the variables it printed."""
    process = subprocess.Popen([sys.executable, "-m", "lambdalab.cli", "sandbox"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    env: dict[str, str] = {}
    try:
        for line in process.stdout:
            if line.startswith("export "):
                key, value = line[len("export "):].strip().split("=", 1)
                env[key] = value
            if "AWS_EC2_METADATA_DISABLED" in env and "NO_PROXY" in env:
                break
        yield env
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")
def test_the_seeds_concurrency_commands_run_with_the_aws_cli_against_the_terminal_sandbox(terminal_sandbox, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(terminal_sandbox)
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")

    def aws(*args: str) -> dict:
        done = subprocess.run([AWS, *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    package = tmp_path / "function.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {'hello': event.get('name')}\n")
    role = aws("iam", "create-role", "--role-name", "lambda-role", "--assume-role-policy-document",
               '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":'
               '"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}')["Role"]["Arn"]
    aws("lambda", "create-function", "--function-name", "my-api", "--runtime", "python3.12", "--role", role,
        "--handler", "app.handler", "--zip-file", f"fileb://{package}")
    aws("lambda", "invoke", "--function-name", "my-api",  # AWS CLI v1: the payload is plain JSON
        "--payload", '{"name": "workshop"}', str(tmp_path / "out.json"))
    assert json.loads((tmp_path / "out.json").read_text()) == {"hello": "workshop"}
    # Without --payload, the handler gets {} (not an unmarshal error).
    answer = aws("lambda", "invoke", "--function-name", "my-api", str(tmp_path / "empty.json"))
    assert "FunctionError" not in answer
    assert json.loads((tmp_path / "empty.json").read_text()) == {"hello": None}

    reserved = aws("lambda", "put-function-concurrency", "--function-name", "my-api",
                   "--reserved-concurrent-executions", "50")
    assert reserved["ReservedConcurrentExecutions"] == 50
    version = aws("lambda", "publish-version", "--function-name", "my-api")["Version"]
    aws("lambda", "create-alias", "--function-name", "my-api", "--name", "production", "--function-version", version)
    provisioned = aws("lambda", "put-provisioned-concurrency-config", "--function-name", "my-api", "--qualifier",
                      "production", "--provisioned-concurrent-executions", "10")
    assert provisioned["RequestedProvisionedConcurrentExecutions"] == 10
    assert aws("lambda", "get-account-settings")["AccountLimit"]["UnreservedConcurrentExecutions"] == 950
