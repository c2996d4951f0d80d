"""Nothing outlives the sandbox: stopping it, or ending the Python process, ends every PostgreSQL server.

Each case runs in its own Python process, as a notebook kernel would, so stopping that sandbox leaves this
test session's sandbox alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil

SCRIPT = textwrap.dedent("""
    import json, sys
    import boto3
    import lambdalab

    box = lambdalab.sandbox()
    rds = boto3.client("rds")
    for name in ("first", "second"):
        rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro",
                               MasterUsername="app", MasterUserPassword="lesson-07-password")
    workspace = str(next(iter(box.databases.instances.values())).server.data_dir.parents[2])
    print(json.dumps({"pids": box.databases.server_pids(), "workspace": workspace}), flush=True)
    if sys.argv[1] == "stop":
        box.stop()
""")


def run(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_when_the_sandbox_stops_then_no_postgres_process_or_data_is_left():
    started = run("stop")
    assert len(started["pids"]) == 2
    assert [pid for pid in started["pids"] if psutil.pid_exists(pid)] == []
    assert not Path(started["workspace"]).exists()


def test_when_the_python_process_ends_without_stopping_then_its_servers_end_too():
    started = run("exit")
    assert len(started["pids"]) == 2
    assert [pid for pid in started["pids"] if psutil.pid_exists(pid)] == []
    assert not Path(started["workspace"]).exists()
