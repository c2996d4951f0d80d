"""The errors Lambda's API answers with, as one exception type the gateway and CloudFormation share.

Lambda (a ``rest-json`` service) sends an error as an HTTP status, an ``x-amzn-ErrorType`` header naming
the exception, and a JSON body ``{"Type": "User", "message": "..."}``; botocore reads the code from the
header and the message from the body, so boto3 raises ``lam.exceptions.<Code>`` with AWS's words.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
}


@dataclass(frozen=True)
class LambdaError(Exception):
    """One refusal: AWS's exception name, HTTP status and message (``Type`` is ``User`` or ``Service``)."""

    code: str
    status: int
    message: str
    error_type: str = "User"

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def body(self) -> bytes:
        return json.dumps({"Type": self.error_type, "message": self.message}).encode()

    def headers(self, length: int) -> list[tuple[str, str]]:
        return [("Content-Type", "application/json"), ("x-amzn-ErrorType", self.code), ("Content-Length", str(length))]

    @property
    def status_line(self) -> str:
        return f"{self.status} {_REASONS.get(self.status, 'Error')}"


def validation_exception(violations: Sequence[str]) -> LambdaError:
    """``ValidationException`` for constraint violations, counted and joined the way AWS joins them."""
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    return LambdaError("ValidationException", 400, f"{count} validation {noun} detected: {'; '.join(violations)}")


def invalid_parameter(message: str) -> LambdaError:
    return LambdaError("InvalidParameterValueException", 400, message)


def not_found(message: str) -> LambdaError:
    return LambdaError("ResourceNotFoundException", 404, message)


def conflict(message: str) -> LambdaError:
    return LambdaError("ResourceConflictException", 409, message)


def too_large(message: str) -> LambdaError:
    return LambdaError("RequestEntityTooLargeException", 413, message)


def access_denied(message: str) -> LambdaError:
    return LambdaError("AccessDeniedException", 403, message)


def serialization(message: str) -> LambdaError:
    return LambdaError("SerializationException", 400, message)


def invalid_request_content(message: str) -> LambdaError:
    return LambdaError("InvalidRequestContentException", 400, message)


def service_exception(message: str = "The Lambda service encountered an internal error.") -> LambdaError:
    return LambdaError("ServiceException", 500, message, error_type="Service")
