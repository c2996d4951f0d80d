"""The rules behind the front doors, on their own: API Gateway's token bucket and the function URL policy."""

from __future__ import annotations

import pytest

from lambdalab.triggers.apigateway.throttle import Limits, TokenBucket
from lambdalab.triggers.function_urls.policy import UrlRequestContext, decide

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"
PUBLIC = UrlRequestContext(function_arn=ARN, auth_type="NONE", account_id="123456789012", public=True)
SIGNED = UrlRequestContext(function_arn=ARN, auth_type="AWS_IAM", account_id="123456789012", public=False)
# The two statements as AWS writes them (Condition blocks) ...
AWS_URL = {
    "Sid": "url",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "lambda:InvokeFunctionUrl",
    "Resource": ARN,
    "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
}
AWS_INVOKE = {
    "Sid": "invoke",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "lambda:InvokeFunction",
    "Resource": ARN,
    "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_lets_a_burst_through_then_refills_at_its_rate():
    clock = FakeClock()
    bucket = TokenBucket(Limits(rate=2.0, burst=3), clock=clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.now = 0.5  # one token back at 2 per second
    assert [bucket.take(), bucket.take()] == [True, False]
    clock.now = 100.0  # never more than the burst
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_a_bucket_with_burst_zero_refuses_everything():
    assert TokenBucket(Limits(rate=100.0, burst=0)).take() is False


def test_the_two_statements_as_aws_writes_them_open_a_none_url():
    assert decide([AWS_URL, AWS_INVOKE], PUBLIC) is True
    assert decide([AWS_URL], PUBLIC) is False and decide([AWS_INVOKE], PUBLIC) is False


@pytest.mark.parametrize(
    "change",
    [
        {"Principal": {"AWS": "111122223333"}},
        {"Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}},
        {"Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc/*"}}},
        {"Resource": ARN.replace(":f", ":other")},
    ],
)
def test_a_statement_that_does_not_fit_the_request_grants_nothing(change):
    assert decide([{**AWS_URL, **change}, AWS_INVOKE], PUBLIC) is False


def test_wildcard_actions_grant_both():
    assert decide([{**AWS_URL, "Action": "lambda:*", "Condition": {}}], PUBLIC) is True


def test_an_explicit_deny_wins_even_for_a_signed_caller():
    deny = {**AWS_INVOKE, "Effect": "Deny", "Condition": {}}
    assert decide([AWS_URL, AWS_INVOKE, deny], PUBLIC) is False
    assert decide([], SIGNED) is True  # the sandbox's one identity stands for an administrator
    assert decide([deny], SIGNED) is False
