"""boto3's Lambda API drives real execution environments, with AWS's status codes, headers and errors."""

from __future__ import annotations

import base64
import json
import time

import pytest
from botocore.exceptions import ClientError

import lambdalab
from lambdalab.aws_facts import function_arn

FAULTS = {
    "raise": ("raise ValueError('bad input')", "ValueError"),
    "timeout": ("while True: pass", "Sandbox.Timedout"),
    "sys_exit": ("import sys; sys.exit(2)", "Runtime.ExitError"),
    "os_exit": ("import os; os._exit(3)", "Runtime.ExitError"),
    "segfault": ("import ctypes; ctypes.string_at(0)", "Runtime.ExitError"),
    "memory_hog": ("x = [bytearray(8 << 20) for _ in range(1000)]", "Runtime.OutOfMemory"),
    "recursion": ("f = lambda n: f(n + 1); f(0)", "RecursionError"),
    "not_json": ("return {1, 2}", "Runtime.MarshalError"),
    "too_large": ("return 'x' * 6_300_000", "Function.ResponseSizeTooLarge"),
}
INIT_FAULTS = {
    "init_exception": ("raise RuntimeError('no config')\ndef handler(e, c): return 1\n", "app.handler", "RuntimeError"),
    "import_error": ("def handler(e, c): return 1\n", "nosuchmodule.handler", "Runtime.ImportModuleError"),
    "missing_handler": ("def other(e, c): return 1\n", "app.handler", "Runtime.HandlerNotFound"),
}


def invoke(lam, name, event=None, **kwargs):
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), **kwargs)
    return response, json.loads(response["Payload"].read() or b"null")


def test_when_invoked_through_boto3_then_the_payload_version_and_log_tail_come_back(lam):
    lambdalab.deploy("api-echo", code="def handler(e, c):\n    print('seen', e)\n    return e\n")
    response, payload = invoke(lam, "api-echo", {"k": 1}, LogType="Tail")
    assert response["StatusCode"] == 200 and payload == {"k": 1}
    assert response["ExecutedVersion"] == "$LATEST"
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "seen {'k': 1}" in tail and "REPORT RequestId:" in tail
    assert "FunctionError" not in response



def test_the_request_id_in_invokes_response_is_the_one_the_invocation_logged(lam):
    """On AWS an Invoke's ``x-amzn-RequestId`` is the invocation's request ID: the one its log lines,
    its context and its error document carry, so a caller can find the logs of the call it made."""
    lambdalab.deploy("api-request-id", code=(
        "def handler(e, c):\n    if e.get('fail'):\n        raise ValueError('no')\n    return c.aws_request_id\n"))
    response, payload = invoke(lam, "api-request-id", {}, LogType="Tail")
    request_id = response["ResponseMetadata"]["RequestId"]
    assert payload == request_id
    assert f"START RequestId: {request_id} " in base64.b64decode(response["LogResult"]).decode()
    failed, error = invoke(lam, "api-request-id", {"fail": True})
    assert error["requestId"] == failed["ResponseMetadata"]["RequestId"] != request_id

@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_matrix_each_fault_gives_aws_error_through_boto3_and_the_next_call_works(lam, fault):
    body, error_type = FAULTS[fault]
    source = f"def handler(event, context):\n    if event.get('fault'):\n        {body}\n    return 'fine'\n"
    lambdalab.deploy(f"fault-{fault.replace('_', '-')}", code=source, timeout=2, memory=128)
    response, payload = invoke(lam, f"fault-{fault.replace('_', '-')}", {"fault": True})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == error_type
    _, after = invoke(lam, f"fault-{fault.replace('_', '-')}", {})
    assert after == "fine"


@pytest.mark.parametrize("fault", sorted(INIT_FAULTS))
def test_init_faults_give_the_runtime_error_through_boto3(lam, fault):
    source, handler, error_type = INIT_FAULTS[fault]
    # The retried init runs within the function's timeout: 30 s, so a busy machine's slow start is no timeout.
    lambdalab.deploy(f"init-{fault.replace('_', '-')}", files={"app.py": source}, handler=handler, timeout=30)
    response, payload = invoke(lam, f"init-{fault.replace('_', '-')}", LogType="Tail")
    assert response["FunctionError"] == "Unhandled" and payload["errorType"] == error_type
    # Lambda retried the failed init inside the invoke; both attempts are reported.
    tail = base64.b64decode(response["LogResult"]).decode()
    for phase in ("init", "invoke"):
        assert f"\tPhase: {phase}\tStatus: error\tError Type: {error_type}\n" in tail


