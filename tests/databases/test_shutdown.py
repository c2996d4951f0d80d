"""Nothing outlives the sandbox: stopping it, or ending the Python process, ends every PostgreSQL server.

Each case runs in its own Python process, as a notebook kernel would, so stopping that sandbox leaves this
test session's sandbox alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

SCRIPT = textwrap.dedent("""
    import json, sys
    import boto3
    import lambdalab

    box = lambdalab.sandbox()
    rds = boto3.client("rds")
    for name in ("first", "second"):
        rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro",
                               MasterUsername="app", MasterUserPassword="lesson-07-password")
    workspace = str(box.databases.workspace)
    print(json.dumps({"pids": box.databases.server_pids(), "workspace": workspace}), flush=True)
    if sys.argv[1] == "stop":
        box.stop()
    if sys.argv[1] == "kill":  # a kernel killed outright: no atexit, servers orphaned
        import os, signal
        os.kill(os.getpid(), signal.SIGKILL)
""")


@pytest.fixture(scope="module")
def finished() -> dict[str, dict]:
    """The cases run side by side (each starts a whole sandbox): what each process reported before it ended."""
    processes = {
        mode: subprocess.Popen(
            [sys.executable, "-c", SCRIPT, mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for mode in ("stop", "exit", "kill")
    }
    reports = {}
    for mode, process in processes.items():
        out, err = process.communicate(timeout=240)
        assert process.returncode == (-9 if mode == "kill" else 0), err[-3000:]
        reports[mode] = json.loads(out.strip().splitlines()[-1])
    return reports


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_when_the_sandbox_stops_then_no_postgres_process_or_data_is_left(finished):
    started = finished["stop"]
    assert len(started["pids"]) == 2
    assert [pid for pid in started["pids"] if not gone(pid)] == []
    assert not Path(started["workspace"]).exists()


def test_when_the_python_process_ends_without_stopping_then_its_servers_end_too(finished):
    started = finished["exit"]
    assert len(started["pids"]) == 2
    assert [pid for pid in started["pids"] if not gone(pid)] == []
    assert not Path(started["workspace"]).exists()


def test_when_a_killed_kernel_left_servers_behind_then_the_next_engine_ends_them_and_removes_their_data(finished):
    from lambdalab.databases.server_user import cleanup_stale_workspaces

    orphaned = finished["kill"]
    assert len(orphaned["pids"]) == 2 and all(psutil.pid_exists(pid) for pid in orphaned["pids"])
    cleanup_stale_workspaces()  # what the next sandbox's first DB instance does
    deadline = time.monotonic() + 30
    while not all(gone(pid) for pid in orphaned["pids"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in orphaned["pids"] if not gone(pid)] == []
    assert not Path(orphaned["workspace"]).exists()
