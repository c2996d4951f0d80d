"""Temporary folders that name the process that owns them, so a later process can remove those left behind.

A sandbox removes its folders when its process exits (``atexit``) or is asked to stop by a signal. A process
killed outright (SIGKILL: nbval ends every notebook's kernel that way, a hub may cull one that way) cleans up
nothing, and its unpacked layers (tens of MB each) would stay in the temporary folder for good. So each
folder's name carries its owner's process id and start time, and the first folder a process makes removes
the folders of owners that no longer run. A folder whose owner still runs, or that another user owns, is
left alone.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
from pathlib import Path

import psutil

#: Every kind of folder lambdalab leaves in the temporary folder while it runs.
PREFIXES = ("lambdalab-aws-", "lambdalab-packages-", "lambdalab-env-")
_OWNER = re.compile(r"^(?P<prefix>lambdalab-[a-z]+-)(?P<pid>\d+)-(?P<started>\d+)-")


def make(prefix: str) -> Path:
    """``tempfile.mkdtemp(prefix=...)``, its name tagged with this process; abandoned folders go first."""
    reap_abandoned(os.getpid())
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{_owner_tag(os.getpid())}-"))


@functools.cache
def _owner_tag(pid: int) -> str:
    return f"{pid}-{_started(pid)}"


def _started(pid: int) -> int | None:
    try:
        return int(psutil.Process(pid).create_time())
    except (psutil.Error, OSError):
        return None


@functools.cache
def reap_abandoned(pid: int) -> list[Path]:
    """Remove the lambdalab folders whose owning process has ended; once per process (``pid`` keys it, so a
    forked child does its own). Returns what it removed."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob("lambdalab-*"):
        owner = _OWNER.match(path.name)
        if owner is None or owner["prefix"] not in PREFIXES:
            continue
        if _started(int(owner["pid"])) == int(owner["started"]):
            continue  # its owner still runs
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed
