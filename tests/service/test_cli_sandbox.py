"""A workshop terminal: ``lambdalab sandbox`` in the foreground, the AWS CLI in another shell."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import boto3
import psutil
import pytest

from lambdalab.service.packages import zip_files

pytestmark = pytest.mark.runs_long  # about 18 s together: collected first (tests/conftest.py)

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


LEAVES_A_DAEMON = """
import os, subprocess

def handler(event, context):
    # A child in its own session that backgrounds a grandchild and exits: a daemon, orphaned at once.
    daemon = subprocess.run(["sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!"], start_new_session=True,
                            capture_output=True, text=True).stdout
    return {"environment": os.getpid(), "daemon": int(daemon)}
"""


def _start_terminal_sandbox() -> tuple[subprocess.Popen, dict[str, str]]:
    process = subprocess.Popen([sys.executable, "-m", "lambdalab.cli", "sandbox"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    env: dict[str, str] = {}
    for line in process.stdout:
        if line.startswith("export "):
            key, value = line[len("export "):].strip().split("=", 1)
            env[key] = value
        if "AWS_EC2_METADATA_DISABLED" in env and "NO_PROXY" in env:
            break
    return process, env


def _gone_within(pids: list[int], seconds: float) -> list[int]:
    """The pids still running (zombies count as ended) after waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)



def _signal_state(pid: int) -> list[dict[str, str]]:
    """Each thread's name, state, kernel wait channel and signal masks (hex), as /proc shows them."""
    threads = []
    for task in sorted(Path(f"/proc/{pid}/task").iterdir()):
        try:
            status = dict(line.split(":\t", 1) for line in (task / "status").read_text().splitlines() if ":\t" in line)
            wchan = (task / "wchan").read_text()
        except OSError:
            continue
        threads.append({"name": status["Name"], "state": status["State"], "wchan": wchan,
                        **{key: status[key] for key in ("SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")}})
    return threads
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sessions and subreapers as on Linux")
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_when_the_terminal_sandbox_is_stopped_by_a_signal_then_no_environment_or_handler_daemon_survives(stop):
    process, env = _start_terminal_sandbox()
    try:
        session = boto3.session.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                                        aws_session_token=env["AWS_SESSION_TOKEN"], region_name=env["AWS_REGION"])
        clients = {s: session.client(s, endpoint_url=env["AWS_ENDPOINT_URL"]) for s in ("iam", "lambda")}
        role = clients["iam"].create_role(RoleName="daemon-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        package = zip_files({"app.py": LEAVES_A_DAEMON})
        clients["lambda"].create_function(FunctionName="daemon", Runtime="python3.12", Role=role,
                                          Handler="app.handler", Code={"ZipFile": package})
        pids = json.loads(clients["lambda"].invoke(FunctionName="daemon", Payload=b"{}")["Payload"].read())
        assert psutil.pid_exists(pids["daemon"]) and psutil.pid_exists(pids["environment"])

        os.kill(process.pid, getattr(signal, stop))
        process.wait(timeout=30)
        assert _gone_within([pids["environment"], pids["daemon"]], seconds=15) == []
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


NOTEBOOK = """
import json, sys, time
import lambdalab
lambdalab.sandbox()
print(json.dumps(lambdalab.deploy("daemon", code=sys.argv[1]).invoke().payload), flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sessions and subreapers as on Linux")
def test_when_a_kernel_running_the_sandbox_is_terminated_then_no_environment_or_handler_daemon_survives():
    kernel = subprocess.Popen([sys.executable, "-c", NOTEBOOK, LEAVES_A_DAEMON], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        pids = json.loads(kernel.stdout.readline())
        assert psutil.pid_exists(pids["daemon"])
        kernel.terminate()
        # The clean-up gets STOP_TIMEOUT_S (15 s) before the signal is re-raised. Twice in the full suite on a
        # loaded 2-core machine the kernel was still alive 30 s later, never alone or under load in a loop:
        # a longer wait tells a slow stop from a hung one, and a hung one fails naming each thread's state.
        try:
            returncode = kernel.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the kernel outlived SIGTERM by 60 s; its threads: {_signal_state(kernel.pid)}")
        assert returncode == -signal.SIGTERM  # it still dies of the signal, as asked
        assert _gone_within([pids["environment"], pids["daemon"]], seconds=15) == []
    finally:
        if kernel.poll() is None:
            os.killpg(kernel.pid, signal.SIGKILL)
            kernel.wait()
