"""Requests the sandbox cannot parse get a JSON error in Lambda's shape — never an HTML page or a traceback.

Sent as raw HTTP (botocore would never send them), signed for the ``lambda`` service the way any SDK
signs: the answer must carry ``x-amzn-ErrorType`` and a ``{"Type": ..., "message": ...}`` body, which is
what botocore reads a Lambda error from.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
from dataclasses import dataclass

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.service.conftest import zipped

AUTH = ("AWS4-HMAC-SHA256 Credential=testing/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host, "
        "Signature=0000")
ROLE = "arn:aws:iam::123456789012:role/lambdalab-execution-role"


@dataclass(frozen=True)
class Raw:
    """One request as bytes on the wire and the JSON error Lambda answers it with."""

    id: str
    method: str
    path: str
    body: bytes
    code: str
    status: int
    message: str
    headers: tuple[tuple[str, str], ...] = ()


def send(box, method: str, path: str, body: bytes = b"", headers=(), chunks=None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection(box.info.host, box.info.port, timeout=30)
    fields = {"Authorization": AUTH, "Content-Type": "application/json", **dict(headers)}
    connection.putrequest(method, path, skip_accept_encoding=True)
    for key, value in fields.items():
        connection.putheader(key, value)
    if chunks is not None:
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        for chunk in chunks:
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.send(b"0\r\n\r\n")
    else:
        if "Content-Length" not in fields:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        connection.send(body)
    response = connection.getresponse()
    answer = (response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    connection.close()
    return answer


FUNCTIONS = "/2015-03-31/functions"
BASE = {"FunctionName": "raw", "Role": ROLE, "Runtime": "python3.12", "Handler": "app.handler"}
MALFORMED = [
    Raw("body that is not JSON", "POST", FUNCTIONS, b"{not json", "SerializationException", 400,
        "Could not parse request body into json: Expecting property name enclosed in double quotes: line 1 column 2 "
        "(char 1)"),
    Raw("body that is a JSON list", "POST", FUNCTIONS, b"[1, 2]", "SerializationException", 400,
        "Could not parse request body into json: the body must be a JSON object"),
    Raw("body that is not UTF-8", "POST", FUNCTIONS, b"{\xc3(}", "SerializationException", 400,
        "Could not parse request body into json: 'utf-8' codec can't decode byte 0xc3 in position 1: invalid "
        "continuation byte"),
    Raw("a number given as text", "POST", FUNCTIONS,
        json.dumps({**BASE, "Code": {}, "MemorySize": "big"}).encode(), "SerializationException", 400,
        "Unexpected value type at 'memorySize': expected integer, got string"),
    Raw("a structure given as text", "POST", FUNCTIONS, json.dumps({**BASE, "Code": "zip"}).encode(),
        "SerializationException", 400, "Unexpected value type at 'code': expected structure, got string"),
    Raw("a boolean given as a number", "POST", FUNCTIONS, json.dumps({**BASE, "Code": {}, "Publish": 1}).encode(),
        "SerializationException", 400, "Unexpected value type at 'publish': expected boolean, got number"),
    Raw("a zip that is not base64", "POST", FUNCTIONS, json.dumps({**BASE, "Code": {"ZipFile": "@@@"}}).encode(),
        "SerializationException", 400, "Value at 'code.zipFile' is not valid base64"),
    Raw("Content-Length that is not a number", "POST", FUNCTIONS, b"{}", "InvalidRequestContentException", 400,
        "The Content-Length header ('abc') is not a number.", headers=(("Content-Length", "abc"),)),
    Raw("required members missing", "POST", FUNCTIONS, json.dumps({"FunctionName": "raw"}).encode(),
        "ValidationException", 400,
        "2 validation errors detected: Value null at 'role' failed to satisfy constraint: Member must not be null; "
        "Value null at 'code' failed to satisfy constraint: Member must not be null"),
    Raw("empty body for an operation that needs one", "POST", FUNCTIONS + "/raw/aliases", b"",
        "ValidationException", 400,
        "2 validation errors detected: Value null at 'name' failed to satisfy constraint: Member must not be null; "
        "Value null at 'functionVersion' failed to satisfy constraint: Member must not be null"),
    Raw("query integer that is not a number", "GET", FUNCTIONS + "/?MaxItems=abc", b"", "SerializationException",
        400, "Value 'abc' at 'maxItems' is not a valid integer"),
    Raw("path no operation serves", "GET", "/2015-03-31/nothing-here", b"", "UnknownOperationException", 404,
        "Unknown operation"),
]


@pytest.mark.parametrize("case", MALFORMED, ids=[c.id for c in MALFORMED])
def test_when_a_request_cannot_be_parsed_then_the_answer_is_a_json_error_in_lambdas_shape(box, case):
    status, headers, body = send(box, case.method, case.path, case.body, case.headers)
    assert (status, headers.get("x-amzn-errortype")) == (case.status, case.code), body
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"Type": "User", "message": case.message}


def test_when_the_body_is_chunked_then_it_is_read_not_dropped(box):
    document = json.dumps({**BASE, "FunctionName": "chunked",
                           "Code": {"ZipFile": base64.b64encode(zipped({"app.py": "def handler(e, c):\n    "
                                                                                  "return 'chunked'\n"})).decode()}})
    encoded = document.encode()
    boto3.client("iam").create_role(RoleName="lambdalab-execution-role", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))
    status, _, body = send(box, "POST", FUNCTIONS, chunks=[encoded[:40], encoded[40:90], encoded[90:]])
    assert status == 201, body
    lam = boto3.client("lambda")
    assert lam.get_function(FunctionName="chunked")["Configuration"]["Handler"] == "app.handler"
    assert json.loads(lam.invoke(FunctionName="chunked", Payload=b"{}")["Payload"].read()) == "chunked"


def test_when_moto_fails_then_service_exception_is_answered_and_logged_quietly(box, monkeypatch, capfd, caplog):
    from moto.awslambda.models import LambdaBackend

    def broken(self, *args, **kwargs):
        raise RuntimeError("moto broke")

    monkeypatch.setattr(LambdaBackend, "list_functions", broken)
    lam = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}))
    with caplog.at_level(logging.DEBUG, logger="lambdalab.controlplane"), pytest.raises(ClientError) as raised:
        lam.list_functions()
    response = raised.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == ("ServiceException", 500)
    assert response["Error"]["Message"] == "The Lambda service encountered an internal error."
    assert "Traceback" not in capfd.readouterr().err
    assert any("moto broke" in (record.exc_text or "") or record.exc_info for record in caplog.records)
