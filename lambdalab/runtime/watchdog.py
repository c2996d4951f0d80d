"""The watchdog over one execution environment's process: it exits, outgrows its memory, or overstays.

While the environment waits for the runtime's answer (its first ``/next`` during init, a response or error
during an invocation), Lambda ends the environment if the runtime exits, if its process tree uses more
memory than the function's ``MemorySize``, or if the phase outlives its timeout. The watchdog checks those
only when a poll interval passes without an answer, so a quick warm invoke pays for none of them, and
remembers the memory high-water mark, which a dead process can no longer report.
"""

from __future__ import annotations

import math
import signal
import subprocess
import threading
import time
from collections.abc import Callable

import psutil

from lambdalab.runtime import memory
from lambdalab.runtime.endings import TIMED_OUT, Ended, exit_words

_POLL_S = 0.01
#: A long-running invoke is checked less and less often, up to this interval: forty handlers sleeping in
#: parallel must not cost a core of polling (the answer itself still wakes the wait at once).
_MAX_POLL_S = 0.1


class Watchdog:
    """Watches one process (``process``, ``ps`` the same one through psutil) against ``memory_mb``.

    ``kill()`` ends the process tree (called on an out-of-memory); ``between_polls()`` runs after each
    quiet poll (the environment trims a flooded log file there).
    """

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        ps: psutil.Process,
        memory_mb: int,
        *,
        kill: Callable[[], None],
        between_polls: Callable[[], None] = lambda: None,
    ) -> None:
        self._process = process
        self._ps = ps
        self._limit = memory_mb * memory.MIB
        self._kill = kill
        self._between_polls = between_polls
        self._peak_reader = memory.PeakReader(ps)
        self._peak_seen = 0

    def wait(
        self,
        condition: Callable[[], bool],
        seconds: float,
        *,
        done: threading.Event | None = None,
        exit_answers: Callable[[], bool] = lambda: False,
    ) -> None:
        """Wait until ``condition()`` holds; raise :class:`Ended` the way Lambda ends the environment.

        ``done`` is an event set with the answer, so the wait wakes at once. ``exit_answers()`` says
        whether an exit is itself the answer (during init, a runtime may post its init error and exit).
        """
        deadline = time.perf_counter() + seconds
        polls = 0
        while not condition():
            interval = min(_POLL_S * (1 + polls // 10), _MAX_POLL_S, max(deadline - time.perf_counter(), 0.001))
            if done is not None:
                done.wait(interval)
            else:
                time.sleep(interval / 4)
            if condition():
                return
            polls += 1
            returncode = self._process.poll()
            if returncode is not None:
                if exit_answers():
                    return
                raise Ended("Runtime.ExitError", exit_words(returncode))
            # The whole process tree counts, as in Lambda's cgroup; scanning for children is dearer,
            # so the main process is checked every poll and its descendants every tenth.
            used = memory.tree_rss_bytes(self._ps) if polls % 10 == 0 else memory.rss_bytes(self._ps)
            self._peak_seen = max(self._peak_seen, used)
            if used > self._limit:
                self._kill()
                raise Ended("Runtime.OutOfMemory", exit_words(-signal.SIGKILL))
            if time.perf_counter() > deadline:
                raise Ended(TIMED_OUT, "", status="timeout")
            self._between_polls()

    def peak_mb(self, *, alive: bool) -> int:
        """The high-water mark so far, in MB; only a live process is asked again."""
        if alive:
            self._peak_seen = max(self._peak_seen, self._peak_reader.peak_bytes())
        return math.ceil(self._peak_seen / memory.MIB)

    def close(self) -> None:
        self._peak_reader.close()
