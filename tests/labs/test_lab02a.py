"""Lab 02a's checks: right answers pass, wrong ones are told what went wrong, placeholders are not yet solved."""

from __future__ import annotations

import pytest
from answers import write

from lambdalab.grading import Status
from lambdalab.grading.lab02a import check

CLASSIFY = """
def classify(response):
    if response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 429:
        return "not a throttle"
    reason = response.get("Reason")
    if reason == "ReservedFunctionConcurrentInvocationLimitExceeded":
        return "reserved"
    if reason == "ConcurrentInvocationLimitExceeded":
        return "account"
    return "other throttle"
"""
CLASSIFY_EVERY_429_AS_ACCOUNT = """
def classify(response):
    if response["Error"]["Code"] == "TooManyRequestsException":
        return "account"
    return "not a throttle"
"""
BACKOFF = """
import random
import time

from botocore.exceptions import ClientError


def call_with_backoff(call, *, base=0.1, cap=5.0, max_attempts=6, sleep=time.sleep):
    for attempt in range(max_attempts):
        try:
            return call()
        except ClientError as error:
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 429:
                raise
            if attempt == max_attempts - 1:
                raise
            sleep(random.uniform(0, min(cap, base * 2**attempt)))
"""
BACKOFF_WITHOUT_JITTER = BACKOFF.replace("random.uniform(0, min(cap, base * 2**attempt))",
                                         "min(cap, base * 2**attempt)")
BACKOFF_RETRYING_EVERYTHING = BACKOFF.replace("except ClientError as error:", "except Exception as error:").replace(
    """            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 429:
                raise
""", "")
LIMITS = """
import time


def apply_concurrency(lam, function_name, alias, reserved, provisioned):
    if reserved is None:
        lam.delete_function_concurrency(FunctionName=function_name)
    else:
        lam.put_function_concurrency(FunctionName=function_name, ReservedConcurrentExecutions=reserved)
    if provisioned == 0:
        try:
            lam.delete_provisioned_concurrency_config(FunctionName=function_name, Qualifier=alias)
        except (lam.exceptions.ResourceNotFoundException, lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
            pass
        return None
    lam.put_provisioned_concurrency_config(FunctionName=function_name, Qualifier=alias,
                                           ProvisionedConcurrentExecutions=provisioned)
    while True:
        status = lam.get_provisioned_concurrency_config(FunctionName=function_name, Qualifier=alias)["Status"]
        if status != "IN_PROGRESS":
            return status
        time.sleep(0.05)
"""
LIMITS_NOT_WAITING = """
def apply_concurrency(lam, function_name, alias, reserved, provisioned):
    if reserved is None:
        lam.delete_function_concurrency(FunctionName=function_name)
    else:
        lam.put_function_concurrency(FunctionName=function_name, ReservedConcurrentExecutions=reserved)
    if provisioned == 0:
        try:
            lam.delete_provisioned_concurrency_config(FunctionName=function_name, Qualifier=alias)
        except lam.exceptions.ResourceNotFoundException:
            pass
        return None
    return lam.put_provisioned_concurrency_config(FunctionName=function_name, Qualifier=alias,
                                                  ProvisionedConcurrentExecutions=provisioned)["Status"]
"""
LIMITS_IGNORING_NONE = LIMITS.replace("""    if reserved is None:
        lam.delete_function_concurrency(FunctionName=function_name)
    else:
        lam.put_function_concurrency""", """    if reserved is not None:
        lam.put_function_concurrency""")
THROTTLES = """
def count_throttles(cloudwatch, function_name, start, end):
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="Throttles", Dimensions=[{"Name": "FunctionName", "Value": function_name}],
        StartTime=start, EndTime=end, Period=60, Statistics=["Sum"])["Datapoints"]
    return int(sum(p["Sum"] for p in points))
"""
THROTTLES_OF_EVERY_FUNCTION = THROTTLES.replace(
    'Dimensions=[{"Name": "FunctionName", "Value": function_name}],', "")


