"""Stopping the sandbox leaves nothing running: no execution environment, nothing a handler started.

Each environment adopts its own orphans (it is a child subreaper, see the runtime's bootstrap), so ending an
environment's process tree ends even a handler's daemon that started its own session. The process that
runs the sandbox can be a subreaper too, catching whatever escapes an environment in its last instant, and
it ends every descendant when it stops — whether by Ctrl-C, a closed terminal (SIGHUP) or a hub culling
the server (SIGTERM).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psutil

PR_SET_CHILD_SUBREAPER = 36  # prctl option, <linux/prctl.h>
STOP_TIMEOUT_S = 15.0
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def become_subreaper() -> bool:
    """Adopt this process's orphaned descendants (Linux); False where the system has no such thing."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def end_descendants(timeout: float = 5.0) -> list[int]:
    """Kill every process descended from this one and reap it; returns their pids."""
    try:
        descendants = psutil.Process().children(recursive=True)
    except psutil.Error:
        return []
    for process in descendants:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(descendants, timeout=timeout)
    return [p.pid for p in descendants]


@contextmanager
def stop_requested() -> Iterator[threading.Event]:
    """Inside the block, Ctrl-C (SIGINT), SIGTERM and SIGHUP set the returned event instead of acting.

    The main thread notices at a point of its choosing and stops cleanly; nothing is interrupted halfway.
    """
    requested = threading.Event()

    def request(signum: int, frame: object) -> None:
        requested.set()

    previous = {sig: signal.signal(sig, request) for sig in (signal.SIGINT, *STOP_SIGNALS)}
    try:
        yield requested
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def on_stop_signal(stop: Callable[[], None]) -> None:
    """Run ``stop()`` before the process dies of SIGTERM or SIGHUP (where nothing else handles them).

    For a notebook kernel that is shut down by a signal rather than asked to exit: ``atexit`` does not run
    then. The signal is re-raised with its default action afterwards, so the process still ends as asked.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_DFL:
            continue

        def handler(signum: int, frame: object) -> None:
            for each in STOP_SIGNALS:
                signal.signal(each, signal.SIG_IGN)
            # In a thread of its own: the main thread may hold a lock the clean-up needs (it was interrupted
            # mid-invoke), and must not wait on itself for ever.
            worker = threading.Thread(target=stop, name="lambdalab-stop", daemon=True)
            worker.start()
            worker.join(STOP_TIMEOUT_S)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

        signal.signal(sig, handler)
