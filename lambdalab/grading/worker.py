"""Grading one submission in a process of its own: ``python -m lambdalab.grading.worker NOTEBOOK``.

``lambdalab grade`` starts one worker per submission (on Linux inside fresh user, network, PID and mount
namespaces) and reads its verdicts from a pipe. The worker runs its own sandbox on the namespace's own
loopback, confines every execution environment it starts (:mod:`lambdalab.grading.isolation`), and is the
subreaper of everything they spawn, so a double-forked daemon is still its child and ends with it. If the
submission manages to stop or kill the worker anyway, the grader sees no verdicts, scores the submission
0 saying why, and goes on with the next one.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import importlib.util
import json
import os
import socket
import struct
import sys
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1


def loopback_up() -> None:
    """A fresh network namespace has only ``lo``, and it is down; the sandbox needs it up."""
    try:
        import fcntl  # POSIX only; the worker runs on Linux and macOS

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sh14x", b"lo", 0)
            flags = struct.unpack("16sh14x", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
            if not flags & _IFF_UP:
                fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sh14x", b"lo", flags | _IFF_UP))
    except (OSError, ImportError):
        pass  # not in a namespace of our own, or not allowed: loopback is whatever the host has


def become_subreaper() -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def end_descendants() -> None:
    """Kill whatever the submission left running (orphans re-parented to this subreaper included)."""
    import psutil

    me = psutil.Process()
    for _ in range(3):
        children = me.children(recursive=True)
        if not children:
            return
        for child in children:
            try:
                child.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(children, timeout=2)


def load_checks(spec: str) -> None:
    """Import an extra module of checks (an instructor's own labs): a module name or a ``.py`` path."""
    if spec.endswith(".py"):
        module_spec = importlib.util.spec_from_file_location(Path(spec).stem, spec)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        importlib.import_module(spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lambdalab.grading.worker")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--lab", default=None)
    parser.add_argument("--checks", action="append", default=[])
    parser.add_argument("--result-fd", type=int, required=True)
    args = parser.parse_args(argv)
    result = os.fdopen(args.result_fd, "w", encoding="utf-8")
    become_subreaper()
    loopback_up()
    from lambdalab.grading import isolation
    from lambdalab.grading.score import grade_notebook

    isolation.install()
    for spec in args.checks:
        load_checks(spec)
    try:
        score = grade_notebook(args.notebook, args.lab)
    finally:
        end_descendants()
    result.write(json.dumps(score.to_json(), ensure_ascii=False))
    result.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
