"""Instructor grading treats submissions as untrusted code: a crafted lab 01 submission attacks the grader.

The submission (built in code below) tries what the security review found working: it reads the solution
notebook and lambdalab's own grading reference, tampers with the probe's counters at import, writes outside
its folder, kills and stops its parent, and leaves a double-forked daemon behind. ``lambdalab grade`` must
survive it, score it 0, score the honest submission after it 3/3, and leave nothing running.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest
from nbformat import v4
from test_lab_checks import CLIENT_OUTSIDE, PREDICT_SOLUTION, REPORT_SOLUTION

from lambdalab.grading.confine import landlock_abi

ROOT = Path(__file__).resolve().parents[2]
DAEMON_MARK = "1000.4242"  # the daemon's `sleep` argument, to find it afterwards

ATTACKS = textwrap.dedent(f'''
    import os, signal, sys, time
    ROOT = {str(ROOT)!r}
    stolen = {{}}
    def _try(name, action):
        try:
            stolen[name] = action()
        except BaseException as exc:
            stolen[name] = exc
    _try("solution", lambda: open(os.path.join(ROOT, "solutions", "01-cold-start-anatomy.ipynb")).read())
    _try("reference", lambda: __import__("lambdalab.grading.lab01", fromlist=["_reference_cold_starts"]))
    _try("escape", lambda: open(os.path.join(ROOT, "ESCAPED-{{}}".format(os.getpid())), "w").write("x"))
    _try("escape_tmp", lambda: open("/tmp/lambdalab-escaped-{{}}".format(os.getpid()), "w").write("x"))
    # tamper with the probe's counters: stop counting, then claim a client was made at init
    _probe = sys.modules.get("lambdalab_probe")
    if _probe is not None and hasattr(_probe, "_create_client"):
        import botocore.session
        botocore.session.Session.create_client = _probe._create_client
        _probe._created["init"] = 1
    # a double-forked daemon that would outlive the check
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", "{DAEMON_MARK}"])
        os._exit(0)
    _try("stop", lambda: os.kill(os.getppid(), signal.SIGSTOP))
    _try("kill", lambda: os.kill(os.getppid(), signal.SIGKILL))
''')

HOSTILE = {
    "lab01/ex1/report.py": ATTACKS
    + textwrap.dedent("""
        import json as _json
        def parse_report(line):
            source = stolen.get("solution")
            if isinstance(source, str):  # run the instructor's own answer, lifted from the solution notebook
                for cell in _json.loads(source)["cells"]:
                    text = "".join(cell["source"])
                    if "def parse_report" in text:
                        scope = {}
                        exec(text.split(chr(10), 1)[1], scope)
                        return scope["parse_report"](line)
            return {"request_id": "stolen", "duration_ms": 0.0, "billed_duration_ms": 0, "memory_size_mb": 0,
                    "max_memory_used_mb": 0, "init_duration_ms": None}
    """),
    "lab01/ex2/app.py": ATTACKS
    + textwrap.dedent("""
        import boto3
        def handler(event, context):
            s3 = boto3.client("s3")  # a new client every invocation, counters silenced above
            return s3.head_object(Bucket=event["bucket"], Key=event["key"])["ContentLength"]
    """),
    "lab01/ex3/predict.py": ATTACKS
    + textwrap.dedent("""
        def cold_starts(arrivals, durations, keep_alive):
            reference = stolen.get("reference")
            if not isinstance(reference, BaseException):
                return reference._reference_cold_starts(arrivals, durations, keep_alive)
            return [True] * len(arrivals)
    """),
}
HONEST = {
    "lab01/ex1/report.py": REPORT_SOLUTION,
    "lab01/ex2/app.py": CLIENT_OUTSIDE,
    "lab01/ex3/predict.py": PREDICT_SOLUTION,
}


def submission(folder: Path, name: str, files: dict[str, str]) -> Path:
    cells = [v4.new_code_cell(f"%%writefile {path}\n{textwrap.dedent(body).strip()}") for path, body in files.items()]
    path = folder / name
    path.write_text(json.dumps(v4.new_notebook(cells=cells)))
    return path


def daemons() -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if DAEMON_MARK in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


@pytest.mark.skipif(landlock_abi() < 6, reason="needs Linux with Landlock ABI 6 (6.12+); see docs/grading-isolation.md")
@pytest.mark.timeout(1200)
def test_when_a_crafted_submission_attacks_the_grader_then_it_scores_0_and_the_next_one_3_of_3(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    submission(subs, "01-a-hostile.ipynb", HOSTILE)
    submission(subs, "01-b-honest.ipynb", HONEST)
    solution = ROOT / "solutions" / "01-cold-start-anatomy.ipynb"
    solution_before = solution.read_bytes()

    run = subprocess.run(
        [sys.executable, "-m", "lambdalab.cli", "grade", str(subs), "--json", str(tmp_path / "scores.json")],
        capture_output=True,
        text=True,
        timeout=1100,
        cwd=tmp_path,
    )

    assert run.returncode == 0, run.stderr[-2000:]
    rows = {Path(r["notebook"]).name: r for r in json.loads((tmp_path / "scores.json").read_text())["notebooks"]}
    hostile, honest = rows["01-a-hostile.ipynb"], rows["01-b-honest.ipynb"]
    assert hostile["points"] == 0, hostile
    assert [e["status"] for e in hostile["exercises"]] == ["failed", "failed", "failed"], hostile
    assert not any("Error" in e["got"].split(":")[0] for e in hostile["exercises"]), hostile  # it ran, and lost
    assert (honest["points"], honest["problem"]) == (3, None), honest
    assert solution.read_bytes() == solution_before
    assert not list(ROOT.glob("ESCAPED-*")) and not list(Path("/tmp").glob("lambdalab-escaped-*"))
    assert daemons() == []
