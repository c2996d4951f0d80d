"""Reading an execution environment's memory, the way Lambda's REPORT line and OOM killer see it.

Lambda's ``Max Memory Used`` is the environment's high-water mark. On Linux the kernel keeps exactly that
for a process (``VmHWM``); elsewhere psutil's resident set size, sampled, is the closest we can get.
The environment's memory is that of its whole process tree: a handler that starts a child process pays
for it too, as it would inside Lambda's cgroup.
"""

from __future__ import annotations

import os

import psutil

MIB = 1024 * 1024


class PeakReader:
    """Reads one process's high-water mark repeatedly through a file descriptor kept open: re-reading
    ``/proc/PID/status`` with ``pread`` costs a fraction of opening it again on every invocation."""

    def __init__(self, process: psutil.Process) -> None:
        self._process = process
        self._fd: int | None = None
        try:
            self._fd = os.open(f"/proc/{process.pid}/status", os.O_RDONLY)
        except OSError:
            self._fd = None

    def peak_bytes(self) -> int:
        if self._fd is not None:
            try:
                status = os.pread(self._fd, 8192, 0)
                start = status.index(b"VmHWM:")
                return int(status[start + 6 : status.index(b"kB", start)]) * 1024
            except (OSError, ValueError):
                pass
        try:
            return self._process.memory_info().rss
        except psutil.Error:
            return 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def rss_bytes(process: psutil.Process) -> int:
    """Resident memory of one process now (0 once it is gone)."""
    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


def total_rss_bytes(pids: list[int]) -> int:
    """Resident memory of these processes now (those already gone count 0)."""
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            continue
    return total
