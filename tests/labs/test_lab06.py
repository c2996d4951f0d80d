"""Lab 06's checks deploy the learner's template to the sandbox and send unseen traffic through each trigger:
typical wrong templates fail with the reason CloudFormation or the traffic gives. That the reference templates pass
is held by the solution notebook (``test_solution_notebooks.py``)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from lambdalab.grading import Status
from lambdalab.grading.lab06 import EXTEND_FILE, REPAIR_FILE, check

SOLUTIONS = Path(__file__).parents[2] / "solutions" / "06-deployment-with-sam.ipynb"

pytestmark = pytest.mark.timeout(600)


def cell(relative: str) -> str:
    """The solution notebook's ``%%writefile`` cell for a file, without the magic line and the markers."""
    for source in (c.source for c in nbformat.read(SOLUTIONS, as_version=4).cells if c.cell_type == "code"):
        first, _, body = source.partition("\n")
        if first == f"%%writefile {relative}":
            return "\n".join(
                line for line in body.split("\n") if line.strip() not in ("# BEGIN SOLUTION", "# END SOLUTION")
            )
    raise LookupError(relative)


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_broken_template_as_given_fails_with_cloudformations_reason(tmp_path):
    write(tmp_path, REPAIR_FILE, cell("lab06/ex1/broken.yaml"))
    result = check(1, tmp_path)
    assert result.status is Status.FAILED, result.render()
    assert "OrderDlq" in result.got, result.render()


def test_a_visibility_timeout_below_six_times_the_function_timeout_fails(tmp_path):
    write(tmp_path, REPAIR_FILE, cell(REPAIR_FILE).replace("VisibilityTimeout: 180", "VisibilityTimeout: 60"))
    result = check(1, tmp_path)
    assert result.status is Status.FAILED, result.render()
    assert "VisibilityTimeout 60" in result.got and "six times" in result.hint


def test_a_visibility_timeout_below_the_function_timeout_fails_the_stack_as_on_aws(tmp_path):
    write(tmp_path, REPAIR_FILE, cell(REPAIR_FILE).replace("VisibilityTimeout: 180", "VisibilityTimeout: 20"))
    result = check(1, tmp_path)
    assert result.status is Status.FAILED, result.render()
    assert "less than Function timeout" in result.got, result.render()


def test_a_consumer_without_report_batch_item_failures_is_told_lambda_ignores_its_failures(tmp_path):
    write(
        tmp_path,
        REPAIR_FILE,
        cell(REPAIR_FILE).replace("            FunctionResponseTypes: [ReportBatchItemFailures]\n", ""),
    )
    result = check(1, tmp_path)
    assert result.status is Status.FAILED, result.render()
    assert "ReportBatchItemFailures" in result.expected and "ignores" in result.hint


def test_an_s3_event_without_the_suffix_rule_is_told_which_uploads_reached_the_function(tmp_path):
    loose = cell(EXTEND_FILE).replace("                  - Name: suffix\n                    Value: .csv\n", "")
    write(tmp_path, EXTEND_FILE, loose)
    result = check(2, tmp_path)
    assert result.status is Status.FAILED, result.render()
    assert ".txt" in result.got and "suffix" in result.hint


def test_triggers_without_an_alias_fail(tmp_path):
    write(tmp_path, EXTEND_FILE, cell(EXTEND_FILE).replace("      AutoPublishAlias: live\n", ""))
    result = check(2, tmp_path)
    assert result.status is Status.FAILED and "live" in result.expected


def test_a_template_that_is_not_yaml_is_told_where(tmp_path):
    write(tmp_path, EXTEND_FILE, "Resources:\n  Importer:\n\tType: AWS::Serverless::Function\n")
    result = check(2, tmp_path)
    assert result.status is Status.FAILED and "YAML" in result.expected


def test_the_placeholder_is_not_yet_solved(tmp_path):
    write(tmp_path, REPAIR_FILE, "# YOUR CODE HERE\n")
    assert check(1, tmp_path).status is Status.NOT_YET_SOLVED
