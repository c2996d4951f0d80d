"""lambdalab's built-in Lambda runtime client, for machines where AWS's ``awslambdaric`` has no wheel.

AWS publishes ``awslambdaric`` for Linux only, so a learner on macOS or Windows would have no runtime
client at all. This file is that client, written to behave as ``awslambdaric`` does in every way a handler
or a caller can observe: the init/invoke split, the context object, the error documents and their types,
the ``[ERROR]`` log lines, and unbuffered output. The behavioural test suite runs against both clients.

It is run as a script (``python client.py module.handler``) by an execution environment, never imported
by the notebook kernel, so it must only use the standard library and must not import lambdalab.
"""

from __future__ import annotations

import decimal
import http.client
import importlib
import json
import math
import os
import socket
import sys
import time
import traceback
from typing import Any

API_PREFIX = "/2018-06-01/runtime"


class FaultException(Exception):
    """A failure of the runtime rather than of the handler, with AWS's ``Runtime.*`` error type."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


class _Unbuffered:
    """Write-through wrapper, as awslambdaric installs, so log lines reach the log before the response."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, data: str) -> int:
        written = self._stream.write(data)
        self._stream.flush()
        return written

    def writelines(self, lines: list[str]) -> None:
        self._stream.writelines(lines)
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class LambdaContext:
    """The ``context`` argument, with the same attributes (and types) as awslambdaric's."""

    def __init__(self, request_id: str, deadline_ms: int, invoked_function_arn: str | None,
                 client_context: Any, identity: Any) -> None:
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        # AWS's Python runtime hands this over as the string it reads from the environment.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self) -> str:
        return (f"LambdaContext([aws_request_id={self.aws_request_id},function_name={self.function_name},"
                f"function_version={self.function_version},memory_limit_in_mb={self.memory_limit_in_mb}])")


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return math.nan if o.is_nan() else float(o)
        return super().default(o)


def _marshal(response: Any) -> tuple[bytes, str]:
    if isinstance(response, bytes):
        return response, "application/unknown"
    try:
        return _Encoder(allow_nan=True).encode(response).encode("utf-8"), "application/json"
    except Exception as exc:  # noqa: BLE001 - any encoding failure is AWS's MarshalError
        raise FaultException("Runtime.MarshalError", f"Unable to marshal response: {exc}") from None


def _load_handler(handler: str) -> Any:
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as exc:
        raise FaultException("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {exc}") from None
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise FaultException("Runtime.BuiltInModuleConflict",
                                 f"Cannot use built-in module {module_name} as a handler module")
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise FaultException("Runtime.ImportModuleError",
                             f"Unable to import module '{module_name}': {exc}") from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise FaultException("Runtime.UserCodeSyntaxError",
                             f"Syntax error in module '{module_name}': {exc}", trace) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultException("Runtime.HandlerNotFound",
                             f"Handler '{function_name}' missing on module '{module_name}'") from None


def _error_document(exc: BaseException, request_id: str | None = None) -> dict[str, Any]:
    if isinstance(exc, FaultException):
        error_type, message, trace = exc.error_type, exc.message, exc.trace or []
    else:
        frames = traceback.extract_tb(exc.__traceback__)
        # Hide the runtime's own frames, as awslambdaric does, so the trace starts in the learner's code.
        frames = [f for f in frames if f.filename != __file__] or frames
        error_type, message, trace = type(exc).__name__, str(exc), traceback.format_list(frames)
    document = {"errorMessage": message, "errorType": error_type, "requestId": request_id or "",
                "stackTrace": trace}
    return document


def _log_error(document: dict[str, Any]) -> None:
    """Print the ``[ERROR]`` block awslambdaric writes to the function's log."""
    lines = [f"[ERROR] {document['errorType']}: {document['errorMessage']}"]
    if document.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for element in document["stackTrace"]:
            lines.extend(line.replace("  ", "\u00a0\u00a0", 1) if line.startswith("  ") else line
                         for line in element.splitlines())
    sys.stdout.write("\n".join(lines) + "\n")


class RuntimeAPI:
    """A keep-alive HTTP/1.1 connection to the Runtime API, with Nagle off (else ~40 ms per invoke)."""

    def __init__(self, address: str) -> None:
        self._address = address
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            conn = http.client.HTTPConnection(self._address, timeout=None)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
        return self._conn

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = self._connection()
        conn.request(method, API_PREFIX + path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def next_invocation(self) -> tuple[dict[str, str], bytes]:
        _, headers, body = self.request("GET", "/invocation/next")
        return headers, body

    def post_result(self, request_id: str, body: bytes, content_type: str) -> None:
        self.request("POST", f"/invocation/{request_id}/response", body, {"Content-Type": content_type})

    def post_error(self, request_id: str, document: dict[str, Any]) -> None:
        self.request("POST", f"/invocation/{request_id}/error", json.dumps(document).encode(),
                     {"Content-Type": "application/json",
                      "Lambda-Runtime-Function-Error-Type": document["errorType"]})

    def post_init_error(self, document: dict[str, Any]) -> None:
        self.request("POST", "/init/error", json.dumps(document).encode(),
                     {"Content-Type": "application/json",
                      "Lambda-Runtime-Function-Error-Type": document["errorType"]})


def _parse_json_header(value: str | None, name: str) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError as exc:
        raise FaultException("Runtime.LambdaContextUnmarshalError",
                             f"Unable to parse {name} JSON: {exc}") from None


def handle(api: RuntimeAPI, handler: Any, headers: dict[str, str], body: bytes) -> None:
    request_id = headers["lambda-runtime-aws-request-id"]
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    try:
        context = LambdaContext(
            request_id,
            int(headers.get("lambda-runtime-deadline-ms", "0")),
            headers.get("lambda-runtime-invoked-function-arn"),
            _parse_json_header(headers.get("lambda-runtime-client-context"), "Client Context"),
            _parse_json_header(headers.get("lambda-runtime-cognito-identity"), "Cognito Identity"),
        )
        try:
            event = json.loads(body) if body else None
        except ValueError as exc:
            raise FaultException("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}") from None
        result, content_type = _marshal(handler(event, context))
    except Exception as exc:  # noqa: BLE001 - every handler failure becomes AWS's error document
        document = _error_document(exc, request_id)
        _log_error(document)
        api.post_error(request_id, document)
        return
    api.post_result(request_id, result, content_type)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write("usage: client.py module.handler\n")
        return 2
    sys.stdout = _Unbuffered(sys.stdout)
    sys.stderr = _Unbuffered(sys.stderr)
    # Run as a script, Python put this file's folder first on the path; a handler must not see it.
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    api = RuntimeAPI(os.environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler = _load_handler(argv[1])
    except Exception as exc:  # noqa: BLE001 - an init failure of any kind is reported, then we exit
        document = _error_document(exc)
        sys.stdout.write("[WARNING] Unhandled exception during init.\n")
        _log_error(document)
        api.post_init_error(document)
        return 1
    while True:
        headers, body = api.next_invocation()
        handle(api, handler, headers, body)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
