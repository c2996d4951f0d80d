"""Where moto hands an invocation to lambdalab.

moto runs no handler without Docker (docs/facts.md). Every way moto invokes a function — the ``Invoke`` API,
``InvokeAsync``, its S3 notifications and SQS mappings — calls ``LambdaFunction.invoke(body, request
headers, response headers)``, so replacing that one method routes them all to the
:class:`~lambdalab.service.lambda_service.LambdaService`. It is a private API of moto: the project pins
moto to a minor range, and ``tests/service`` guards this seam.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.core.exceptions import JsonRESTError

from lambdalab.aws_facts import MAX_ASYNC_INVOKE_REQUEST_BYTES, MAX_SYNC_INVOKE_REQUEST_BYTES
from lambdalab.runtime.config import InvalidParameterValueException
from lambdalab.service import moto_patching, packages
from lambdalab.service.concurrency import TooManyRequests
from lambdalab.service.lambda_service import LambdaService, ResourceNotFound

_LOG_TAIL_BYTES = 4096
NO_PAYLOAD = b"{}"  # what Lambda hands a handler when the Invoke request has no payload


class TooManyRequestsException(JsonRESTError):
    """HTTP 429 with the body AWS sends, so boto3 raises ``TooManyRequestsException`` with its Reason."""

    code = 429

    def __init__(self, reason: str) -> None:
        super().__init__("TooManyRequestsException", "Rate Exceeded.")
        self.description = json.dumps(
            {"Reason": reason, "Type": "User", "message": "Rate Exceeded.", "__type": "TooManyRequestsException"}
        )


class RequestTooLargeException(JsonRESTError):
    """HTTP 413: the event is larger than Lambda takes for its invocation type.

    AWS's message for a synchronous invoke is documented to the byte (``aws_facts``); for an asynchronous
    one AWS publishes the limit and the error type but not the message, so it is worded the same way.
    """

    code = 413

    def __init__(self, limit: int) -> None:
        super().__init__(
            "RequestTooLargeException",
            f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
        )
        self.description = json.dumps({"Type": "User", "message": self.message, "__type": "RequestTooLargeException"})


class ResourceNotFoundException(LambdaClientError):
    code = 404

    def __init__(self, message: str) -> None:
        super().__init__("ResourceNotFoundException", message)


# The qualifier the caller named (an alias, say) for the request this thread is serving: moto hands the
# hook the version it resolved, but metrics and provisioned concurrency are kept per alias, as on AWS.
_request = threading.local()


@contextmanager
def requested_qualifier(qualifier: str | None) -> Iterator[None]:
    _request.qualifier = qualifier
    try:
        yield
    finally:
        _request.qualifier = None


def install(service: LambdaService) -> None:
    """Route moto's invocations to ``service`` (idempotent; the latest service wins).

    The service is held where every patched moto seam finds its owners, :func:`moto_patching.bind`, and
    moto's own ``invoke`` stays reachable as ``moto_patching.original``.
    """
    from moto.awslambda.models import LambdaFunction

    moto_patching.bind(service)
    moto_patching.replace(LambdaFunction, "invoke", _invoke)
    _install_package_checks()


def _install_package_checks() -> None:
    """Check every zip moto accepts — CreateFunction, UpdateFunctionCode, code from S3, layers — where moto
    reads it (its ``_zipfile_content`` and ``_s3_content``), so no path can skip AWS's unzipped limit or
    bring in an entry that would leave its folder."""
    from moto.awslambda import models

    for name in ("_zipfile_content", "_s3_content"):

        def checked(content: Any, _name: str = name) -> tuple[bytes, int, str, str]:
            result = moto_patching.original(models, _name)(content)
            if result[0]:
                try:
                    packages.inspect(result[0])
                except InvalidParameterValueException as exc:
                    from moto.awslambda.exceptions import InvalidParameterValueException as MotoInvalid

                    raise MotoInvalid(str(exc)) from None
            return result

        moto_patching.replace(models, name, checked)


def _invoke(fn: Any, body: Any, request_headers: Any, response_headers: dict[str, str]) -> bytes:
    service = moto_patching.bound_service()
    if service is None:  # pragma: no cover - install() always runs before moto serves
        return moto_patching.original(type(fn), "invoke")(fn, body, request_headers, response_headers)
    return answer(service, fn, body, request_headers, response_headers)


def answer(service: LambdaService, fn: Any, body: Any, request_headers: Any,
           response_headers: dict[str, str]) -> bytes:
    """Invoke moto's function ``fn`` through ``service`` as the ``Invoke`` API asks (``request_headers``
    say how), fill in Invoke's response headers, and return its payload.

    Lambda's response headers go into ``response_headers``: ``x-amzn-requestid`` is the invocation's own
    request ID (the one its log lines carry, as on AWS), ``x-amz-executed-version``, ``x-amz-log-result``
    (the last 4 KB of its log, base64) and ``x-amz-function-error`` when the function failed. Refusals are
    moto errors with AWS's status and body: 413, 429, 404.
    """
    headers = {str(k).lower(): v for k, v in dict(request_headers or {}).items()}
    # An Invoke without a payload (``aws lambda invoke --function-name f out.json``) hands the handler {}.
    payload = (body.encode() if isinstance(body, str) else body) or NO_PAYLOAD
    invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
    limit = MAX_ASYNC_INVOKE_REQUEST_BYTES if invocation_type == "Event" else MAX_SYNC_INVOKE_REQUEST_BYTES
    if len(payload) > limit:
        raise RequestTooLargeException(limit)
    qualifier = invoked_qualifier(fn, getattr(_request, "qualifier", None))
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        from lambdalab.service.async_invoke import enqueue

        enqueue(service, fn.function_name, payload, qualifier=qualifier)
        return b""
    client_context = headers.get("x-amz-client-context")
    try:
        invocation = service.invoke(
            fn.function_name, payload, qualifier=qualifier, client_context=_decode_client_context(client_context)
        )
    except TooManyRequests as throttled:
        raise TooManyRequestsException(throttled.reason) from None
    except ResourceNotFound as missing:
        raise ResourceNotFoundException(str(missing)) from None
    response_headers["x-amzn-requestid"] = invocation.request_id
    response_headers["x-amz-executed-version"] = invocation.executed_version
    tail = invocation.logs.encode()[-_LOG_TAIL_BYTES:]
    response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
    if invocation.error is not None:
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps(invocation.error).encode()
    return invocation.raw_payload


def invoked_qualifier(fn: Any, named: str | None) -> str | None:
    """The qualifier an invocation runs under: the one the caller named (an alias keeps its name, for its
    metrics and provisioned concurrency), else the version moto resolved, else none for $LATEST."""
    return named or (str(fn.version) if str(fn.version) != "$LATEST" else None)


def _decode_client_context(value: str | None) -> str | None:
    """boto3 sends ClientContext base64-encoded; the runtime wants the JSON itself."""
    if not value:
        return None
    try:
        return base64.b64decode(value).decode()
    except ValueError:
        return value
