"""Running a learner's answer inside real execution environments, with the grader watching.

A check never imports the learner's code into the notebook's kernel: it deploys it as a Lambda function
(a real subprocess with a timeout and a memory limit) next to a small *probe* module that calls into it
and reports what it observed — the return value, how many SDK clients were created and when. A handler
that hangs, exits, crashes or floods its output ends only its own environment, and the check turns what
happened into feedback.
"""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

from lambdalab.grading.harness import require_solved
from lambdalab.runtime.results import Invocation

# A probe that counts SDK clients created during init and during each invocation. boto3.client,
# boto3.resource and Session.client all end in botocore's Session.create_client.
CLIENT_COUNTING_PROBE = textwrap.dedent('''
    import botocore.session

    _created = {"init": 0, "invoke": 0}
    _phase = ["init"]
    _create_client = botocore.session.Session.create_client

    def _counting_create_client(self, *args, **kwargs):
        _created[_phase[0]] += 1
        return _create_client(self, *args, **kwargs)

    botocore.session.Session.create_client = _counting_create_client

    import ANSWER as _answer

    _phase[0] = "invoke"

    def handler(event, context):
        before = _created["invoke"]
        result = _answer.FUNCTION(event, context)
        return {"result": result, "clients_in_call": _created["invoke"] - before,
                "clients_at_init": _created["init"]}
''')

# A probe that calls a plain function of the answer with keyword arguments from the event.
FUNCTION_PROBE = textwrap.dedent('''
    import ANSWER as _answer

    def handler(event, context):
        return [_answer.FUNCTION(**kwargs) for kwargs in event["calls"]]
''')


def answer_source(answer_dir: Path, relative: str) -> str:
    return (answer_dir / relative).read_text(encoding="utf-8")


def deploy_with_probe(answer_dir: Path, relative: str, probe: str, *, function: str = "handler",
                      timeout: float = 10, memory: int = 256, environment: dict[str, str] | None = None):
    """Deploy the answer file (as its own module) beside a probe; returns the deployed Function.

    In the probe's source the word ``ANSWER`` names the answer's module and ``FUNCTION`` the function the
    exercise asks for (plain words, not format fields, so a probe may contain braces freely).
    """
    import lambdalab

    module = Path(relative).stem
    files = {Path(relative).name: answer_source(answer_dir, relative),
             "lambdalab_probe.py": probe.replace("ANSWER", module).replace("FUNCTION", function)}
    name = f"check-{module}-{uuid.uuid4().hex[:8]}"
    return lambdalab.deploy(name, files=files, handler="lambdalab_probe.handler", timeout=timeout,
                            memory=memory, environment=environment)


def describe_failure(invocation: Invocation) -> str:
    """What went wrong in the learner's code, in one line a learner can act on."""
    require_solved(invocation)
    error = invocation.error or {}
    kind = error.get("errorType", "an error")
    message = str(error.get("errorMessage", "")).strip()
    if kind == "Sandbox.Timedout":
        return f"the function timed out ({message.split('Error: ')[-1]})"
    if kind in ("Runtime.ExitError", "Runtime.OutOfMemory"):
        return f"the environment ended: {kind} ({message.split('Error: ')[-1]})"
    return f"it raised {kind}: {message}" if message else f"it raised {kind}"
