"""A function's configuration as the runtime needs it, validated with AWS's own messages and limits.

Validation lives here, next to the data, so that every way of creating a function (the notebook API,
boto3 through the sandbox, a SAM template) refuses bad input with the same words AWS uses.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from lambdalab.aws_facts import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, MAX_MEMORY_MB, MAX_TIMEOUT_S, MIN_MEMORY_MB, Arn

INIT_TIMEOUT_S = 10.0  # AWS caps an on-demand init phase at 10 s, then retries it inside the first invoke
#: A provisioned environment's init may run for this long, or the function's timeout if that is longer
#: (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html, checked December 2026).
PROVISIONED_INIT_TIMEOUT_S = 130.0
MAX_RESPONSE_BYTES = 6_291_556  # AWS's response limit, to the byte, as its error message states it
LATEST = "$LATEST"

_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
_HANDLER = re.compile(r"^[^\s]+$")
# Variables Lambda sets itself; AWS refuses them in a function's Environment.
RESERVED_VARIABLES = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})


class InvalidParameterValueException(ValueError):
    """AWS's ``InvalidParameterValueException``: the request named a value Lambda does not accept."""


def validation_error(value: object, member: str, constraint: str) -> InvalidParameterValueException:
    """AWS's wording for a value outside its limits (the message boto3 users see from the real API)."""
    return InvalidParameterValueException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"{constraint}"
    )


def runtime_identifier() -> str:
    """The Lambda runtime name matching the interpreter that runs the environments (``python3.11`` …)."""
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


@dataclass(frozen=True)
class FunctionConfig:
    """Everything an execution environment needs to know about the function it runs.

    ``code_dir`` is the unpacked deployment package (``/var/task`` on AWS); ``layer_dirs`` the unpacked
    layers in the order they are attached (merged into ``/opt`` on AWS).
    """

    function_name: str
    code_dir: Path
    handler: str = "app.handler"
    memory_size: int = 128
    timeout: float = 3.0
    environment: Mapping[str, str] = field(default_factory=dict)
    version: str = LATEST
    layer_dirs: tuple[Path, ...] = ()
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID

    def __post_init__(self) -> None:
        if not _FUNCTION_NAME.match(self.function_name):
            raise validation_error(self.function_name, "functionName",
                                   "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ "
                                   "and have length less than or equal to 64")
        if not _HANDLER.match(self.handler) or len(self.handler) > 128:
            raise validation_error(self.handler, "handler",
                                   "Member must satisfy regular expression pattern: [^\\s]+")
        if not isinstance(self.memory_size, int) or isinstance(self.memory_size, bool):
            raise validation_error(self.memory_size, "memorySize", "Member must be an integer")
        if self.memory_size < MIN_MEMORY_MB:
            raise validation_error(self.memory_size, "memorySize",
                                   f"Member must have value greater than or equal to {MIN_MEMORY_MB}")
        if self.memory_size > MAX_MEMORY_MB:
            raise validation_error(self.memory_size, "memorySize",
                                   f"Member must have value less than or equal to {MAX_MEMORY_MB}")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, int | float) or (
                not float(self.timeout).is_integer()):
            raise validation_error(self.timeout, "timeout", "Member must be a whole number of seconds")
        if self.timeout < 1:
            raise validation_error(self.timeout, "timeout", "Member must have value greater than or equal to 1")
        if self.timeout > MAX_TIMEOUT_S:
            raise validation_error(self.timeout, "timeout",
                                   f"Member must have value less than or equal to {MAX_TIMEOUT_S}")
        reserved = sorted(set(self.environment) & RESERVED_VARIABLES)
        if reserved:
            raise InvalidParameterValueException(
                "Lambda was unable to configure your environment variables because the environment "
                f"variables you have provided contains reserved keys that are currently not supported "
                f"for modification. Reserved keys used in this request: {', '.join(reserved)}"
            )
        bad = [k for k, v in self.environment.items() if not isinstance(k, str) or not isinstance(v, str)]
        if bad:
            raise InvalidParameterValueException(
                f"Environment variable values must be strings; got a non-string for {bad[0]!r}. "
                "Convert it with str(), as the AWS API only accepts string values."
            )
        if not Path(self.code_dir).is_dir():
            raise InvalidParameterValueException(f"Code folder {self.code_dir} does not exist.")
        object.__setattr__(self, "environment", MappingProxyType(dict(self.environment)))
        object.__setattr__(self, "layer_dirs", tuple(Path(p) for p in self.layer_dirs))

    @property
    def function_arn(self) -> str:
        return str(Arn.function(self.function_name, region=self.region, account=self.account_id))

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"
