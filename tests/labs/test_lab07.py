"""Lab 07's checks: typical wrong answers fail and are told why; guessing cannot pass. That the reference
solutions pass is held by the solution notebook (``test_solution_notebooks.py``)."""

from __future__ import annotations


import pytest
from answers import write

from lambdalab.grading import Status
from lambdalab.grading.lab07 import BUDGET_FILE, CASES, DIAGNOSE_FILE, QUEUE_FILE, check

@pytest.mark.parametrize("case", CASES)
def test_a_diagnosis_that_ignores_the_evidence_cannot_pass(tmp_path, case):
    # Every incident set holds all four cases, so no constant answer (the likeliest guess) passes.
    write(tmp_path, DIAGNOSE_FILE, f"def diagnose(evidence):\n    return {case!r}\n")
    result = check(1, tmp_path)
    assert result.status is Status.FAILED
    assert result.got == repr(case) and case not in result.expected


def test_a_diagnosis_that_calls_every_error_throttling_is_told_what_the_database_case_looks_like(tmp_path):
    write(
        tmp_path,
        DIAGNOSE_FILE,
        """
        def diagnose(evidence):
            lam = evidence["metrics"]["AWS/Lambda"]
            if lam["Errors"]["Sum"] > 10 or lam["Throttles"]["Sum"] > 0:
                return "throttling"
            if any("Init Duration" in line for line in evidence["logs"]):
                return "cold-starts"
            return "duplicates"
        """,
    )
    result = check(1, tmp_path)
    assert result.status is Status.FAILED
    assert "'connection-exhaustion'" in result.expected and "53300" in result.hint


def test_a_visibility_timeout_without_the_batching_window_is_refused_with_the_numbers(tmp_path):
    write(
        tmp_path,
        QUEUE_FILE,
        """
        import json, boto3
        def fix(queue_url, function_name, mapping_uuid):
            timeout = boto3.client("lambda").get_function_configuration(FunctionName=function_name)["Timeout"]
            sqs = boto3.client("sqs")
            redrive = json.loads(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
                                 ["Attributes"]["RedrivePolicy"])
            redrive["maxReceiveCount"] = 5
            sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": str(6 * timeout),
                                                                     "RedrivePolicy": json.dumps(redrive)})
        """,
    )
    result = check(2, tmp_path)
    assert result.status is Status.FAILED
    assert "batching window" in result.expected and "VisibilityTimeout" in result.got


def test_a_fix_that_leaves_the_redrive_at_two_receives_fails(tmp_path):
    write(
        tmp_path,
        QUEUE_FILE,
        """
        import boto3
        def fix(queue_url, function_name, mapping_uuid):
            boto3.client("sqs").set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": "43200"})
        """,
    )
    result = check(2, tmp_path)
    assert result.status is Status.FAILED
    assert "maxReceiveCount" in result.expected and '"maxReceiveCount": 2' in result.got


def test_a_budget_that_forgets_the_reserved_slots_is_refused_by_postgresql(tmp_path):
    write(
        tmp_path,
        BUDGET_FILE,
        """
        import boto3
        def apply_budget(function_name, db_instance_identifier, other_connections):
            rds = boto3.client("rds")
            group = rds.describe_db_instances(DBInstanceIdentifier=db_instance_identifier)["DBInstances"][0][
                "DBParameterGroups"][0]["DBParameterGroupName"]
            parameters = rds.describe_db_parameters(DBParameterGroupName=group, Source="user")["Parameters"]
            limit = int(next(p["ParameterValue"] for p in parameters if p["ParameterName"] == "max_connections"))
            boto3.client("lambda").put_function_concurrency(FunctionName=function_name,
                                                            ReservedConcurrentExecutions=limit)
        """,
    )
    result = check(3, tmp_path)
    assert result.status is Status.FAILED
    assert "refused by PostgreSQL (53300)" in result.got and "max_connections - 5" in result.hint


def test_the_placeholder_is_not_yet_solved(tmp_path):
    write(
        tmp_path,
        BUDGET_FILE,
        "def apply_budget(function_name, db_instance_identifier, other_connections):\n"
        "    # YOUR CODE HERE\n    raise NotImplementedError\n",
    )
    assert check(3, tmp_path).status is Status.NOT_YET_SOLVED
