"""An execution environment behaves as AWS Lambda's does, with AWS's own runtime client and with ours."""

from __future__ import annotations

import re
import sys
import time

import psutil
import pytest

from lambdalab.runtime.environment import EnvironmentState

pytestmark = pytest.mark.runs_long  # about 15 s together: collected first (tests/conftest.py)

COUNTER = """
import os
INITS = 0
INITS += 1
calls = 0

def handler(event, context):
    global calls
    calls += 1
    return {"inits": INITS, "calls": calls, "pid": os.getpid()}
"""


def test_when_invoked_twice_then_the_second_call_is_warm_on_the_same_process(make_environment):
    env = make_environment(COUNTER)
    first = env.invoke({})
    second = env.invoke({})
    assert first.cold and not second.cold
    assert first.payload["pid"] == second.payload["pid"]
    assert second.payload == {"inits": 1, "calls": 2, "pid": first.payload["pid"]}


def test_when_module_code_is_slow_then_init_duration_holds_it_and_duration_does_not(make_environment):
    env = make_environment("""
        import time
        time.sleep(0.3)
        def handler(event, context):
            return "ok"
    """)
    cold = env.invoke({})
    assert cold.report.init_duration_ms >= 300
    assert cold.report.duration_ms < cold.report.init_duration_ms
    # Since 1 Aug 2025 a cold start bills init + duration.
    assert cold.report.billed_duration_ms >= cold.report.init_duration_ms + cold.report.duration_ms
    warm = env.invoke({})
    assert warm.report.init_duration_ms is None


