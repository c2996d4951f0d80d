"""A Python runtime that can stream its response, the way AWS's Node.js runtime does and Python's cannot.

On AWS, response streaming is native only to the Node.js managed runtimes. Python's managed runtime
(awslambdaric) posts one buffered response: a handler that returns a generator fails with
``Runtime.MarshalError``. A Python function streams only through a *custom runtime* that speaks the
Runtime API's streaming mode itself (or through the Lambda Web Adapter, which does the same for a web
server). This file is such a runtime, small enough to read: on AWS it would be run by a ``bootstrap``
(runtime ``provided.al2023`` with an interpreter packaged) or by an ``AWS_LAMBDA_EXEC_WRAPPER`` script.

A handler with three parameters streams::

    def handler(event, response_stream, context):
        response_stream.start_http_response(200, {"content-type": "text/event-stream"})
        for word in ("one", "two"):
            response_stream.write(f"data: {word}\\n\\n")

Each ``write`` becomes one HTTP chunk of ``POST /invocation/{id}/response`` with
``Lambda-Runtime-Function-Response-Mode: streaming``, sent at once. ``start_http_response`` writes the
prelude a function URL reads its status, headers and cookies from: a JSON document, then eight null bytes,
with the content type ``application/vnd.awslambda.http-integration-response`` (what Node's
``awslambda.HttpResponseStream.from`` does). An exception after the first byte is reported in the trailers
``Lambda-Runtime-Function-Error-Type`` and ``Lambda-Runtime-Function-Error-Body``. A handler with two
parameters is run exactly as lambdalab's built-in client runs it (buffered).

Run as a script by an execution environment; standard library only, and it does not import lambdalab.
"""

from __future__ import annotations

import base64
import importlib.util
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

_spec = importlib.util.spec_from_file_location("_lambdalab_runtime_client", Path(__file__).with_name("client.py"))
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

HTTP_INTEGRATION_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
PRELUDE_DELIMITER = b"\x00" * 8


class ResponseStream:
    """The writer a streaming handler gets: every ``write`` is sent to Lambda at once, as one chunk."""

    def __init__(self, api: base.RuntimeAPI, request_id: str) -> None:
        self._api = api
        self._request_id = request_id
        self._content_type = "application/octet-stream"
        self._conn: Any = None
        self._prelude_sent = False

    @property
    def started(self) -> bool:
        return self._conn is not None

    def set_content_type(self, content_type: str) -> None:
        """The stream's content type (before the first write), for callers other than function URLs."""
        self._require_not_started("set_content_type")
        self._content_type = content_type

    def start_http_response(self, status_code: int = 200, headers: dict[str, str] | None = None,
                            cookies: list[str] | None = None) -> None:
        """Status, headers and cookies for a function URL: the prelude, before the first byte of the body."""
        self._require_not_started("start_http_response")
        prelude: dict[str, Any] = {"statusCode": int(status_code)}
        if headers:
            prelude["headers"] = {str(k): str(v) for k, v in headers.items()}
        if cookies:
            prelude["cookies"] = [str(c) for c in cookies]
        self._content_type = HTTP_INTEGRATION_CONTENT_TYPE
        self._send(json.dumps(prelude).encode() + PRELUDE_DELIMITER)
        self._prelude_sent = True

    def write(self, data: bytes | str) -> None:
        chunk = data.encode() if isinstance(data, str) else bytes(data)
        if chunk:
            self._send(chunk)

    def _require_not_started(self, what: str) -> None:
        if self.started:
            raise RuntimeError(f"{what}() must come before the first write to the response stream")

    def _open(self) -> None:
        conn = self._api._connection()
        conn.putrequest("POST", f"{base.API_PREFIX}/invocation/{self._request_id}/response",
                        skip_accept_encoding=True)
        conn.putheader("Content-Type", self._content_type)
        conn.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.putheader("Trailer", "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body")
        conn.endheaders()
        self._conn = conn

    def _send(self, chunk: bytes) -> None:
        if self._conn is None:
            self._open()
        self._conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    def finish(self, error: dict[str, Any] | None = None) -> None:
        """End the stream: the last chunk, and the error trailers when the handler failed mid-stream."""
        if self._conn is None:
            self._open()
        trailers = b""
        if error is not None:
            encoded = base64.b64encode(json.dumps(error).encode())
            trailers = (f"Lambda-Runtime-Function-Error-Type: {error['errorType']}\r\n".encode()
                        + b"Lambda-Runtime-Function-Error-Body: " + encoded + b"\r\n")
        self._conn.send(b"0\r\n" + trailers + b"\r\n")
        response = self._conn.getresponse()
        response.read()


def _streams(handler: Any) -> bool:
    """A handler streams when it takes (event, response_stream, context)."""
    try:
        parameters = [p for p in inspect.signature(handler).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    return len(parameters) == 3


def handle_streaming(api: base.RuntimeAPI, handler: Any, headers: dict[str, str], body: bytes) -> None:
    request_id = headers["lambda-runtime-aws-request-id"]
    os.environ["_X_AMZN_TRACE_ID"] = headers.get("lambda-runtime-trace-id", "")
    stream = ResponseStream(api, request_id)
    try:
        context = base.LambdaContext(
            request_id, int(headers.get("lambda-runtime-deadline-ms", "0")),
            headers.get("lambda-runtime-invoked-function-arn"),
            base._parse_json_header(headers.get("lambda-runtime-client-context"), "Client Context"),
            base._parse_json_header(headers.get("lambda-runtime-cognito-identity"), "Cognito Identity"))
        try:
            event = json.loads(body) if body else None
        except ValueError as exc:
            raise base.FaultException("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}") from None
        handler(event, stream, context)
    except Exception as exc:  # noqa: BLE001 - every handler failure becomes AWS's error document
        document = base._error_document(exc, request_id)
        document["stackTrace"] = [line for line in document["stackTrace"] if __file__ not in line]
        base._log_error(document)
        if stream.started:
            stream.finish(document)
        else:
            api.post_error(request_id, document)
        return
    stream.finish()


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write("usage: streaming_client.py module.handler\n")
        return 2
    sys.stdout = base._Unbuffered(sys.stdout)
    sys.stderr = base._Unbuffered(sys.stderr)
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    api = base.RuntimeAPI(os.environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler = base._load_handler(argv[1])
    except Exception as exc:  # noqa: BLE001 - an init failure of any kind is reported, then we exit
        document = base._error_document(exc)
        sys.stdout.write("[WARNING] Unhandled exception during init.\n")
        base._log_error(document)
        api.post_init_error(document)
        return 1
    run = handle_streaming if _streams(handler) else base.handle
    while True:
        headers, body = api.next_invocation()
        run(api, handler, headers, body)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
