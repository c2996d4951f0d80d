"""The control plane's checks as plain functions: what a CloudFormation provider calls before creating a
resource, with the same codes and words the HTTP API answers with."""

from __future__ import annotations

import pytest

import lambdalab
from lambdalab.controlplane import (
    LambdaError,
    Scope,
    validate,
    validate_add_permission,
    validate_create_alias,
    validate_create_function,
)

ROLE = "arn:aws:iam::123456789012:role/lambdalab-execution-role"
GOOD = {"FunctionName": "from-a-template", "Role": ROLE, "Runtime": "python3.12", "Handler": "app.handler",
        "Code": {"S3Bucket": "artifacts", "S3Key": "app.zip"}}


def test_when_the_function_is_valid_then_nothing_is_raised():
    assert validate_create_function(dict(GOOD)) is None


@pytest.mark.parametrize(("change", "code", "status", "message"), [
    ({"FunctionName": "n" * 65}, "InvalidParameterValueException", 400,
     f"1 validation error detected: Value '{'n' * 65}' at 'functionName' failed to satisfy constraint: "
     "Member must have length less than or equal to 64"),
    ({"MemorySize": 64}, "ValidationException", 400,
     "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: "
     "Member must have value greater than or equal to 128"),
    ({"Environment": {"Variables": {"BIG": "x" * 4096}}}, "InvalidParameterValueException", 400,
     "Lambda was unable to configure your environment variables because the environment variables you have provided "
     "exceeded the 4KB limit. String measured: {\"BIG\":\"" + "x" * 4096 + "\"}"),
    ({"Tags": {f"k{i}": "v" for i in range(51)}}, "InvalidParameterValueException", 400,
     "Number of tags exceeds resource tag limit."),
    ({"FunctionName": f"arn:aws:lambda:eu-west-1:123456789012:function:{GOOD['FunctionName']}"},
     "ResourceNotFoundException", 404, "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"),
])
def test_when_a_template_function_breaks_a_rule_then_the_same_lambda_error_is_raised(change, code, status, message):
    with pytest.raises(LambdaError) as raised:
        validate_create_function({**GOOD, **change})
    assert (raised.value.code, raised.value.status, raised.value.message) == (code, status, message)


def test_when_a_rule_needs_state_then_a_scope_with_the_backend_supplies_it(box):
    lambdalab.deploy("from-a-template", code="def handler(e, c):\n    return 1\n")
    scope = Scope(box.region, box.info.account_id, backend=box.lambda_service.backend, service=box.lambda_service)
    with pytest.raises(LambdaError) as raised:
        validate_create_function(dict(GOOD), scope)
    assert (raised.value.code, raised.value.status) == ("ResourceConflictException", 409)
    assert raised.value.message == "Function already exist: from-a-template"
    with pytest.raises(LambdaError, match="Cannot find alias arn") as missing:
        validate("DeleteAlias", {"FunctionName": "from-a-template", "Name": "ghost"}, scope)
    assert missing.value.status == 404


def test_when_aliases_and_permissions_come_from_a_template_then_their_rules_apply_without_state():
    with pytest.raises(LambdaError, match="Number of items in AdditionalVersionWeights cannot be greater than 1"):
        validate_create_alias({"FunctionName": "f", "Name": "live", "FunctionVersion": "1",
                               "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.1, "3": 0.1}}})
    with pytest.raises(LambdaError, match="The provided principal was invalid"):
        validate_add_permission({"FunctionName": "f", "StatementId": "s", "Action": "lambda:InvokeFunction",
                                 "Principal": "someone"})


def test_a_lambda_error_renders_as_lambdas_wire_format():
    error = LambdaError("ResourceConflictException", 409, "Alias already exists: x")
    assert error.body() == b'{"Type": "User", "message": "Alias already exists: x"}'
    assert ("x-amzn-ErrorType", "ResourceConflictException") in error.headers(10)
    assert error.status_line == "409 Conflict"
