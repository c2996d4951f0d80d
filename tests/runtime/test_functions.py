"""The notebook API: deploy a function, invoke it, read its results, logs and environments."""

from __future__ import annotations

import threading
import time

import boto3
import pytest

import lambdalab
from lambdalab.runtime.config import InvalidParameterValueException


@pytest.fixture(autouse=True)
def clean_sandbox():
    box = lambdalab.sandbox()
    yield box
    box.reset()


def test_when_deployed_from_inline_code_then_invoke_returns_the_handlers_result():
    fn = lambdalab.deploy("greeter", code="""
        def handler(event, context):
            return {"greeting": f"hello {event['name']}"}
    """)
    result = fn.invoke({"name": "Ada"})
    assert result.ok and result.payload == {"greeting": "hello Ada"}
    assert result.report.memory_size_mb == 128


def test_when_deployed_from_a_folder_then_later_edits_change_nothing_until_redeployed(tmp_path):
    (tmp_path / "app.py").write_text("def handler(e, c):\n    return 'v1'\n")
    fn = lambdalab.deploy("versioned", path=tmp_path)
    (tmp_path / "app.py").write_text("def handler(e, c):\n    return 'v2'\n")
    assert fn.invoke().payload == "v1"
    assert lambdalab.deploy("versioned", path=tmp_path).invoke().payload == "v2"


def test_when_the_handler_uses_boto3_then_it_talks_to_the_same_sandbox():
    boto3.client("s3").create_bucket(Bucket="shared-bucket")
    fn = lambdalab.deploy("lister", code="""
        import boto3
        s3 = boto3.client("s3")
        def handler(event, context):
            return [b["Name"] for b in s3.list_buckets()["Buckets"]]
    """)
    assert fn.invoke().payload == ["shared-bucket"]


def test_when_environment_variables_are_set_then_the_handler_sees_them_and_not_real_credentials(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret-should-not-leak")
    fn = lambdalab.deploy("env-reader", environment={"TABLE": "orders"}, code="""
        import os
        def handler(event, context):
            return {k: os.environ.get(k) for k in ("TABLE", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL")}
    """)
    seen = fn.invoke().payload
    assert seen["TABLE"] == "orders"
    assert seen["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert seen["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")


def test_when_idle_longer_than_keep_alive_then_the_next_invoke_is_cold():
    fn = lambdalab.deploy("short-lived", keep_alive=0.5, code="def handler(e, c):\n    return 1\n")
    assert fn.invoke().cold
    assert not fn.invoke().cold
    time.sleep(1.0)
    assert fn.environments == []  # the reaper ended it without waiting for another invoke
    assert fn.invoke().cold


def test_when_two_requests_overlap_then_two_environments_serve_them():
    fn = lambdalab.deploy("parallel", code="""
        import os, time
        def handler(event, context):
            time.sleep(0.3)
            return os.getpid()
    """)
    barrier = threading.Barrier(2)
    pids = []

    def call():
        barrier.wait()
        pids.append(fn.invoke().payload)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(pids)) == 2
    assert len(fn.environments) == 2


def test_when_the_configuration_changes_then_the_next_invoke_is_cold_with_the_new_values():
    fn = lambdalab.deploy("tunable", code="def handler(e, c):\n    return c.memory_limit_in_mb\n")
    fn.invoke()
    fn.update(memory=512)
    result = fn.invoke()
    assert result.cold and result.payload == "512"


def test_when_logs_are_shipped_then_cloudwatch_logs_holds_start_end_and_report():
    fn = lambdalab.deploy("logged", code="def handler(e, c):\n    print('from the handler')\n    return 1\n")
    result = fn.invoke()
    assert lambdalab.flush_logs()
    events = boto3.client("logs").filter_log_events(logGroupName="/aws/lambda/logged")["events"]
    messages = [e["message"] for e in events]
    assert "from the handler" in messages
    assert any(m.startswith(f"REPORT RequestId: {result.request_id}") for m in messages)
    assert "from the handler" in fn.logs()


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"memory": 64}, "Value '64' at 'memorySize' failed to satisfy constraint: Member must have value "
                     "greater than or equal to 128"),
    ({"memory": 20_000}, "less than or equal to 10240"),
    ({"timeout": 901}, "Value '901' at 'timeout'"),
    ({"environment": {"AWS_REGION": "eu-west-1"}}, "Reserved keys used in this request: AWS_REGION"),
    ({"environment": {"RETRIES": 3}}, "must be strings"),
])
def test_when_the_configuration_is_invalid_then_aws_wording_says_what_and_where(kwargs, words):
    with pytest.raises(InvalidParameterValueException, match=words.replace("(", r"\(").replace(")", r"\)")):
        lambdalab.deploy("bad-config", code="def handler(e, c):\n    return 1\n", **kwargs)


def test_when_no_code_or_two_sources_are_given_then_deploy_says_how_to_give_code(tmp_path):
    with pytest.raises(InvalidParameterValueException, match="exactly one source of code"):
        lambdalab.deploy("no-code")
    with pytest.raises(InvalidParameterValueException, match="exactly one source of code"):
        lambdalab.deploy("two-sources", code="x = 1", path=tmp_path)
    with pytest.raises(InvalidParameterValueException, match="does not exist"):
        lambdalab.deploy("missing-folder", path=tmp_path / "nope")


def test_when_a_function_is_deleted_then_its_environments_end(assert_gone):
    fn = lambdalab.deploy("doomed", code="import os\ndef handler(e, c):\n    return os.getpid()\n")
    pid = fn.invoke().payload
    fn.delete()
    assert_gone(pid)
    with pytest.raises(LookupError, match="Function not found"):
        lambdalab.get_function("doomed")