def test_when_the_handler_floods_logs_or_leaves_children_then_nothing_is_left_behind(lam, box):
    import psutil

    lambdalab.deploy("leaves-things", timeout=10, code="""
import subprocess, sys, threading, time
def handler(event, context):
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    for _ in range(20000):
        print("y" * 200)
    return child.pid
""")
    response, child_pid = invoke(lam, "leaves-things")
    assert response["StatusCode"] == 200
    assert psutil.pid_exists(child_pid)
    box.lambda_service.shutdown_function("leaves-things")
    time.sleep(0.2)
    assert not psutil.pid_exists(child_pid) or psutil.Process(child_pid).status() == psutil.STATUS_ZOMBIE


def test_when_the_event_is_over_6_mb_then_request_too_large(lam):
    lambdalab.deploy("big-event", code="def handler(e, c):\n    return 1\n")
    with pytest.raises(lam.exceptions.RequestTooLargeException, match="6291456 bytes"):
        lam.invoke(FunctionName="big-event", Payload=json.dumps({"x": "y" * 6_300_000}))



def test_an_asynchronous_event_over_1_mb_is_refused_and_never_runs(lam, box):
    """Lambda queues at most 1 MB for an asynchronous invoke (6 MB for a synchronous one): a larger event
    is refused with 413 when it is sent, not dropped later where the caller cannot see it."""
    from lambdalab.service.async_invoke import invoker

    lambdalab.deploy("big-async", code="def handler(e, c):\n    print('ran', len(e['x']))\n    return 1\n")
    with pytest.raises(lam.exceptions.RequestTooLargeException, match="1048576 bytes") as refused:
        lam.invoke(FunctionName="big-async", InvocationType="Event", Payload=json.dumps({"x": "y" * 1_048_576}))
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    just_under = json.dumps({"x": "y" * (1_048_576 - 20)})
    assert lam.invoke(FunctionName="big-async", InvocationType="Event", Payload=just_under)["StatusCode"] == 202
    assert invoker(box.lambda_service).drain()
    assert lambdalab.flush_logs()
    events = box.client("logs").filter_log_events(logGroupName="/aws/lambda/big-async")["events"]
    assert [e["message"].strip() for e in events if e["message"].startswith("ran ")] == [f"ran {1_048_576 - 20}"]

def test_dry_run_and_event_invocations_answer_204_and_202(lam, box):
    from lambdalab.service.async_invoke import invoker

    lambdalab.deploy("kinds", code="def handler(e, c):\n    print('ran', e)\n    return 1\n")
    assert lam.invoke(FunctionName="kinds", InvocationType="DryRun")["StatusCode"] == 204
    assert lam.invoke(FunctionName="kinds", InvocationType="Event", Payload=b'{"n": 7}')["StatusCode"] == 202
    assert invoker(box.lambda_service).drain()
    assert lambdalab.flush_logs()
    events = box.client("logs").filter_log_events(logGroupName="/aws/lambda/kinds")["events"]
    assert any("ran {'n': 7}" in e["message"] for e in events)


def test_when_the_function_does_not_exist_then_resource_not_found(lam, box):
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="never-created", Payload=b"{}")


def test_update_function_code_and_configuration_take_effect_on_a_fresh_environment(lam, make_zip):
    lambdalab.deploy("evolving", code="import os\ndef handler(e, c):\n    return ['v1', os.environ.get('STAGE')]\n")
    assert invoke(lam, "evolving")[1] == ["v1", None]
    lam.update_function_code(FunctionName="evolving", ZipFile=make_zip(
        {"app.py": "import os\ndef handler(e, c):\n    return ['v2', os.environ.get('STAGE')]\n"}))
    assert invoke(lam, "evolving")[1] == ["v2", None]
    lam.update_function_configuration(FunctionName="evolving", Environment={"Variables": {"STAGE": "prod"}},
                                      MemorySize=256)
    response, payload = invoke(lam, "evolving", LogType="Tail")
    assert payload == ["v2", "prod"]
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "Memory Size: 256 MB" in tail and "Init Duration" in tail


