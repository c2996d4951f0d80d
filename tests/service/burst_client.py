"""A burst client fast enough to look like a room: many Invoke requests on the wire within milliseconds.

boto3 threads in the sandbox's own process cannot do that: they share its interpreter lock with the server
that parses their requests, so on two busy cores 300 of them reach the sandbox spread over seconds. Here
the requests are signed (SigV4, the sandbox's fake credentials) before anything is sent, handed to a few
worker processes that each open their share of keep-alive HTTP connections, and released together by a
barrier: each worker then writes all its requests, one per connection, before it reads any answer.

The answers come back as :class:`Answer` (status, headers, body) and read as boto3 would read them with
:func:`as_boto3_sees_it`. Only loopback addresses are accepted.
"""

from __future__ import annotations

import functools
import http.client
import multiprocessing
import time
from dataclasses import dataclass

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
FAKE_CREDENTIALS = ("testing", "testing")


@dataclass(frozen=True)
class SignedRequest:
    """One HTTP request, signed and ready to write."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class Answer:
    """One HTTP response as it came back."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class Burst:
    """What a burst got back, and how it went on the client's side (``time.monotonic`` seconds)."""

    answers: tuple[Answer, ...]
    released: float  # the barrier let every worker go
    sent: float  # the last request was written to its socket
    answered: float  # the last answer was read

    @property
    def send_spread(self) -> float:
        """Seconds from the release to the last request on the wire."""
        return self.sent - self.released

    @property
    def answered_within(self) -> float:
        """Seconds from the release to the last answer."""
        return self.answered - self.released


def signed_invokes(
    host: str,
    port: int,
    function_name: str,
    payloads: list[bytes],
    *,
    region: str = "us-east-1",
    invocation_type: str = "RequestResponse",
) -> list[SignedRequest]:
    """Invoke requests for ``function_name``, one per payload, signed as boto3 signs them."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    _require_loopback(host)
    signer = SigV4Auth(Credentials(*FAKE_CREDENTIALS), "lambda", region)
    path = f"/2015-03-31/functions/{function_name}/invocations"
    signed = []
    for payload in payloads:
        request = AWSRequest(
            method="POST",
            url=f"http://{host}:{port}{path}",
            data=payload,
            headers={
                "Content-Type": "application/json",
                "X-Amz-Invocation-Type": invocation_type,
                "Host": f"{host}:{port}",
            },
        )
        signer.add_auth(request)
        headers = tuple((str(k), str(v)) for k, v in request.headers.items())
        signed.append(SignedRequest("POST", path, (*headers, ("Content-Length", str(len(payload)))), payload))
    return signed


def burst(host: str, port: int, requests: list[SignedRequest], *, processes: int = 4, timeout: float = 120.0) -> Burst:
    """Send every request at once (one connection each, split over ``processes`` workers) and collect the
    answers in the order of ``requests``."""
    _require_loopback(host)
    context = multiprocessing.get_context("spawn")  # the sandbox's threads must not be forked
    shares = [requests[i::processes] for i in range(processes)]
    barrier = context.Barrier(processes + 1)
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(i, host, port, share, barrier, results, timeout), daemon=True)
        for i, share in enumerate(shares)
    ]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(timeout)  # every worker has its connections open
        collected = [results.get(timeout=timeout) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout)
            if worker.is_alive():
                worker.kill()
    failures = [report.error for report in collected if report.error]
    if failures:
        raise RuntimeError(f"a burst worker failed: {failures[0]}")
    answers: list[Answer] = [None] * len(requests)  # type: ignore[list-item]
    for report in collected:
        answers[report.index :: processes] = report.answers
    # The first worker past the barrier marks the release (the parent may be scheduled later than all).
    return Burst(
        tuple(answers),
        min(r.released for r in collected),
        max(r.sent for r in collected),
        max(r.answered for r in collected),
    )


@dataclass(frozen=True)
class _Report:
    """What one worker sends back: its answers (requests ``index``, ``index + processes``, ...) and times."""

    index: int
    answers: tuple[Answer, ...] = ()
    released: float = 0.0
    sent: float = 0.0
    answered: float = 0.0
    error: str | None = None


def _worker(
    index: int, host: str, port: int, share: list[SignedRequest], barrier: object, results: object, timeout: float
) -> None:
    try:
        connections = [http.client.HTTPConnection(host, port, timeout=timeout) for _ in share]
        for connection in connections:
            connection.connect()
    except OSError as exc:
        barrier.abort()
        results.put(_Report(index, error=f"connecting: {exc!r}"))
        return
    barrier.wait(timeout)
    released = time.monotonic()
    try:
        for connection, request in zip(connections, share, strict=True):
            connection.request(request.method, request.path, body=request.body, headers=dict(request.headers))
        sent = time.monotonic()
        got = []
        for connection in connections:
            response = connection.getresponse()
            got.append(Answer(response.status, tuple(response.getheaders()), response.read()))
            connection.close()
        results.put(_Report(index, tuple(got), released, sent, time.monotonic()))
    except OSError as exc:
        results.put(_Report(index, error=repr(exc)))


@dataclass(frozen=True)
class Outcome:
    """An Invoke answer as boto3 reads it: the HTTP status, and for a refusal the error code (the exception
    boto3 raises) and the ``Reason`` it carries."""

    status: int
    error: str | None = None
    reason: str | None = None


def as_boto3_sees_it(answer: Answer) -> Outcome:
    """Read an Invoke answer with botocore's own parser and Lambda's service model, as boto3 does."""
    from botocore.awsrequest import HeadersDict
    from botocore.parsers import create_parser

    model = _lambda_model()
    parser = create_parser(model.metadata["protocol"])
    response = {"status_code": answer.status, "headers": HeadersDict(answer.headers), "body": answer.body}
    parsed = parser.parse(response, model.operation_model("Invoke").output_shape)
    if answer.status < 300:
        return Outcome(answer.status)
    code = parsed["Error"]["Code"]
    shape = model.shape_for_error_code(code)  # the modeled fields boto3 adds to its exception's response
    modeled = parser.parse(response, shape) if shape is not None else {}
    return Outcome(answer.status, code, modeled.get("Reason"))


@functools.cache
def _lambda_model() -> object:
    import botocore.session

    return botocore.session.get_session().get_service_model("lambda")


def _require_loopback(host: str) -> None:
    if host not in LOOPBACK:
        raise ValueError(f"the burst client only talks to this machine (127.0.0.1), not {host!r}")
