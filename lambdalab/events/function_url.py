"""The event a function URL hands to its function: API Gateway's payload 2.0, with the URL's own context.

Structure as in AWS's Lambda developer guide ("Invoking Lambda function URLs", request payload) and
Powertools' fixture ``tests/events/lambdaFunctionUrlEvent.json``: ``routeKey`` and ``stage`` are always
``$default``, ``apiId`` and ``domainPrefix`` are the URL id, ``accountId`` is ``anonymous`` when the URL's
AuthType is ``NONE``, and with ``AWS_IAM`` the signer's identity is in ``requestContext.authorizer.iam``.
"""

from __future__ import annotations

from dataclasses import dataclass

from lambdalab.aws_facts import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from lambdalab.events.apigateway import HttpRequest, _v2_event


@dataclass(frozen=True)
class IamCaller:
    """Who signed an AWS_IAM request, as the function sees it in ``authorizer.iam``."""

    access_key: str
    account_id: str = DEFAULT_ACCOUNT_ID
    user_id: str = "AIDACKCEVSQ6C2EXAMPLE"

    @property
    def user_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:user/lambdalab"

    def document(self) -> dict[str, object]:
        return {"accessKey": self.access_key, "accountId": self.account_id, "callerId": self.user_id,
                "cognitoIdentity": None, "principalOrgId": None, "userArn": self.user_arn,
                "userId": self.user_id}


def function_url_event(request: HttpRequest, *, url_id: str, region: str = DEFAULT_REGION,
                       caller: IamCaller | None = None, request_id: str | None = None) -> dict[str, object]:
    """The event for one request to the function URL ``https://<url_id>.lambda-url.<region>.on.aws``."""
    domain = f"{url_id}.lambda-url.{region}.on.aws"
    authorizer = {"iam": caller.document()} if caller is not None else None
    return _v2_event(request, route_key="$default", stage="$default", domain=domain, prefix=url_id, api_id=url_id,
                     account_id=caller.account_id if caller is not None else "anonymous",
                     request_id=request_id, authorizer=authorizer)
