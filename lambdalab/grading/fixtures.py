"""What every lab's checks share: deploying a learner's answer, with or without a probe beside it, a Lambda
client, a zip, and one line about what went wrong.

A check never imports the learner's code into the notebook's kernel: it deploys it as a Lambda function
(a real subprocess with a timeout and a memory limit), alone or next to a small *probe* module that calls
into it and reports what it observed. A handler that hangs, exits, crashes or floods its output ends only
its own environment, and the check turns what happened into feedback.

Probes are real Python files in ``lambdalab/grading/probes/`` (linted like the rest of the package) and are
deployed exactly as written: the grader names the learner's module and function in a small JSON file that
the probe's ``lambdalab_answer`` helper reads, so no probe is edited as text before it runs.
"""

from __future__ import annotations

import json
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

from lambdalab.grading.harness import require_solved
from lambdalab.runtime.results import Invocation

#: The file a probe is deployed as; its ``handler`` is the function's handler.
PROBE_MODULE = "lambdalab_probe"
#: The helper every probe imports to reach the learner's module, and the names it reads.
BINDING_MODULE = "lambdalab_answer"


def check_name(prefix: str) -> str:
    """A function (or queue, table, rule) name no other check or learner will have chosen."""
    return f"check-{prefix}-{uuid.uuid4().hex[:8]}"


def answer_source(answer_dir: Path, relative: str) -> str:
    return (answer_dir / relative).read_text(encoding="utf-8")


def probe_source(name: str) -> str:
    """The text of the probe file ``name`` (``lambdalab/grading/probes/<name>.py``), shipped with the package."""
    path = resources.files("lambdalab.grading.probes") / f"{name}.py"
    if not path.is_file():
        raise ValueError(f"no probe named {name!r}: add lambdalab/grading/probes/{name}.py")
    return path.read_text(encoding="utf-8")


def lambda_client(attempts: int = 1, **config: Any):
    """A boto3 Lambda client of the sandbox that tries each call ``attempts`` times (1: every 429 reaches the
    check); ``config`` adds botocore Config settings such as ``max_pool_connections``."""
    from botocore.config import Config

    import lambdalab

    return lambdalab.sandbox().client("lambda", config=Config(retries={"total_max_attempts": attempts}, **config))


def deploy_answer(
    answer_dir: Path,
    relative: str,
    *,
    module: str | None = None,
    timeout: float = 10,
    memory: int = 256,
    environment: dict[str, str] | None = None,
    layers: tuple[str, ...] = (),
):
    """Deploy the learner's file alone, as module ``module`` (its own name by default), handler
    ``<module>.handler``; returns the deployed Function."""
    import lambdalab

    module = module or Path(relative).stem
    return lambdalab.deploy(
        check_name(module),
        files={f"{module}.py": answer_source(answer_dir, relative)},
        handler=f"{module}.handler",
        timeout=timeout,
        memory=memory,
        environment=environment,
        layers=layers,
    )


def deploy_with_probe(
    answer_dir: Path,
    relative: str,
    probe: str,
    *,
    function: str = "handler",
    timeout: float = 10,
    memory: int = 256,
    environment: dict[str, str] | None = None,
):
    """Deploy the answer file (as its own module) beside the probe file ``probe``; returns the deployed Function.

    The probe reaches the answer through ``lambdalab_answer``: ``load_module()`` imports the answer's module,
    ``FUNCTION`` names the function the exercise asks for.
    """
    import lambdalab

    module = Path(relative).stem
    files = {
        Path(relative).name: answer_source(answer_dir, relative),
        f"{PROBE_MODULE}.py": probe_source(probe),
        f"{BINDING_MODULE}.py": probe_source(BINDING_MODULE),
        f"{BINDING_MODULE}.json": json.dumps({"module": module, "function": function}),
    }
    return lambdalab.deploy(
        check_name(module),
        files=files,
        handler=f"{PROBE_MODULE}.handler",
        timeout=timeout,
        memory=memory,
        environment=environment,
    )


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
