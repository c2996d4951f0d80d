"""Control-plane parity: Lambda API calls the sandbox refuses, each with AWS's code, HTTP status and words.

Every case is data (a frozen :class:`Case`): the boto3 call, its arguments, and what AWS answers. One
parametrized test per family runs them through boto3 against the live sandbox, with botocore's own
client-side checks switched off (as the AWS CLI's ``--cli-input-json`` or another SDK would send them),
so the service — not botocore — has to refuse. Where the words come from: AWS's API reference (limits,
error names and statuses), botocore's model (constraints and patterns, printed verbatim), and AWS's
answers recorded by public test suites and quoted in public issues.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import lambdalab

REGION, ACCOUNT = "us-east-1", "123456789012"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambdalab-execution-role"
CODE = "def handler(event, context):\n    return 'ok'\n"
_MODEL = botocore.session.get_session().get_service_model("lambda")


def pattern(operation: str, member: str) -> str:
    """A member's pattern as botocore's model states it (AWS's message prints the pattern it checks)."""
    return _MODEL.operation_model(operation).input_shape.members[member].metadata["pattern"]


def one(value: str, member: str, constraint: str) -> str:
    return f"1 validation error detected: Value {value} at '{member}' failed to satisfy constraint: {constraint}"


@dataclass(frozen=True)
class Case:
    """One refused call: ``call(**kwargs)`` must fail with ``code``, ``status`` and ``message``
    (a string must be equal; a compiled pattern must match the whole message)."""

    id: str
    call: str
    kwargs: dict[str, Any]
    code: str
    status: int
    message: str | re.Pattern[str]
    setup: tuple[tuple[str, dict[str, Any]], ...] = field(default=())


@pytest.fixture(scope="module")
def lam():
    """A function ``parity`` (version 1, alias ``live``, a permission, a URL, an SQS mapping) and a
    function ``bare`` without any of those; the sandbox is reset afterwards."""
    box = lambdalab.sandbox()
    box.reset()
    client = boto3.client("lambda", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    lambdalab.deploy("parity", code=CODE)
    lambdalab.deploy("bare", code=CODE)
    client.publish_version(FunctionName="parity")
    client.create_alias(FunctionName="parity", Name="live", FunctionVersion="1")
    client.add_permission(FunctionName="parity", StatementId="existing", Action="lambda:InvokeFunction",
                          Principal="s3.amazonaws.com")
    client.create_function_url_config(FunctionName="parity", AuthType="NONE")
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="parity-queue", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client.create_event_source_mapping(FunctionName="parity", EventSourceArn=queue_arn, BatchSize=1)
    yield client
    box.reset()


def refused(client, case: Case) -> dict[str, Any]:
    for call, kwargs in case.setup:
        getattr(client, call)(**kwargs)
    with pytest.raises(ClientError) as raised:
        getattr(client, case.call)(**case.kwargs)
    return raised.value.response


def check(client, case: Case) -> None:
    response = refused(client, case)
    answer = (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"])
    assert answer == (case.code, case.status), response["Error"]
    message = response["Error"]["Message"]
    if isinstance(case.message, re.Pattern):
        assert case.message.fullmatch(message), message
    else:
        assert message == case.message


def ids(cases: list[Case]) -> list[str]:
    return [case.id for case in cases]


# --- 1. the model's constraints: ValidationException, AWS's sentence per violation ---------------------
FN_PATTERN = pattern("CreateFunction", "FunctionName")
MODEL_CASES = [
    Case("function name with a slash", "create_function",
         {"FunctionName": "a/b", "Role": ROLE, "Runtime": "python3.12", "Handler": "app.handler", "Code": {}},
         "ValidationException", 400,
         one("'a/b'", "functionName", f"Member must satisfy regular expression pattern: {FN_PATTERN}")),
    Case("function name with a space", "get_function", {"FunctionName": "a b"}, "ValidationException", 400,
         one("'a b'", "functionName",
             f"Member must satisfy regular expression pattern: {pattern('GetFunction', 'FunctionName')}")),
    Case("role that is not an IAM role ARN", "create_function",
         {"FunctionName": "f", "Role": "admin", "Runtime": "python3.12", "Handler": "app.handler", "Code": {}},
         "ValidationException", 400,
         one("'admin'", "role",
             f"Member must satisfy regular expression pattern: {pattern('CreateFunction', 'Role')}")),
    Case("memory below 128 MB", "update_function_configuration", {"FunctionName": "parity", "MemorySize": 64},
         "ValidationException", 400,
         one("'64'", "memorySize", "Member must have value greater than or equal to 128")),
    Case("memory above 10,240 MB", "update_function_configuration", {"FunctionName": "parity", "MemorySize": 10241},
         "ValidationException", 400,
         one("'10241'", "memorySize", "Member must have value less than or equal to 10240")),
    Case("timeout of zero", "update_function_configuration", {"FunctionName": "parity", "Timeout": 0},
         "ValidationException", 400, one("'0'", "timeout", "Member must have value greater than or equal to 1")),
    Case("timeout above 900 s", "update_function_configuration", {"FunctionName": "parity", "Timeout": 901},
         "ValidationException", 400, one("'901'", "timeout", "Member must have value less than or equal to 900")),
    Case("description over 256 characters", "update_function_configuration",
         {"FunctionName": "parity", "Description": "d" * 257}, "ValidationException", 400,
         one(f"'{'d' * 257}'", "description", "Member must have length less than or equal to 256")),
    Case("handler with whitespace", "update_function_configuration", {"FunctionName": "parity", "Handler": "a b"},
         "ValidationException", 400,
         one("'a b'", "handler", "Member must satisfy regular expression pattern: [^\\s]+")),
    Case("unknown tracing mode", "update_function_configuration",
         {"FunctionName": "parity", "TracingConfig": {"Mode": "Sometimes"}}, "ValidationException", 400,
         one("'Sometimes'", "tracingConfig.mode", "Member must satisfy enum value set: [Active, PassThrough]")),
    Case("two architectures", "update_function_code",
         {"FunctionName": "parity", "ZipFile": b"x", "Architectures": ["x86_64", "arm64"]},
         "ValidationException", 400,
         one("'[x86_64, arm64]'", "architectures", "Member must have length less than or equal to 1")),
    Case("unknown architecture", "update_function_code",
         {"FunctionName": "parity", "ZipFile": b"x", "Architectures": ["sparc"]}, "ValidationException", 400,
         one("'[sparc]'", "architectures",
             "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], "
             "Member must not be null]")),
    Case("ephemeral storage below 512 MB", "update_function_configuration",
         {"FunctionName": "parity", "EphemeralStorage": {"Size": 256}}, "ValidationException", 400,
         one("'256'", "ephemeralStorage.size", "Member must have value greater than or equal to 512")),
    Case("environment variable name of one letter", "update_function_configuration",
         {"FunctionName": "parity", "Environment": {"Variables": {"A": "1"}}}, "ValidationException", 400,
         "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys "
         "must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"),
    Case("numeric alias name", "create_alias", {"FunctionName": "parity", "Name": "123", "FunctionVersion": "1"},
         "ValidationException", 400,
         one("'123'", "name", "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")),
    Case("alias name with a dot", "create_alias", {"FunctionName": "parity", "Name": "v.1", "FunctionVersion": "1"},
         "ValidationException", 400,
         one("'v.1'", "name", "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")),
    Case("alias pointing at a version that is not a number", "create_alias",
         {"FunctionName": "parity", "Name": "next", "FunctionVersion": "one"}, "ValidationException", 400,
         one("'one'", "functionVersion",
             f"Member must satisfy regular expression pattern: {pattern('CreateAlias', 'FunctionVersion')}")),
    Case("routing weight above 1", "create_alias",
         {"FunctionName": "parity", "Name": "canary", "FunctionVersion": "1",
          "RoutingConfig": {"AdditionalVersionWeights": {"2": 1.5}}}, "ValidationException", 400,
         one("'{2=1.5}'", "routingConfig.additionalVersionWeights",
             "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have "
             "value greater than or equal to 0.0, Member must not be null]")),
    Case("statement id with a space", "add_permission",
         {"FunctionName": "parity", "StatementId": "my statement", "Action": "lambda:InvokeFunction",
          "Principal": "s3.amazonaws.com"}, "ValidationException", 400,
         one("'my statement'", "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")),
    Case("action outside lambda:", "add_permission",
         {"FunctionName": "parity", "StatementId": "s3", "Action": "s3:GetObject", "Principal": "s3.amazonaws.com"},
         "ValidationException", 400,
         one("'s3:GetObject'", "action",
             "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])")),
    Case("source account that is not 12 digits", "add_permission",
         {"FunctionName": "parity", "StatementId": "acct", "Action": "lambda:InvokeFunction",
          "Principal": "s3.amazonaws.com", "SourceAccount": "12345"}, "ValidationException", 400,
         one("'12345'", "sourceAccount", "Member must satisfy regular expression pattern: \\d{12}")),
    Case("FunctionVersion other than ALL", "list_functions", {"FunctionVersion": "invalid"},
         "ValidationException", 400,
         one("'invalid'", "functionVersion", "Member must satisfy enum value set: [ALL]")),
    Case("MaxItems of zero", "list_functions", {"MaxItems": 0}, "ValidationException", 400,
         one("'0'", "maxItems", "Member must have value greater than or equal to 1")),
    Case("unknown invocation type", "invoke", {"FunctionName": "parity", "InvocationType": "Later"},
         "ValidationException", 400,
         one("'Later'", "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")),
    Case("unknown log type", "invoke", {"FunctionName": "parity", "LogType": "All"}, "ValidationException", 400,
         one("'All'", "logType", "Member must satisfy enum value set: [None, Tail]")),
    Case("provisioned concurrency of zero", "put_provisioned_concurrency_config",
         {"FunctionName": "parity", "Qualifier": "1", "ProvisionedConcurrentExecutions": 0},
         "ValidationException", 400,
         one("'0'", "provisionedConcurrentExecutions", "Member must have value greater than or equal to 1")),
    Case("negative reserved concurrency", "put_function_concurrency",
         {"FunctionName": "parity", "ReservedConcurrentExecutions": -1}, "ValidationException", 400,
         one("'-1'", "reservedConcurrentExecutions", "Member must have value greater than or equal to 0")),
    Case("function URL auth type", "update_function_url_config", {"FunctionName": "parity", "AuthType": "OPEN"},
         "ValidationException", 400, one("'OPEN'", "authType", "Member must satisfy enum value set: [NONE, AWS_IAM]")),
    Case("function URL invoke mode", "update_function_url_config",
         {"FunctionName": "parity", "InvokeMode": "STREAMING"}, "ValidationException", 400,
         one("'STREAMING'", "invokeMode", "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]")),
    Case("SQS batch size above 10,000", "create_event_source_mapping",
         {"FunctionName": "parity", "EventSourceArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:parity-queue",
          "BatchSize": 10001}, "ValidationException", 400,
         one("'10001'", "batchSize", "Member must have value less than or equal to 10000")),
    Case("two violations, counted and joined", "update_function_configuration",
         {"FunctionName": "parity", "MemorySize": 64, "Timeout": 0}, "ValidationException", 400,
         "2 validation errors detected: Value '0' at 'timeout' failed to satisfy constraint: Member must have value "
         "greater than or equal to 1; Value '64' at 'memorySize' failed to satisfy constraint: Member must have value "
         "greater than or equal to 128"),
]


@pytest.mark.parametrize("case", MODEL_CASES, ids=ids(MODEL_CASES))
def test_when_a_member_breaks_the_model_then_validation_exception_names_it(lam, case):
    check(lam, case)


# --- 2. creating and updating functions ----------------------------------------------------------------
def _create(name: str, **extra: Any) -> dict[str, Any]:
    return {"FunctionName": name, "Role": ROLE, "Runtime": "python3.12", "Handler": "app.handler",
            "Code": {"ZipFile": base64.b64decode(base64.b64encode(b"PK\x05\x06" + b"\x00" * 18))}, **extra}


BIG_ENVIRONMENT = {f"VAR_{i:02d}": "v" * 100 for i in range(40)}
FUNCTION_CASES = [
    Case("unknown runtime", "create_function", _create("f-runtime", Runtime="python9"),
         "InvalidParameterValueException", 400,
         re.compile(r"Value python9 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
                    r"\[nodejs, .*python3\.12, .*\] or be a valid ARN")),
    Case("unknown runtime on update", "update_function_configuration", {"FunctionName": "parity", "Runtime": "cobol"},
         "InvalidParameterValueException", 400,
         re.compile(r"Value cobol at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
                    r"\[.*\] or be a valid ARN")),
    Case("name of 65 characters", "create_function", _create("n" * 65), "InvalidParameterValueException", 400,
         one(f"'{'n' * 65}'", "functionName", "Member must have length less than or equal to 64")),
    Case("name with a colon", "create_function", _create("my:function"), "ValidationException", 400,
         one("'my:function'", "functionName", f"Member must satisfy regular expression pattern: {FN_PATTERN}")),
    Case("environment over 4 KB", "create_function", _create("f-env", Environment={"Variables": BIG_ENVIRONMENT}),
         "InvalidParameterValueException", 400,
         "Lambda was unable to configure your environment variables because the environment variables you have "
         "provided exceeded the 4KB limit. String measured: " + json.dumps(BIG_ENVIRONMENT, separators=(",", ":"))),
    Case("environment over 4 KB on update", "update_function_configuration",
         {"FunctionName": "parity", "Environment": {"Variables": BIG_ENVIRONMENT}}, "InvalidParameterValueException",
         400, "Lambda was unable to configure your environment variables because the environment variables you have "
         "provided exceeded the 4KB limit. String measured: " + json.dumps(BIG_ENVIRONMENT, separators=(",", ":"))),
    Case("a function that exists", "create_function", _create("parity"), "ResourceConflictException", 409,
         "Function already exist: parity"),
    Case("51 tags at creation", "create_function", _create("f-tags", Tags={f"k{i}": "v" for i in range(51)}),
         "InvalidParameterValueException", 400, "Number of tags exceeds resource tag limit."),
    Case("51 tags", "tag_resource", {"Resource": f"{ARN}:parity", "Tags": {f"k{i}": "v" for i in range(51)}},
         "InvalidParameterValueException", 400, "Number of tags exceeds resource tag limit."),
    Case("tags on an alias", "tag_resource", {"Resource": f"{ARN}:parity:live", "Tags": {"team": "a"}},
         "InvalidParameterValueException", 400,
         "Tags on function aliases and versions are not supported. Please specify a function ARN."),
    Case("publishing with a stale CodeSha256", "publish_version", {"FunctionName": "parity", "CodeSha256": "stale"},
         "InvalidParameterValueException", 400,
         re.compile(r"CodeSHA256 \(stale\) is different from current CodeSHA256 in \$LATEST \([A-Za-z0-9+/=]{44}\)\. "
                    r"Please try again with the CodeSHA256 in \$LATEST\.")),
]


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=ids(FUNCTION_CASES))
def test_when_a_function_breaks_lambdas_rules_then_aws_refuses_it_in_its_words(lam, case):
    check(lam, case)


@pytest.mark.parametrize("call", ["create_function", "update_function_code"])
def test_when_a_direct_upload_is_over_the_request_limit_then_request_entity_too_large(lam, call):
    zipped = b"PK" + b"\x00" * 52_700_000  # base64 in JSON: over 70,167,211 bytes
    kwargs = _create("f-huge", Code={"ZipFile": zipped}) if call == "create_function" else {
        "FunctionName": "parity", "ZipFile": zipped}
    with pytest.raises(ClientError) as raised:
        getattr(lam, call)(**kwargs)
    response = raised.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "RequestEntityTooLargeException", 413)
    operation = "CreateFunction" if call == "create_function" else "UpdateFunctionCode"
    assert response["Error"]["Message"] == f"Request must be smaller than 70167211 bytes for the {operation} operation"


# --- 3. which function a name means ----------------------------------------------------------------------
NAME_CASES = [
    Case("unknown function", "get_function", {"FunctionName": "ghost"}, "ResourceNotFoundException", 404,
         f"Function not found: {ARN}:ghost"),
    Case("unknown function's configuration", "get_function_configuration", {"FunctionName": "ghost"},
         "ResourceNotFoundException", 404, f"Function not found: {ARN}:ghost"),
    Case("deleting an unknown function", "delete_function", {"FunctionName": "ghost"}, "ResourceNotFoundException",
         404, f"Function not found: {ARN}:ghost"),
    Case("invoking an unknown function", "invoke", {"FunctionName": "ghost"}, "ResourceNotFoundException", 404,
         f"Function not found: {ARN}:ghost"),
    Case("unknown version", "get_function", {"FunctionName": "parity", "Qualifier": "99"},
         "ResourceNotFoundException", 404, f"Function not found: {ARN}:parity:99"),
    Case("ARN of another Region", "get_function",
         {"FunctionName": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:parity"}, "ResourceNotFoundException", 404,
         "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"),
    Case("invoking an ARN of another Region", "invoke",
         {"FunctionName": f"arn:aws:lambda:us-west-2:{ACCOUNT}:function:parity"}, "ResourceNotFoundException", 404,
         "Functions from 'us-west-2' are not reachable in this region ('us-east-1')"),
    Case("ARN of another account", "invoke", {"FunctionName": "arn:aws:lambda:us-east-1:999999999999:function:parity"},
         "AccessDeniedException", 403,
         f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: lambda:InvokeFunction on resource: "
         "arn:aws:lambda:us-east-1:999999999999:function:parity because no resource-based policy allows the "
         "lambda:InvokeFunction action"),
    Case("partial ARN of another account", "get_function", {"FunctionName": "999999999999:function:parity"},
         "AccessDeniedException", 403,
         f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: lambda:GetFunction on resource: "
         "arn:aws:lambda:us-east-1:999999999999:function:parity because no resource-based policy allows the "
         "lambda:GetFunction action"),
    Case("qualifier contradicting the name", "get_function", {"FunctionName": "parity:1", "Qualifier": "live"},
         "InvalidParameterValueException", 400,
         "The derived qualifier from the function name does not match the specified qualifier."),
    Case("qualifier contradicting the ARN", "invoke", {"FunctionName": f"{ARN}:parity:live", "Qualifier": "1"},
         "InvalidParameterValueException", 400,
         "The derived qualifier from the function name does not match the specified qualifier."),
]


@pytest.mark.parametrize("case", NAME_CASES, ids=ids(NAME_CASES))
def test_when_a_name_does_not_reach_a_function_here_then_aws_says_why(lam, case):
    check(lam, case)


@pytest.mark.parametrize(("name", "version"), [("parity:$LATEST", "$LATEST"), (f"{ARN}:parity:$LATEST", "$LATEST"),
                                             (f"{ARN}:parity:live", "1"), ("parity:1", "1")])
def test_when_the_name_carries_a_qualifier_then_it_is_read_as_the_qualifier(lam, name, version):
    assert lam.get_function(FunctionName=name)["Configuration"]["FunctionName"] == "parity"
    response = lam.invoke(FunctionName=name, Payload=b"{}")
    assert (response["StatusCode"], response["ExecutedVersion"]) == (200, version)
    assert "FunctionError" not in response, response["Payload"].read()


# --- 4. aliases ------------------------------------------------------------------------------------------
ALIAS_CASES = [
    Case("duplicate alias", "create_alias", {"FunctionName": "parity", "Name": "live", "FunctionVersion": "1"},
         "ResourceConflictException", 409, f"Alias already exists: {ARN}:parity:live"),
    Case("alias of an unknown version", "create_alias",
         {"FunctionName": "parity", "Name": "future", "FunctionVersion": "42"}, "ResourceNotFoundException", 404,
         f"Function not found: {ARN}:parity:42"),
    Case("alias of an unknown function", "create_alias",
         {"FunctionName": "ghost", "Name": "live", "FunctionVersion": "1"}, "ResourceNotFoundException", 404,
         f"Function not found: {ARN}:ghost:1"),
    Case("two extra versions in the routing", "create_alias",
         {"FunctionName": "parity", "Name": "split", "FunctionVersion": "1",
          "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.1, "3": 0.1}}}, "InvalidParameterValueException", 400,
         "Number of items in AdditionalVersionWeights cannot be greater than 1"),
    Case("routing to the alias's own version", "create_alias",
         {"FunctionName": "parity", "Name": "self", "FunctionVersion": "1",
          "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}}}, "InvalidParameterValueException", 400,
         "Invalid function version 1. Function version 1 is already included in routing configuration."),
    Case("routing from $LATEST", "create_alias",
         {"FunctionName": "parity", "Name": "latest-split", "FunctionVersion": "$LATEST",
          "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}}}, "InvalidParameterValueException", 400,
         "$LATEST is not supported for an alias pointing to more than 1 version"),
    Case("routing to an unknown version", "create_alias",
         {"FunctionName": "parity", "Name": "ghost-split", "FunctionVersion": "1",
          "RoutingConfig": {"AdditionalVersionWeights": {"7": 0.5}}}, "ResourceNotFoundException", 404,
         f"Function not found: {ARN}:parity:7"),
    Case("unknown alias", "get_alias", {"FunctionName": "parity", "Name": "ghost"}, "ResourceNotFoundException", 404,
         f"Cannot find alias arn: {ARN}:parity:ghost"),
    Case("updating an unknown alias", "update_alias", {"FunctionName": "parity", "Name": "ghost", "Description": "x"},
         "ResourceNotFoundException", 404, f"Cannot find alias arn: {ARN}:parity:ghost"),
    Case("deleting an unknown alias", "delete_alias", {"FunctionName": "parity", "Name": "ghost"},
         "ResourceNotFoundException", 404, f"Cannot find alias arn: {ARN}:parity:ghost"),
]


@pytest.mark.parametrize("case", ALIAS_CASES, ids=ids(ALIAS_CASES))
def test_when_an_alias_breaks_lambdas_rules_then_aws_refuses_it(lam, case):
    check(lam, case)


# --- 5. resource-based policy ----------------------------------------------------------------------------
PERMISSION = {"Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com"}
PERMISSION_CASES = [
    Case("duplicate statement id", "add_permission",
         {"FunctionName": "parity", "StatementId": "existing", **PERMISSION}, "ResourceConflictException", 409,
         "The statement id (existing) provided already exists. Please provide a new statement id, or remove the "
         "existing statement."),
    Case("principal that is no principal", "add_permission",
         {"FunctionName": "parity", "StatementId": "odd", "Action": "lambda:InvokeFunction", "Principal": "my-friend"},
         "InvalidParameterValueException", 400,
         "The provided principal was invalid. Please check the principal and try again."),
    Case("policy on $LATEST", "add_permission",
         {"FunctionName": "parity", "StatementId": "latest", "Qualifier": "$LATEST", **PERMISSION},
         "InvalidParameterValueException", 400, "We currently do not support adding policies for $LATEST."),
    Case("policy on an unknown function", "add_permission", {"FunctionName": "ghost", "StatementId": "s", **PERMISSION},
         "ResourceNotFoundException", 404, f"Function not found: {ARN}:ghost"),
    Case("removing an unknown statement", "remove_permission", {"FunctionName": "parity", "StatementId": "nope"},
         "ResourceNotFoundException", 404, "Statement nope is not found in resource policy."),
    Case("removing from a function without a policy", "remove_permission",
         {"FunctionName": "bare", "StatementId": "nope"}, "ResourceNotFoundException", 404,
         "No policy is associated with the given resource."),
]


@pytest.mark.parametrize("case", PERMISSION_CASES, ids=ids(PERMISSION_CASES))
def test_when_a_permission_is_refused_then_aws_says_why(lam, case):
    check(lam, case)


@pytest.mark.parametrize("principal", ["*", "123456789012", "events.amazonaws.com",
                                       "arn:aws:iam::123456789012:role/caller"])
def test_when_the_principal_is_a_principal_then_the_permission_is_added(lam, principal):
    sid = "ok-" + re.sub(r"[^a-zA-Z0-9]", "-", principal)
    statement = json.loads(lam.add_permission(FunctionName="bare", StatementId=sid, Action="lambda:InvokeFunction",
                                              Principal=principal)["Statement"])
    assert statement["Sid"] == sid
    lam.remove_permission(FunctionName="bare", StatementId=sid)


# --- 6. function URLs ------------------------------------------------------------------------------------
URL_CASES = [
    Case("second URL for the same function", "create_function_url_config",
         {"FunctionName": "parity", "AuthType": "NONE"}, "ResourceConflictException", 409,
         f"Failed to create function url config for [functionArn = {ARN}:parity]. Error message:  FunctionUrlConfig "
         "exists for this Lambda function"),
    Case("URL for a version", "create_function_url_config",
         {"FunctionName": "parity", "Qualifier": "1", "AuthType": "NONE"}, "ValidationException", 400,
         one("'1'", "qualifier", "Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)")),
    Case("URL for $LATEST", "create_function_url_config",
         {"FunctionName": "parity", "Qualifier": "$LATEST", "AuthType": "NONE"}, "ValidationException", 400,
         one("'$LATEST'", "qualifier", "Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)")),
    Case("URL for an unknown function", "create_function_url_config", {"FunctionName": "ghost", "AuthType": "NONE"},
         "ResourceNotFoundException", 404, "Function does not exist"),
    Case("URL of a function without one", "get_function_url_config", {"FunctionName": "bare"},
         "ResourceNotFoundException", 404, "The resource you requested does not exist."),
    Case("deleting a URL that is not there", "delete_function_url_config", {"FunctionName": "bare"},
         "ResourceNotFoundException", 404, "The resource you requested does not exist."),
    Case("listing the URLs of an unknown function", "list_function_url_configs", {"FunctionName": "ghost"},
         "ResourceNotFoundException", 404, "Function does not exist"),
]


@pytest.mark.parametrize("case", URL_CASES, ids=ids(URL_CASES))
def test_when_a_function_url_call_is_refused_then_aws_says_why(lam, case):
    check(lam, case)


def test_when_urls_are_listed_then_each_config_comes_back_at_its_local_address(lam):
    listed = lam.list_function_url_configs(FunctionName="parity")["FunctionUrlConfigs"]
    assert [c["FunctionUrl"] for c in listed] == [lam.get_function_url_config(FunctionName="parity")["FunctionUrl"]]
    assert listed[0]["AuthType"] == "NONE" and listed[0]["FunctionArn"] == f"{ARN}:parity"
    assert lam.list_function_url_configs(FunctionName="bare")["FunctionUrlConfigs"] == []


# --- 7. event source mappings ----------------------------------------------------------------------------
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:parity-queue"
ESM_CASES = [
    Case("duplicate SQS mapping", "create_event_source_mapping", {"FunctionName": "parity", "EventSourceArn": QUEUE},
         "ResourceConflictException", 409,
         re.compile(r'An event source mapping with SQS arn \(" ' + re.escape(QUEUE) + r' "\) and function '
                    r'\(" parity "\) already exists\. Please update or delete the existing mapping with UUID '
                    r"[0-9a-f-]{36}")),
    Case("mapping to an unknown function", "create_event_source_mapping",
         {"FunctionName": "ghost", "EventSourceArn": QUEUE}, "InvalidParameterValueException", 400,
         "Function does not exist"),
    Case("mapping from an unknown queue", "create_event_source_mapping",
         {"FunctionName": "bare", "EventSourceArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue"},
         "InvalidParameterValueException", 400,
         "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error "
         "Message: The specified queue does not exist for this wsdl version."),
    Case("filter pattern that is not JSON", "create_event_source_mapping",
         {"FunctionName": "bare", "EventSourceArn": QUEUE, "FilterCriteria": {"Filters": [{"Pattern": "{body"}]}},
         "InvalidParameterValueException", 400, "Invalid filter pattern definition."),
    Case("filter pattern that is a JSON list", "create_event_source_mapping",
         {"FunctionName": "bare", "EventSourceArn": QUEUE, "FilterCriteria": {"Filters": [{"Pattern": "[1]"}]}},
         "InvalidParameterValueException", 400, "Invalid filter pattern definition."),
    Case("unknown mapping", "get_event_source_mapping", {"UUID": "00000000-0000-0000-0000-000000000000"},
         "ResourceNotFoundException", 404, "The resource you requested does not exist."),
    Case("updating an unknown mapping", "update_event_source_mapping",
         {"UUID": "00000000-0000-0000-0000-000000000000", "BatchSize": 5}, "ResourceNotFoundException", 404,
         "The resource you requested does not exist."),
    Case("deleting an unknown mapping", "delete_event_source_mapping", {"UUID": "00000000-0000-0000-0000-000000000000"},
         "ResourceNotFoundException", 404, "The resource you requested does not exist."),
]


@pytest.mark.parametrize("case", ESM_CASES, ids=ids(ESM_CASES))
def test_when_a_mapping_is_refused_then_aws_says_why(lam, case):
    check(lam, case)


# --- 8. provisioned concurrency --------------------------------------------------------------------------
PROVISIONED_CASES = [
    Case("provisioning $LATEST", "put_provisioned_concurrency_config",
         {"FunctionName": "parity", "Qualifier": "$LATEST", "ProvisionedConcurrentExecutions": 1},
         "InvalidParameterValueException", 400,
         "Provisioned Concurrency Configs cannot be applied to unpublished function versions."),
    Case("reading $LATEST's config", "get_provisioned_concurrency_config",
         {"FunctionName": "parity", "Qualifier": "$LATEST"}, "InvalidParameterValueException", 400,
         "The function resource provided must be an alias or a published version."),
    Case("deleting $LATEST's config", "delete_provisioned_concurrency_config",
         {"FunctionName": "parity", "Qualifier": "$LATEST"}, "InvalidParameterValueException", 400,
         "The function resource provided must be an alias or a published version."),
    Case("a config that is not there", "get_provisioned_concurrency_config",
         {"FunctionName": "parity", "Qualifier": "1"}, "ProvisionedConcurrencyConfigNotFoundException", 404,
         "No Provisioned Concurrency Config found for this function"),
    Case("provisioning an unknown alias", "put_provisioned_concurrency_config",
         {"FunctionName": "parity", "Qualifier": "ghost", "ProvisionedConcurrentExecutions": 1},
         "ResourceNotFoundException", 404, f"Cannot find alias arn: {ARN}:parity:ghost"),
    Case("provisioning an unknown version", "put_provisioned_concurrency_config",
         {"FunctionName": "parity", "Qualifier": "9", "ProvisionedConcurrentExecutions": 1},
         "ResourceNotFoundException", 404, f"Function not found: {ARN}:parity:9"),
    Case("more than the account has", "put_provisioned_concurrency_config",
         {"FunctionName": "parity", "Qualifier": "1", "ProvisionedConcurrentExecutions": 1001},
         "InvalidParameterValueException", 400,
         "Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [1000]."),
    Case("leaving less than 100 unreserved", "put_provisioned_concurrency_config",
         {"FunctionName": "parity", "Qualifier": "1", "ProvisionedConcurrentExecutions": 901},
         "InvalidParameterValueException", 400,
         "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its "
         "minimum value of [100]."),
]


@pytest.mark.parametrize("case", PROVISIONED_CASES, ids=ids(PROVISIONED_CASES))
def test_when_provisioned_concurrency_is_refused_then_aws_says_why(lam, case):
    check(lam, case)


def test_when_a_missing_provisioned_config_is_deleted_then_nothing_happens(lam):
    response = lam.delete_provisioned_concurrency_config(FunctionName="parity", Qualifier="live")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204


ALL_CASES = [*MODEL_CASES, *FUNCTION_CASES, *NAME_CASES, *ALIAS_CASES, *PERMISSION_CASES, *URL_CASES, *ESM_CASES,
             *PROVISIONED_CASES]


def test_the_suite_holds_at_least_80_distinct_refusals():
    assert len({case.id for case in ALL_CASES}) == len(ALL_CASES) >= 80