def test_versions_are_immutable_and_aliases_route_to_them(lam, make_zip):
    lambdalab.deploy("versioned-fn", code="def handler(e, c):\n    return 'one'\n")
    version = lam.publish_version(FunctionName="versioned-fn")["Version"]
    lam.create_alias(FunctionName="versioned-fn", Name="stable", FunctionVersion=version)
    two = make_zip({"app.py": "def handler(e, c):\n    return 'two'\n"})
    lam.update_function_code(FunctionName="versioned-fn", ZipFile=two)
    assert invoke(lam, "versioned-fn")[1] == "two"
    assert invoke(lam, "versioned-fn", Qualifier="stable")[1] == "one"
    response, _ = invoke(lam, "versioned-fn", Qualifier=version)
    assert response["ExecutedVersion"] == version


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"MemorySize": 64}, "Value '64' at 'memorySize' failed to satisfy constraint: "
                         "Member must have value greater than or equal to 128"),
    ({"Timeout": 901}, "Value '901' at 'timeout' failed to satisfy constraint: "
                       "Member must have value less than or equal to 900"),
])
def test_invalid_configuration_is_refused_by_the_service_with_aws_words(box, kwargs, words):
    import boto3
    from botocore.config import Config

    lambdalab.deploy("strict", code="def handler(e, c):\n    return 1\n")
    # botocore checks some bounds itself; switch that off to see what the service says.
    raw = boto3.client("lambda", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError, match=words) as raised:
        raw.update_function_configuration(FunctionName="strict", **kwargs)
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_when_invoked_through_boto3_without_a_payload_then_the_handler_gets_an_empty_object(lam):
    lambdalab.deploy("api-no-payload", code="def handler(e, c):\n    return {'event': e, 'type': type(e).__name__}\n")
    response = lam.invoke(FunctionName="api-no-payload")
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"event": {}, "type": "dict"}


def test_when_a_function_is_invoked_from_the_notebook_without_an_event_then_it_gets_an_empty_object(box):
    fn = lambdalab.deploy("api-no-event", code="def handler(e, c):\n    return e\n")
    assert fn.invoke().payload == {}


def test_the_deprecated_invoke_async_queues_the_event_and_answers_202_at_once(lam, box):
    """InvokeAsync (deprecated, still served): the event runs later, once, as an Event invoke's would; the
    call does not wait for the handler. Its event may be 256 KB; an unknown function is 404."""
    from lambdalab.service.async_invoke import invoker

    lambdalab.deploy("old-async", code="import time\ndef handler(e, c):\n    time.sleep(1)\n    print('ran', e)\n")
    started = time.monotonic()
    assert lam.invoke_async(FunctionName="old-async", InvokeArgs=b'{"k": 1}')["Status"] == 202
    assert time.monotonic() - started < 1  # answered before the handler's one second is over
    assert invoker(box.lambda_service).drain()
    assert lambdalab.flush_logs()
    events = box.client("logs").filter_log_events(logGroupName="/aws/lambda/old-async")["events"]
    assert [e["message"].strip() for e in events if e["message"].startswith("ran ")] == ["ran {'k': 1}"]
    with pytest.raises(ClientError, match="262144 bytes for the InvokeAsync operation") as too_large:
        lam.invoke_async(FunctionName="old-async", InvokeArgs=b"x" * 262_145)
    assert too_large.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke_async(FunctionName="no-such-function", InvokeArgs=b"{}")


def test_invoke_async_through_an_alias_runs_as_the_alias(lam, box):
    from lambdalab.service.async_invoke import invoker

    lambdalab.deploy("old-async-alias", code="def handler(e, c):\n    print('ran as', c.invoked_function_arn)\n")
    version = lam.publish_version(FunctionName="old-async-alias")["Version"]
    lam.create_alias(FunctionName="old-async-alias", Name="live", FunctionVersion=version)
    assert lam.invoke_async(FunctionName="old-async-alias:live", InvokeArgs=b"{}")["Status"] == 202
    assert invoker(box.lambda_service).drain()
    assert lambdalab.flush_logs()
    events = box.client("logs").filter_log_events(logGroupName="/aws/lambda/old-async-alias")["events"]
    ran = [e["message"].strip() for e in events if e["message"].startswith("ran as")]
    service = box.lambda_service
    alias_arn = function_arn("old-async-alias", "live", region=service.region, account=service.account_id)
    assert ran == [f"ran as {alias_arn}"]
