"""Ending an execution environment's process and everything it started, at once.

The process runs in its own session (process group): killing the group ends what the handler started, and
children that left the group (``setsid``) are found through psutil and ended too, as when AWS ends an
environment.
"""

from __future__ import annotations

import os
import signal
import subprocess

import psutil


def kill_tree(process: subprocess.Popen[bytes] | None, root: psutil.Process | None) -> None:
    """SIGKILL ``process``, its process group and every descendant, then reap them (bounded waits)."""
    descendants: list[psutil.Process] = []
    if root is not None:
        try:
            descendants = root.children(recursive=True)
        except psutil.Error:
            descendants = []
    if process is not None:
        if os.name != "nt":
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            process.kill()
        except OSError:
            pass
    for child in descendants:  # children that left the process group (setsid) die too
        try:
            child.kill()
        except psutil.Error:
            pass
    if process is not None:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    psutil.wait_procs(descendants, timeout=2)
