"""A process killed outright (SIGKILL, as nbval ends a notebook's kernel) cannot remove its temporary
folders; the next process that makes one removes them, and leaves alone those whose owner still runs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from lambdalab.runtime import temp_dirs

pytestmark = pytest.mark.runs_long

KERNEL = textwrap.dedent("""
    import sys, lambdalab
    box = lambdalab.sandbox()
    fn = lambdalab.deploy("leaves-folders", code="def handler(e, c):\\n    return 1\\n")
    assert fn.invoke({}).payload == 1
    print("ready", flush=True)
    sys.stdin.readline()
""")
#: A process that owns one folder and keeps running until its input closes.
OWNER = ("import sys; from lambdalab.runtime import temp_dirs; temp_dirs.make('lambdalab-env-'); "
         "print('ready', flush=True); sys.stdin.readline()")


def _folders_of(pid: int) -> list[Path]:
    return sorted(p for p in Path(tempfile.gettempdir()).glob("lambdalab-*") if p.name.split("-")[2] == str(pid))


def test_the_folders_of_a_killed_process_are_removed_by_the_next_and_a_running_ones_are_kept():
    killed = subprocess.Popen([sys.executable, "-c", KERNEL], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    running = subprocess.Popen([sys.executable, "-c", OWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert killed.stdout.readline() == "ready\n" and running.stdout.readline() == "ready\n"
        left = _folders_of(killed.pid)
        # The sandbox's own folder, its unpacked packages (with a layer, tens of MB) and the environment's.
        assert {p.name.split("-")[1] for p in left} == {"aws", "packages", "env"}
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        assert all(p.exists() for p in left)  # nothing ran to remove them

        temp_dirs.reap_abandoned.__wrapped__(os.getpid())

        # (Any lambdalab process making its first folder now would have removed them too.)
        assert not any(p.exists() for p in left)
        assert _folders_of(running.pid) and all(p.exists() for p in _folders_of(running.pid))
    finally:
        for process in (killed, running):
            if process.poll() is None:
                process.stdin.close()
                process.wait(timeout=30)
        for folder in _folders_of(running.pid):  # the bare owner made its folder without removing it at exit
            shutil.rmtree(folder, ignore_errors=True)
