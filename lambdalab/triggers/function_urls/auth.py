"""``AuthType: AWS_IAM`` for function URLs: Signature Version 4, checked as Lambda checks it.

A request passes only if its ``Authorization`` header names the sandbox's access key and a credential scope
for this region and the ``lambda`` service, its ``X-Amz-Date`` is within five minutes of now, it signs at
least ``host`` and ``x-amz-date``, its payload hash (when it sends one) is the hash of the body that came,
and the signature recomputed by botocore's own signer over what arrived — method, path, query, the signed
headers, the body — is the one it carries. Anything else is AWS's 403 ``{"Message":"Forbidden"}``: the
same answer for every failure, so a caller learns nothing from the refusal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lambdalab.events.apigateway import HttpRequest
from lambdalab.events.function_url import IamCaller

MAX_CLOCK_SKEW = dt.timedelta(minutes=5)
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/\s,]+)/(?P<date>\d{8})/(?P<region>[^/\s,]+)/"
    r"(?P<service>[^/\s,]+)/aws4_request\s*,\s*SignedHeaders=(?P<signed>[a-z0-9\-;]+)\s*,\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})\s*$")


@dataclass(frozen=True)
class SandboxCredentials:
    """The one identity the sandbox knows (its fake credentials), and where it is."""

    access_key: str
    secret_key: str
    session_token: str | None
    region: str
    account_id: str


class Forbidden(Exception):
    """Why a request was refused (for tests and logs; the client only ever sees ``Forbidden``)."""


def verify(request: HttpRequest, credentials: SandboxCredentials, *, now: dt.datetime | None = None) -> IamCaller:
    """The caller of a correctly signed request, or :class:`Forbidden` with the reason."""
    match = _AUTHORIZATION.match(request.header("authorization") or "")
    if match is None:
        raise Forbidden("missing or malformed Authorization header")
    if match["service"] != "lambda" or match["region"] != credentials.region:
        raise Forbidden(f"credential scope is for {match['service']} in {match['region']}")
    if match["key"] != credentials.access_key:
        raise Forbidden("unknown access key")
    token = request.header("x-amz-security-token")
    if token is not None and token != credentials.session_token:
        raise Forbidden("invalid security token")
    signed = match["signed"].split(";")
    if "host" not in signed or not ("x-amz-date" in signed or "date" in signed):
        raise Forbidden("host and x-amz-date must be signed")
    stamp = request.header("x-amz-date") or ""
    try:
        moment = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise Forbidden("missing or malformed X-Amz-Date") from None
    if abs((now or dt.datetime.now(dt.UTC)) - moment) > MAX_CLOCK_SKEW or stamp[:8] != match["date"]:
        raise Forbidden("request time is too skewed or outside the credential's date")
    declared = request.header("x-amz-content-sha256")
    if declared is not None and declared != hashlib.sha256(request.body).hexdigest():
        raise Forbidden("payload hash does not match the body")
    expected = _signature(request, signed, stamp, credentials)
    if not hmac.compare_digest(expected, match["signature"]):
        raise Forbidden("signature does not match")
    return IamCaller(access_key=credentials.access_key, account_id=credentials.account_id)


def _signature(request: HttpRequest, signed: list[str], stamp: str, credentials: SandboxCredentials) -> str:
    """Recompute the signature over what arrived, with botocore's signer (no hand-rolled crypto)."""
    headers: dict[str, str] = {}
    for name, value in request.headers:
        key = name.lower()
        if key in signed:
            headers[key] = f"{headers[key]},{value}" if key in headers else value
    missing = set(signed) - set(headers)
    if missing:
        raise Forbidden(f"signed headers absent: {sorted(missing)}")
    url = f"http://{headers['host']}{request.path}" + (f"?{request.query}" if request.query else "")
    aws_request = AWSRequest(method=request.method, url=url, headers=headers, data=request.body)
    aws_request.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(credentials.access_key, credentials.secret_key, credentials.session_token),
                       "lambda", credentials.region)
    canonical = signer.canonical_request(aws_request)
    return signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