def test_ex1_when_every_reason_is_read_whole_then_real_throttles_and_errors_are_classified(tmp_path):
    result = check(1, write(tmp_path, "lab02a/ex1/classify.py", CLASSIFY))
    assert result.status is Status.PASSED, result.render()
    assert "reserved" in result.got and "account" in result.got


def test_ex1_when_every_429_is_called_an_account_throttle_then_it_names_the_reason_it_missed(tmp_path):
    result = check(1, write(tmp_path, "lab02a/ex1/classify.py", CLASSIFY_EVERY_429_AS_ACCOUNT))
    assert result.status is Status.FAILED
    assert "HTTP 429 TooManyRequestsException with Reason" in result.expected and result.got == "'account'"
    assert "compare the whole Reason" in result.hint


def test_ex2_when_waits_are_full_jitter_below_a_capped_exponential_then_it_passes_live(tmp_path):
    result = check(2, write(tmp_path, "lab02a/ex2/backoff.py", BACKOFF))
    assert result.status is Status.PASSED, result.render()
    assert "reserved concurrency 1 all succeeded" in result.got


def test_ex2_when_the_wait_is_always_the_ceiling_then_it_asks_for_jitter(tmp_path):
    result = check(2, write(tmp_path, "lab02a/ex2/backoff.py", BACKOFF_WITHOUT_JITTER))
    assert result.status is Status.FAILED
    assert "the same wait every time" in result.got and "full jitter" in result.hint


def test_ex2_when_any_error_is_retried_then_it_says_only_throttles_are(tmp_path):
    result = check(2, write(tmp_path, "lab02a/ex2/backoff.py", BACKOFF_RETRYING_EVERYTHING))
    assert result.status is Status.FAILED
    assert "raised at once" in result.expected and "retry only throttles" in result.hint


def test_ex3_when_the_spec_is_applied_and_waited_for_then_the_api_confirms_it(tmp_path):
    result = check(3, write(tmp_path, "lab02a/ex3/limits.py", LIMITS))
    assert result.status is Status.PASSED, result.render()


def test_ex3_when_it_returns_before_ready_then_it_says_to_poll(tmp_path):
    result = check(3, write(tmp_path, "lab02a/ex3/limits.py", LIMITS_NOT_WAITING))
    assert result.status is Status.FAILED
    assert "IN_PROGRESS" in result.got and "poll" in result.hint


def test_ex3_when_none_does_not_remove_the_reservation_then_it_says_so(tmp_path):
    result = check(3, write(tmp_path, "lab02a/ex3/limits.py", LIMITS_IGNORING_NONE))
    assert result.status is Status.FAILED
    assert "reserved concurrency None" in result.expected and "delete_function_concurrency" in result.hint


def test_ex4_when_throttles_are_summed_for_one_function_then_it_passes(tmp_path):
    result = check(4, write(tmp_path, "lab02a/ex4/throttles.py", THROTTLES))
    assert result.status is Status.PASSED, result.render()


def test_ex4_when_the_function_dimension_is_left_out_then_it_says_to_filter(tmp_path):
    result = check(4, write(tmp_path, "lab02a/ex4/throttles.py", THROTTLES_OF_EVERY_FUNCTION))
    assert result.status is Status.FAILED
    assert "FunctionName dimension" in result.hint


@pytest.mark.parametrize(("number", "relative", "signature"), [
    (1, "lab02a/ex1/classify.py", "def classify(response):"),
    (2, "lab02a/ex2/backoff.py", "def call_with_backoff(call, *, base, cap, max_attempts, sleep):"),
    (3, "lab02a/ex3/limits.py", "def apply_concurrency(lam, function_name, alias, reserved, provisioned):"),
    (4, "lab02a/ex4/throttles.py", "def count_throttles(cloudwatch, function_name, start, end):"),
])
def test_when_the_answer_is_still_the_placeholder_then_not_yet_solved(tmp_path, number, relative, signature):
    write(tmp_path, relative, f"""
        {signature}
            # YOUR CODE HERE
            raise NotImplementedError("exercise {number}")
    """)
    assert check(number, tmp_path).status is Status.NOT_YET_SOLVED
