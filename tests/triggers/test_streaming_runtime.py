"""The Runtime API's streaming mode, end to end below the HTTP layer: chunks reach the caller as written."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from lambdalab.runtime.config import FunctionConfig
from lambdalab.runtime.environment import ExecutionEnvironment, RuntimeClient

SOURCE = '''
import time

def stream(event, response_stream, context):
    response_stream.start_http_response(201, {"content-type": "text/plain"}, ["a=b"])
    for i in range(3):
        response_stream.write(f"part {i};")
        time.sleep(0.2)
    if event.get("fail"):
        raise KeyError("late")

def plain(event, context):
    return {"n": event["n"] + 1}

def generator(event, context):
    def words():
        yield "no"
    return {"statusCode": 200, "body": words()}
'''


@pytest.fixture
def environment(tmp_path: Path):
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE))
    made: list[ExecutionEnvironment] = []

    def make(handler: str, client: RuntimeClient = RuntimeClient.STREAMING) -> ExecutionEnvironment:
        env = ExecutionEnvironment(FunctionConfig(function_name="streamer", code_dir=tmp_path, handler=handler,
                                                  timeout=5), runtime_client=client)
        made.append(env)
        return env

    yield make
    for env in made:
        env.shutdown()


def test_chunks_reach_the_listener_while_the_handler_runs(environment):
    arrivals: list[tuple[float, str, bytes]] = []
    result = environment("app.stream").invoke({}, on_stream=lambda kind, chunk: arrivals.append(
        (time.perf_counter(), kind, chunk)))
    returned = time.perf_counter()
    assert result.ok
    prelude, _, body = result.raw_payload.partition(b"\x00" * 8)
    assert prelude == b'{"statusCode": 201, "headers": {"content-type": "text/plain"}, "cookies": ["a=b"]}'
    assert body == b"part 0;part 1;part 2;"
    assert {kind for _, kind, _ in arrivals} == {"application/vnd.awslambda.http-integration-response"}
    assert b"".join(chunk for _, _, chunk in arrivals) == result.raw_payload
    first_body_chunk = next(at for at, _, chunk in arrivals if chunk == b"part 0;")
    assert returned - first_body_chunk > 0.35  # it arrived while the handler still had ~0.4 s to run


def test_an_error_after_the_first_byte_comes_back_as_the_trailers_error(environment):
    seen: list[bytes] = []
    result = environment("app.stream").invoke({"fail": True}, on_stream=lambda kind, chunk: seen.append(chunk))
    assert result.error["errorType"] == "KeyError" and result.error["errorMessage"] == "'late'"
    assert b"part 2;" in b"".join(seen)


def test_a_listener_that_fails_does_not_fail_the_invocation(environment):
    def broken(kind: str, chunk: bytes) -> None:
        raise BrokenPipeError("the client went away")

    assert environment("app.stream").invoke({}, on_stream=broken).ok


def test_a_two_parameter_handler_on_the_streaming_runtime_is_buffered(environment):
    assert environment("app.plain").invoke({"n": 41}).payload == {"n": 42}


def test_a_generator_on_pythons_managed_runtime_is_a_marshal_error(environment):
    result = environment("app.generator", RuntimeClient.default()).invoke({})
    assert result.error["errorType"] == "Runtime.MarshalError"
