"""AWS's vocabulary, written once: the account and Region the sandbox pretends to be, the limits that differ
from one front door to another, the reasons Lambda gives for a throttle, and ARNs.

Every layer may import this module (the runtime and the simulator included), and it imports nothing from
lambdalab, so a fact cannot drift between the rooms that use it (``tests/test_layering.py`` checks that).
Different facts get different names even when they look alike: a synchronous invoke's 6 MB request is not
API Gateway's 10 MB payload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- who the sandbox is ---------------------------------------------------------------------------------
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
PARTITION = "aws"

# --- request sizes --------------------------------------------------------------------------------------
#: A synchronous invoke's request (its event): "Request must be smaller than 6291456 bytes for the
#: InvokeFunction operation" (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
MAX_SYNC_INVOKE_REQUEST_BYTES = 6_291_456
#: An asynchronous invoke's event: "For asynchronous invocations, the maximum payload size is 1 MB"
#: (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html, checked December 2026; 256 KB before 2025).
MAX_ASYNC_INVOKE_REQUEST_BYTES = 1_048_576
#: The deprecated InvokeAsync API's event: "The payload limit is 256KB. For larger payloads, for up to 1MB, use
#: Invoke" (https://docs.aws.amazon.com/lambda/latest/api/API_InvokeAsync.html, checked December 2026).
MAX_INVOKE_ASYNC_API_BYTES = 262_144
#: The largest Lambda API request body the control plane accepts (a CreateFunction or UpdateFunctionCode
#: upload, base64 included): "Request must be smaller than 70167211 bytes for the CreateFunction operation".
MAX_CONTROL_PLANE_REQUEST_BYTES = 70_167_211
#: API Gateway's payload quota, 10 MB
#: (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
MAX_API_GATEWAY_PAYLOAD_BYTES = 10 * 1024 * 1024

# --- a function's configuration --------------------------------------------------------------------------
#: MemorySize, in MB: 128 to 10,240 (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240
#: Timeout, in seconds: at most 900, 15 minutes (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
MAX_TIMEOUT_S = 900
#: A function's code and layers, unzipped: "Unzipped size must be smaller than 262144000 bytes" (250 MB).
MAX_UNZIPPED_CODE_BYTES = 262_144_000

# --- throttles: the ``Reason`` of a TooManyRequestsException ------------------------------------------------
#: The account's (unreserved) concurrency is used up.
ACCOUNT_CONCURRENCY_EXCEEDED = "ConcurrentInvocationLimitExceeded"
#: The function's reserved concurrency is used up.
RESERVED_CONCURRENCY_EXCEEDED = "ReservedFunctionConcurrentInvocationLimitExceeded"
#: The account's invocation rate (10 × its concurrency per second) is used up.
ACCOUNT_RATE_EXCEEDED = "FunctionInvocationRateLimitExceeded"
#: The function's invocation rate (10 × its reserved concurrency per second) is used up.
RESERVED_RATE_EXCEEDED = "ReservedFunctionInvocationRateLimitExceeded"
THROTTLE_REASONS = (ACCOUNT_CONCURRENCY_EXCEEDED, RESERVED_CONCURRENCY_EXCEEDED, ACCOUNT_RATE_EXCEEDED,
                    RESERVED_RATE_EXCEEDED)

#: Invocations a second Lambda accepts per unit of concurrency, account-wide or reserved (the request-rate
#: cap behind the two *RateLimitExceeded* reasons): 10 x concurrency.
REQUESTS_PER_CONCURRENCY = 10

# --- execution environments ------------------------------------------------------------------------------
#: Seconds an idle execution environment is kept before it is reclaimed. AWS does not publish it; measured
#: at 5–7 minutes since 2021, and the lessons (00, 01, 02b) teach 6 minutes, so the live sandbox and both
#: simulators use it.
DEFAULT_KEEP_ALIVE_S = 360.0

# --- ARNs ------------------------------------------------------------------------------------------------
_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>function|layer):(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?$"
)


@dataclass(frozen=True)
class Arn:
    """A Lambda function ARN (with or without a qualifier: a version, alias or ``$LATEST``) or a layer ARN
    (with or without a version): ``arn:aws:lambda:{region}:{account}:{function|layer}:{name}[:{qualifier}]``.
    """

    name: str
    qualifier: str | None = None
    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT_ID
    kind: str = "function"
    partition: str = PARTITION

    @classmethod
    def function(cls, name: str, qualifier: str | None = None, *, region: str = DEFAULT_REGION,
                 account: str = DEFAULT_ACCOUNT_ID) -> Arn:
        return cls(name, qualifier or None, region, account)

    @classmethod
    def layer(cls, name: str, version: int | str | None = None, *, region: str = DEFAULT_REGION,
              account: str = DEFAULT_ACCOUNT_ID) -> Arn:
        return cls(name, None if version is None else str(version), region, account, kind="layer")

    @classmethod
    def parse(cls, text: str) -> Arn:
        """The ARN ``text`` spells; ``ValueError`` naming it when it is not a Lambda function or layer ARN."""
        match = _ARN.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a Lambda function or layer ARN "
                             "(arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}])")
        return cls(match["name"], match["qualifier"], match["region"], match["account"], match["kind"],
                   match["partition"])

    @classmethod
    def name_and_qualifier(cls, name_or_arn: str) -> tuple[str, str | None]:
        """``(name, qualifier)`` of a full ARN or of ``name[:qualifier]`` (how Lambda reads ``FunctionName``)."""
        if _ARN.match(name_or_arn):
            arn = cls.parse(name_or_arn)
            return arn.name, arn.qualifier
        if name_or_arn.startswith("arn:"):  # another partition's or service's ARN: its seventh field on
            parts = name_or_arn.split(":")
            return parts[6], (parts[7] if len(parts) > 7 else None)
        name, _, qualifier = name_or_arn.partition(":")
        return name, qualifier or None

    @property
    def unqualified(self) -> Arn:
        return Arn(self.name, None, self.region, self.account, self.kind, self.partition)

    def __str__(self) -> str:
        text = f"arn:{self.partition}:lambda:{self.region}:{self.account}:{self.kind}:{self.name}"
        return f"{text}:{self.qualifier}" if self.qualifier else text


def function_arn(name: str, qualifier: str | None = None, *, region: str = DEFAULT_REGION,
                 account: str = DEFAULT_ACCOUNT_ID) -> str:
    """``arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}]`` as text."""
    return str(Arn.function(name, qualifier, region=region, account=account))
