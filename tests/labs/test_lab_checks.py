"""Lab checks judge real runs of the learner's code: right answers pass, wrong ones are told why."""

from __future__ import annotations

import pytest
from answers import write

from lambdalab.grading import Status
from lambdalab.grading.lab00 import check as check00
from lambdalab.grading.lab01 import check as check01

REPORT_SOLUTION = """
def parse_report(line):
    fields = dict(part.split(": ", 1) for part in line.strip().split("\\t"))
    number = lambda key: float(fields[key].split()[0])
    return {
        "request_id": fields["REPORT RequestId"],
        "duration_ms": number("Duration"),
        "billed_duration_ms": int(number("Billed Duration")),
        "memory_size_mb": int(number("Memory Size")),
        "max_memory_used_mb": int(number("Max Memory Used")),
        "init_duration_ms": number("Init Duration") if "Init Duration" in fields else None,
    }
"""
CLIENT_OUTSIDE = """
import boto3
s3 = boto3.client("s3")
def handler(event, context):
    return s3.head_object(Bucket=event["bucket"], Key=event["key"])["ContentLength"]
"""
CLIENT_INSIDE = """
import boto3
def handler(event, context):
    s3 = boto3.client("s3")
    return s3.head_object(Bucket=event["bucket"], Key=event["key"])["ContentLength"]
"""
PREDICT_SOLUTION = """
def cold_starts(arrivals, durations, keep_alive):
    busy, idle, cold = [], [], []
    for t, d in zip(arrivals, durations):
        idle += [f for f in busy if f <= t]
        busy = [f for f in busy if f > t]
        idle = sorted(f for f in idle if t - f < keep_alive)
        cold.append(not idle)
        if idle:
            idle.pop()
        busy.append(t + d)
    return cold
"""
PREDICT_ONE_ENVIRONMENT = """
def cold_starts(arrivals, durations, keep_alive):
    last_end, cold = None, []
    for t, d in zip(arrivals, durations):
        cold.append(last_end is None or t - last_end >= keep_alive)
        last_end = t + d
    return cold
"""


def test_lab00_when_the_greeting_is_right_then_it_passes(tmp_path):
    write(
        tmp_path,
        "lab00/ex1/app.py",
        """
        def handler(event, context):
            return {"message": f"Hello, {event.get('name', 'world')}!"}
    """,
    )
    assert check00(1, tmp_path).status is Status.PASSED


def test_lab00_when_a_missing_name_raises_then_feedback_names_the_error_and_the_event(tmp_path):
    write(
        tmp_path,
        "lab00/ex1/app.py",
        """
        def handler(event, context):
            return {"message": f"Hello, {event['name']}!"}
    """,
    )
    result = check00(1, tmp_path)
    assert result.status is Status.FAILED
    assert "KeyError" in result.got and "for the event {}" in result.expected


def test_lab01_ex1_when_parsing_real_report_lines_correctly_then_it_passes(tmp_path):
    assert check01(1, write(tmp_path, "lab01/ex1/report.py", REPORT_SOLUTION)).status is Status.PASSED


def test_lab01_ex1_when_billed_duration_is_a_float_then_it_fails_on_that_field(tmp_path):
    wrong = REPORT_SOLUTION.replace('int(number("Billed Duration"))', 'number("Billed Duration")')
    result = check01(1, write(tmp_path, "lab01/ex1/report.py", wrong))
    assert result.status is Status.FAILED
    assert "billed_duration_ms" in result.expected


def test_lab01_ex2_when_the_client_is_made_at_module_level_then_it_passes(tmp_path):
    assert check01(2, write(tmp_path, "lab01/ex2/app.py", CLIENT_OUTSIDE)).status is Status.PASSED


def test_lab01_ex2_when_the_client_is_made_in_the_handler_then_it_fails_and_says_how_many(tmp_path):
    result = check01(2, write(tmp_path, "lab01/ex2/app.py", CLIENT_INSIDE))
    assert result.status is Status.FAILED
    assert "4 different connections over 4 invocations" in result.got
    assert "module level" in result.hint


def test_lab01_ex2_when_a_per_call_client_hides_behind_dead_code_and_tampering_then_it_still_fails(tmp_path):
    """The text a source check looked for (a client at module level, no client call in the handler) and a
    probe's in-process counters are both there to fool; the connections reaching the sandbox are not."""
    fooling = """
        import boto3
        import botocore.session

        # s3 = boto3.client("s3")  <- the expected line, in a comment
        if False:
            s3 = boto3.client("s3")  # at module level, never run
        make = boto3.client  # the handler's client call no longer says "client"
        botocore.session.Session.create_client = botocore.session.Session.create_client  # undo a counting wrapper

        def handler(event, context):
            return make("s3").head_object(Bucket=event["bucket"], Key=event["key"])["ContentLength"]
    """
    result = check01(2, write(tmp_path, "lab01/ex2/app.py", fooling))
    assert result.status is Status.FAILED
    assert "different connections" in result.got


def test_lab01_ex2_when_the_client_is_made_lazily_once_then_it_passes(tmp_path):
    lazy = """
        import boto3
        _s3 = None

        def handler(event, context):
            global _s3
            if _s3 is None:
                _s3 = boto3.client("s3")
            return _s3.head_object(Bucket=event["bucket"], Key=event["key"])["ContentLength"]
    """
    assert check01(2, write(tmp_path, "lab01/ex2/app.py", lazy)).status is Status.PASSED


def test_lab01_ex3_when_the_prediction_follows_the_pool_then_it_matches_the_simulator(tmp_path):
    assert check01(3, write(tmp_path, "lab01/ex3/predict.py", PREDICT_SOLUTION)).status is Status.PASSED


def test_lab01_ex3_when_overlapping_requests_share_one_environment_then_it_names_a_request(tmp_path):
    result = check01(3, write(tmp_path, "lab01/ex3/predict.py", PREDICT_ONE_ENVIRONMENT))
    assert result.status is Status.FAILED
    assert result.expected.startswith("request #")


def test_lab01_ex3_when_environments_never_expire_then_it_fails_every_time(tmp_path):
    """The unseen traces are random, but one always sends a request after keep_alive of idleness."""
    forever = PREDICT_SOLUTION.replace("if t - f < keep_alive", "if True")
    result = check01(3, write(tmp_path, "lab01/ex3/predict.py", forever))
    assert result.status is Status.FAILED
    assert "to be cold" in result.expected


def test_when_the_answer_is_still_the_placeholder_then_not_yet_solved(tmp_path):
    write(
        tmp_path,
        "lab01/ex1/report.py",
        """
        def parse_report(line):
            # YOUR CODE HERE
            raise NotImplementedError("exercise 1")
    """,
    )
    assert check01(1, tmp_path).status is Status.NOT_YET_SOLVED


def test_when_the_answer_hangs_then_the_check_reports_a_timeout_and_returns(tmp_path):
    write(
        tmp_path,
        "lab01/ex1/report.py",
        """
        def parse_report(line):
            while True:
                pass
    """,
    )
    result = check01(1, tmp_path)
    assert result.status is Status.FAILED
    assert "timed out" in result.got


@pytest.mark.parametrize("body", ["import os; os._exit(1)", "print('x' * 10_000_000)"])
def test_when_the_answer_exits_or_floods_output_then_the_check_still_gives_a_verdict(tmp_path, body):
    write(
        tmp_path,
        "lab01/ex1/report.py",
        f"""
        def parse_report(line):
            {body}
    """,
    )
    result = check01(1, tmp_path)
    assert result.status is Status.FAILED
    assert result.got
