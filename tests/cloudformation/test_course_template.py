"""The course's SAM template (examples/sam-app, lessons 06a, 06b and 06c) is ready for a real AWS account: cfn-lint
and both ``sam validate`` modes find nothing, and nothing in it or its code only makes sense on this machine.

The lint examples of lesson 06a keep behaving as the lesson says they do (a new cfn-lint or SAM CLI that
changes that fails here, naming the claim, rather than leaving a lesson that tells something untrue).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "sam-app"
LINT = ROOT / "examples" / "sam-lint"
SCRIPTS = str(Path(sys.executable).parent)
SAM = shutil.which("sam", path=SCRIPTS) or shutil.which("sam")
#: Regions the template must lint clean in: resource and runtime availability differs between them.
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
#: What only the sandbox knows: its address, its account, its fake credentials, an endpoint override.
LOCAL_ONLY = {
    "a loopback address": re.compile(r"127\.0\.0\.1|localhost|\[::1\]"),
    "the sandbox's account id": re.compile(r"123456789012"),
    "an account id written into an ARN": re.compile(r"arn:aws[\w-]*:[\w-]+:[\w-]*:\d{12}:"),
    "an endpoint override": re.compile(r"endpoint_url|AWS_ENDPOINT_URL", re.IGNORECASE),
    "fake credentials": re.compile(r"aws_access_key_id|aws_secret_access_key|\btesting\b", re.IGNORECASE),
    "a region written down": re.compile(
        r"\b(us|eu|ap|sa|ca|me|af)-(east|west|north|south|central|southeast|northeast)-\d\b"
    ),
}

needs_sam = pytest.mark.skipif(SAM is None, reason="no AWS SAM CLI: python3 course.py installs it")


def sam_validate(template: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``sam validate`` offline: any AWS call it tried would go to a closed loopback port and fail the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAM_"))}
    env.update(
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        SAM_CLI_TELEMETRY="0",
        PATH=os.pathsep.join([SCRIPTS, os.environ.get("PATH", "")]),
    )
    return subprocess.run(
        [SAM, "validate", "-t", template.name, *extra],
        cwd=template.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def findings(template: Path, regions: list[str] | None = None) -> list[str]:
    # Imported here, not at the top: cfn-lint (and sympy, which it imports) costs about 0.8 s of CPU, and
    # every test worker collects this file though only one runs it.
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(template, config=ManualArgs(regions=regions or ["us-east-1"]))
    return [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches]


def test_cfn_lint_finds_nothing_in_the_course_template_in_any_region():
    assert findings(APP / "template.yaml", REGIONS) == []


@needs_sam
def test_sam_validate_and_sam_validate_lint_accept_the_course_template():
    plain, lint = sam_validate(APP / "template.yaml"), sam_validate(APP / "template.yaml", "--lint")
    assert plain.returncode == 0 and "is a valid SAM Template" in plain.stdout, plain.stdout + plain.stderr
    assert lint.returncode == 0 and "is a valid SAM Template" in lint.stdout, lint.stdout + lint.stderr


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(APP).as_posix() for p in APP.rglob("*") if p.is_file() and ".aws-sam" not in p.parts)
)
def test_the_course_app_holds_no_value_that_only_the_sandbox_understands(path):
    text = (APP / path).read_text(encoding="utf-8")
    found = {what: m.group(0) for what, pattern in LOCAL_ONLY.items() if (m := pattern.search(text))}
    assert not found, f"{path} would not deploy as it is to an AWS account: it holds {found}"


def test_the_course_template_runs_on_a_python_runtime_lambda_offers():
    text = (APP / "template.yaml").read_text(encoding="utf-8")
    runtimes = set(re.findall(r"\bpython3\.\d+\b", text))
    assert runtimes == {"python3.11"}, runtimes  # cfn-lint (above) refuses deprecated runtimes


def test_the_queue_visibility_timeout_is_at_least_six_times_the_function_timeout():
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse((APP / "template.yaml").read_text(encoding="utf-8"))
    timeout = template["Globals"]["Function"]["Timeout"]
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in resource.get("Properties", {}):
            assert resource["Properties"]["VisibilityTimeout"] >= 6 * timeout, name


# What lesson 06a says about its two lint examples.


@needs_sam
def test_sam_validate_accepts_the_seed_template_that_references_undeclared_names():
    done = sam_validate(LINT / "seed.yaml")
    assert done.returncode == 0 and "is a valid SAM Template" in done.stdout, done.stdout + done.stderr


def test_cfn_lint_reports_the_seed_templates_undeclared_parameter_on_line_12():
    found = findings(LINT / "seed.yaml")
    assert found and all(f.split()[2] == "12:" and "'Environment'" in f for f in found), found
    assert {f.split()[0] for f in found} >= {"E1020", "E3030"}


@needs_sam
def test_a_typo_in_an_sqs_events_optional_property_passes_lint_and_fails_sam_validate():
    assert findings(LINT / "typo.yaml") == []
    lint = sam_validate(LINT / "typo.yaml", "--lint")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    plain = sam_validate(LINT / "typo.yaml")
    assert plain.returncode != 0
    assert "property MaximumBatchingWindowInSecond not defined for resource of type SQS" in plain.stdout + plain.stderr
