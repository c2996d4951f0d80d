"""Reading an execution environment's memory, the way Lambda's REPORT line and OOM killer see it.

Lambda's ``Max Memory Used`` is the environment's high-water mark. On Linux the kernel keeps exactly that
for a process (``VmHWM``); elsewhere psutil's resident set size, sampled, is the closest we can get.
The environment's memory is that of its whole process tree: a handler that starts a child process pays
for it too, as it would inside Lambda's cgroup.
"""

from __future__ import annotations

from pathlib import Path

import psutil

MIB = 1024 * 1024


def _vm_hwm_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def rss_bytes(process: psutil.Process) -> int:
    """Resident memory of one process now (0 once it is gone)."""
    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


def tree_rss_bytes(process: psutil.Process) -> int:
    """Resident memory of a process and all its descendants now (0 once it is gone)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def peak_bytes(process: psutil.Process) -> int:
    """The high-water mark of the process (Linux's VmHWM), or its current RSS where that is unknown."""
    hwm = _vm_hwm_bytes(process.pid)
    if hwm is not None:
        return hwm
    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0
