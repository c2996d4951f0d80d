"""From a terminal: ``lambdalab sandbox`` says how to reach a REST API, and that address answers."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import zipfile

import boto3
import requests

HELLO = """
def handler(event, context):
    return {"statusCode": 200, "body": "hello from " + event["path"]}
"""


def _start_sandbox() -> tuple[subprocess.Popen[str], str, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-c", "from lambdalab.cli import main; main(['sandbox'])"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if "_user_request_" in line:
            endpoint = re.search(r"listening on (http://\S+)", "\n".join(lines))
            return process, endpoint.group(1), lines
    process.kill()
    raise AssertionError("the sandbox printed no REST API line:\n" + "\n".join(lines))


def test_lambdalab_sandbox_prints_where_rest_apis_answer_and_they_do():
    process, endpoint, lines = _start_sandbox()
    try:
        line = next(line for line in lines if "_user_request_" in line)
        assert f"{endpoint}/restapis/<api-id>/<stage>/_user_request_/<path>" in line
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        lam, rest = session.client("lambda", endpoint_url=endpoint), session.client("apigateway", endpoint_url=endpoint)
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("app.py", HELLO)
        trust = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},'
            '"Action":"sts:AssumeRole"}]}'
        )
        role = session.client("iam", endpoint_url=endpoint).create_role(
            RoleName="hello-role", AssumeRolePolicyDocument=trust
        )["Role"]["Arn"]
        arn = lam.create_function(
            FunctionName="hello",
            Runtime="python3.12",
            Handler="app.handler",
            Role=role,
            Code={"ZipFile": code.getvalue()},
        )["FunctionArn"]
        api_id = rest.create_rest_api(name="terminal")["id"]
        root = rest.get_resources(restApiId=api_id)["items"][0]["id"]
        hello = rest.create_resource(restApiId=api_id, parentId=root, pathPart="hello")["id"]
        rest.put_method(restApiId=api_id, resourceId=hello, httpMethod="GET", authorizationType="NONE")
        rest.put_integration(
            restApiId=api_id,
            resourceId=hello,
            httpMethod="GET",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
        )
        rest.create_deployment(restApiId=api_id, stageName="dev")
        response = requests.get(f"{endpoint}/restapis/{api_id}/dev/_user_request_/hello", timeout=60)
        assert (response.status_code, response.text) == (200, "hello from /hello")
    finally:
        process.terminate()
        process.wait(timeout=30)