def test_when_handler_reads_its_context_then_every_field_is_filled_as_on_aws(make_environment):
    env = make_environment("""
        def handler(event, context):
            return {
                "request_id": context.aws_request_id,
                "function_name": context.function_name,
                "function_version": context.function_version,
                "arn": context.invoked_function_arn,
                "memory": context.memory_limit_in_mb,
                "group": context.log_group_name,
                "stream": context.log_stream_name,
                "remaining": context.get_remaining_time_in_millis(),
            }
    """, function_name="ctx-fn", memory_size=256, timeout=5)
    one, two = env.invoke({}), env.invoke({})
    ctx = one.payload
    assert ctx["request_id"] == one.request_id != two.payload["request_id"]
    assert ctx["function_name"] == "ctx-fn"
    assert ctx["function_version"] == "$LATEST"
    assert ctx["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:ctx-fn"
    assert ctx["memory"] == "256"  # a string, as AWS's Python runtime gives it
    assert ctx["group"] == "/aws/lambda/ctx-fn"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", ctx["stream"])
    assert 0 < ctx["remaining"] <= 5000


def test_when_handler_waits_then_remaining_time_falls_with_the_real_deadline(make_environment):
    env = make_environment("""
        import time
        def handler(event, context):
            before = context.get_remaining_time_in_millis()
            time.sleep(0.2)
            return [before, context.get_remaining_time_in_millis()]
    """, timeout=3)
    before, after = env.invoke({}).payload
    assert before - after >= 190


def test_when_handler_outlives_its_timeout_then_aws_timeout_error_and_the_environment_ends(
        make_environment, assert_gone):
    env = make_environment("""
        def handler(event, context):
            while True:
                pass
    """, timeout=1)
    result = env.invoke({})
    assert result.error == {"errorType": "Sandbox.Timedout",
                            "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds"}
    assert result.report.status == "timeout"
    assert "Status: timeout" in result.report.line()
    assert f"{result.request_id} Task timed out after 1.00 seconds" in result.logs
    assert env.state is EnvironmentState.DEAD
    assert_gone(result_pid := env.pid)
    assert result_pid is not None


def test_when_handler_raises_then_aws_error_document_and_the_environment_stays_warm(make_environment):
    env = make_environment("""
        def handler(event, context):
            if event.get("fail"):
                raise KeyError("missing-key")
            return "fine"
    """)
    failed = env.invoke({"fail": True})
    assert failed.error["errorType"] == "KeyError"
    assert failed.error["errorMessage"] == "'missing-key'"
    assert any("app.py" in frame and "handler" in frame for frame in failed.error["stackTrace"])
    assert "[ERROR] KeyError" in failed.logs
    assert failed.function_error == "Unhandled"
    after = env.invoke({})
    assert after.payload == "fine" and not after.cold


@pytest.mark.parametrize(("source", "handler", "error_type", "message"), [
    ("def handler(e, c): return 1\n", "missing.handler", "Runtime.ImportModuleError",
     "Unable to import module 'missing': No module named 'missing'"),
    ("def handler(e, c): return 1\n", "app.nothere", "Runtime.HandlerNotFound",
     "Handler 'nothere' missing on module 'app'"),
    ("def handler(e, c) return 1\n", "app.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'app'"),
    ("import json\nraise RuntimeError('no config at init')\n", "app.handler", "RuntimeError", "no config at init"),
    ("import not_installed_package\n", "app.handler", "Runtime.ImportModuleError",
     "Unable to import module 'app': No module named 'not_installed_package'"),
])
def test_when_init_fails_then_the_caller_gets_the_runtime_error_and_nothing_is_left(
        make_environment, assert_gone, source, handler, error_type, message):
    # The retried init runs within the function's timeout: 30 s, so a busy machine's slow start is no timeout.
    env = make_environment(source, handler=handler, timeout=30)
    result = env.invoke({})
    assert result.error["errorType"] == error_type
    assert message in result.error["errorMessage"]
    assert "INIT_REPORT" in result.logs and f"Error Type: {error_type}" in result.logs
    assert env.state is EnvironmentState.DEAD
    assert_gone(env.pid)


@pytest.mark.parametrize(("body", "words"), [
    ("import sys; sys.exit(1)", "exit status 1"),
    ("import os; os._exit(7)", "exit status 7"),
    ("import ctypes; ctypes.string_at(0)", "signal: segmentation fault (core dumped)"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "signal: killed"),
])
def test_when_the_process_exits_or_crashes_then_runtime_exit_error_and_the_next_invoke_is_cold(
        make_environment, assert_gone, body, words):
    env = make_environment(f"""
        def handler(event, context):
            if event.get("die"):
                {body}
            return "alive"
    """)
    assert env.invoke({}).payload == "alive"
    result = env.invoke({"die": True})
    assert result.error == {"errorType": "Runtime.ExitError",
                            "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: {words}"}
    assert env.state is EnvironmentState.DEAD
    assert_gone(env.pid)


def test_when_handler_allocates_past_its_memory_then_out_of_memory_and_report_at_the_limit(
        make_environment, assert_gone):
    env = make_environment("""
        def handler(event, context):
            hog = []
            while True:
                hog.append(bytearray(8 * 1024 * 1024))
    """, memory_size=128, timeout=20)
    result = env.invoke({})
    assert result.error["errorType"] == "Runtime.OutOfMemory"
    assert result.report.max_memory_used_mb == 128
    assert "Status: error\tError Type: Runtime.OutOfMemory" in result.report.line()
    assert_gone(env.pid)


def test_when_handler_recurses_without_end_then_a_recursion_error_document(make_environment):
    env = make_environment("""
        def handler(event, context):
            def down(n):
                return down(n + 1)
            return down(0)
    """)
    result = env.invoke({})
    assert result.error["errorType"] == "RecursionError", result.logs
    assert env.invoke({}).error["errorType"] == "RecursionError"  # still warm: it was an exception


def test_when_handler_returns_something_not_json_then_marshal_error(make_environment):
    env = make_environment("""
        def handler(event, context):
            return {1, 2, 3}
    """)
    result = env.invoke({})
    assert result.error["errorType"] == "Runtime.MarshalError"
    assert result.error["errorMessage"].startswith("Unable to marshal response:")


def test_when_response_is_over_6_mb_then_payload_size_error(make_environment):
    env = make_environment("""
        def handler(event, context):
            return "x" * 6_300_000
    """)
    result = env.invoke({})
    assert result.error["errorType"] == "Function.ResponseSizeTooLarge"
    assert result.error["errorMessage"] == ("Response payload size exceeded maximum allowed payload size "
                                      "(6291556 bytes).")


def test_when_handler_prints_then_lines_land_between_start_and_end_of_their_own_invocation(make_environment):
    env = make_environment("""
        print("during init")
        def handler(event, context):
            print("handling", event["n"])
            return event["n"]
    """)
    first, second = env.invoke({"n": 1}), env.invoke({"n": 2})
    lines = first.logs.splitlines()
    assert lines[0].startswith("INIT_START Runtime Version: python:3.")
    assert lines[1] == "during init"
    assert lines[2] == f"START RequestId: {first.request_id} Version: $LATEST"
    assert lines[3] == "handling 1"
    assert lines[4] == f"END RequestId: {first.request_id}"
    assert re.fullmatch(
        rf"REPORT RequestId: {first.request_id}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t", lines[5])
    assert "handling 2" in second.logs and "handling 1" not in second.logs
    assert "Init Duration" not in second.logs


def test_when_handler_floods_its_output_then_the_invocation_completes_and_says_what_was_dropped(make_environment):
    env = make_environment("""
        def handler(event, context):
            line = "y" * 1023
            for _ in range(8 * 1024):
                print(line)
            return "done"
    """, timeout=30)
    result = env.invoke({})
    assert result.payload == "done"
    assert "bytes of log output dropped]" in result.logs
    assert len(result.logs) < 1024 * 1024
    assert env.invoke({}).payload == "done"


def test_when_handler_leaves_a_child_process_then_shutdown_ends_it_too(make_environment, assert_gone):
    env = make_environment("""
        import subprocess, sys
        def handler(event, context):
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            return child.pid
    """)
    child_pid = env.invoke({}).payload
    assert psutil.pid_exists(child_pid)
    env.shutdown()
    assert_gone(child_pid)
    assert_gone(env.pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sessions and subreapers as on Linux")
def test_when_handler_leaves_a_daemon_in_its_own_session_then_shutdown_ends_it_too(make_environment, assert_gone):
    env = make_environment("""
        import subprocess
        def handler(event, context):
            out = subprocess.run(["sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!"], start_new_session=True,
                                 capture_output=True, text=True).stdout
            return int(out)
    """)
    daemon = env.invoke({}).payload
    assert psutil.Process(daemon).ppid() == env.pid  # adopted by the environment, not by init
    env.shutdown()
    assert_gone(daemon)


def test_when_handler_leaves_a_thread_running_then_it_keeps_running_while_warm(make_environment):
    env = make_environment("""
        import threading, time
        ticks = []
        def tick():
            while True:
                ticks.append(1)
                time.sleep(0.01)
        def handler(event, context):
            if not event.get("read"):
                threading.Thread(target=tick, daemon=True).start()
            return len(ticks)
    """)
    env.invoke({})
    time.sleep(0.2)
    assert env.invoke({"read": True}).payload > 5


def test_when_memory_is_measured_then_max_memory_used_grows_with_what_the_handler_keeps(make_environment):
    env = make_environment("""
        kept = []
        def handler(event, context):
            kept.append(bytearray(event["mb"] * 1024 * 1024))
            return len(kept)
    """, memory_size=512)
    small = env.invoke({"mb": 1}).report.max_memory_used_mb
    large = env.invoke({"mb": 100}).report.max_memory_used_mb
    assert large >= small + 90
