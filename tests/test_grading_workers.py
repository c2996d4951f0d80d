"""Each submission is graded by a worker of its own; a worker that is killed, stopped or hangs costs only
its own submission (a row saying why, 0 points), and the grader goes on.

Where Landlock cannot stop a submission from signalling its worker (older kernels, other platforms), this
is what keeps the batch alive; the checks module below plays the submission's part.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nbformat import v4

from lambdalab.cli import main
from lambdalab.grading.score import grade_in_worker
from tests.conftest import FAKE_CHECKS

SOLVED = [
    v4.new_code_cell("%%writefile lab98/ex1/app.py\ndef handler(event, context):\n    return 'hello'"),
    v4.new_code_cell("%%writefile lab98/ex2/app.py\ndef handler(event, context):\n    return event['n'] ** 2"),
]


def hostile_checks(tmp_path: Path, action: str) -> Path:
    """A checks module for lab 98 whose first exercise does ``action`` to the worker running it."""
    path = tmp_path / f"hostile_{action}.py"
    source = FAKE_CHECKS.read_text().replace(
        "def says_hello(answer: Path) -> CheckResult:\n",
        "def says_hello(answer: Path) -> CheckResult:\n"
        f"    if (answer / 'lab98/ex1/app.py').read_text().startswith('# {action}'):\n"
        "        import os, signal, time\n"
        f"        os.kill(os.getpid(), signal.{action})\n"
        # A signal a process sends itself is delivered before kill() returns: a killed worker never gets
        # here, a stopped one waits here, and one that survived (its PID namespace's init) carries on.
        "        time.sleep(3)\n",
    )
    assert source != FAKE_CHECKS.read_text()
    path.write_text(source)
    return path


def notebook(folder: Path, name: str, first_line: str = "") -> Path:
    first = SOLVED[0].source.replace("\ndef", f"\n{first_line}\ndef", 1) if first_line else SOLVED[0].source
    cells = [v4.new_code_cell(first), SOLVED[1]]
    path = folder / name
    path.write_text(json.dumps(v4.new_notebook(cells=cells)))
    return path


def test_when_the_worker_is_killed_then_that_row_says_so_and_the_next_is_scored(tmp_path):
    checks = [str(hostile_checks(tmp_path, "SIGKILL"))]
    killer, honest = notebook(tmp_path, "98-a-killer.ipynb", "# SIGKILL"), notebook(tmp_path, "98-b-honest.ipynb")

    # No namespaces here: in a PID namespace the worker is its init, which a signal from inside cannot end.
    rows = [grade_in_worker(path, checks=checks, prefix=[]) for path in (killer, honest)]

    assert rows[0].points == 0 and "killed by SIGKILL" in rows[0].problem
    assert (rows[1].points, rows[1].problem) == (3, None)


def test_when_the_worker_is_stopped_then_the_timeout_ends_it_and_the_row_says_so(tmp_path):
    checks = hostile_checks(tmp_path, "SIGSTOP")
    path = notebook(tmp_path, "98-stopper.ipynb", "# SIGSTOP")

    score = grade_in_worker(path, checks=[str(checks)], timeout=8, prefix=[])

    assert score.points == 0
    assert "still running after 8 s" in score.problem


def test_in_its_own_pid_namespace_the_worker_survives_a_sigkill_from_inside(tmp_path, capsys):
    from lambdalab.grading.score import unshare_prefix

    if not unshare_prefix():
        pytest.skip("unprivileged user and PID namespaces are not available here")
    checks = hostile_checks(tmp_path, "SIGKILL")
    path = notebook(tmp_path, "98-killer.ipynb", "# SIGKILL")

    assert main(["grade", str(path), "--checks", str(checks), "--json", str(tmp_path / "s.json")]) == 0
    (row,) = json.loads((tmp_path / "s.json").read_text())["notebooks"]
    assert (row["points"], row["problem"]) == (3, None)
