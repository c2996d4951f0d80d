"""One thread watches every execution environment with an init or an invocation in flight.

A caller waiting for an answer only waits on an event: the Runtime API sets it when the runtime answers, and
the watchdog sets it when the environment ends under the call (its process exits, or outgrows its memory and
is killed). The timeout needs no watching at all: the caller's wait simply runs out. So forty handlers
sleeping in parallel cost one thread, not forty threads waking to poll.

What the watchdog still samples is what the kernel will not announce without cgroups: memory. Each watched
environment's process is checked 10 ms after its call starts and then less and less often, up to every
100 ms, as before; whether its process tree (children a handler started) grew is checked once a second for
all environments together, from one read of every process's parent (see :func:`_descendants`). A process
exit wakes the watchdog at once where Linux offers ``pidfd_open``; elsewhere the next sample sees it.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psutil

FIRST_CHECK_S = 0.01
MAX_CHECK_S = 0.1
TREE_CHECK_S = 1.0

#: ``check(descendants)`` looks at one environment (``descendants``: the pids below its process, or None
#: when not scanned this time) and returns why it ended, or None while it is fine.
Check = Callable[[list[int] | None], BaseException | None]


@dataclass(eq=False)
class Watch:
    """One environment being watched while a caller waits on ``wake``."""

    pid: int
    check: Check
    wake: threading.Event
    ended: BaseException | None = None
    checks: int = 0
    _done: bool = field(default=False, repr=False)


class Watchdog:
    """The process's one watchdog thread, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._due: list[tuple[float, int, Watch]] = []  # (when, tie-breaker, watch)
        self._order = itertools.count()
        self._watches: set[Watch] = set()
        self._selector = selectors.DefaultSelector()
        self._pidfds: dict[Watch, int] = {}
        # A socket pair, not a pipe: Windows' select() only takes sockets.
        self._waker_r, self._waker_w = socket.socketpair()
        self._waker_r.setblocking(False)
        self._waker_w.setblocking(False)
        self._selector.register(self._waker_r, selectors.EVENT_READ, None)
        self._thread: threading.Thread | None = None
        self._next_tree_scan = 0.0

    @contextlib.contextmanager
    def watching(self, pid: int, check: Check, wake: threading.Event) -> Iterator[Watch]:
        """Watch the environment whose process is ``pid`` while the block runs; ``wake`` is set if it ends."""
        watch = Watch(pid, check, wake)
        with self._lock:
            self._watches.add(watch)
            heapq.heappush(self._due, (time.monotonic() + FIRST_CHECK_S, next(self._order), watch))
            self._watch_exit(watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lambdalab-watchdog", daemon=True)
                self._thread.start()
        self._poke()
        try:
            yield watch
        finally:
            with self._lock:
                watch._done = True
                self._watches.discard(watch)
                fd = self._pidfds.pop(watch, None)
                if fd is not None:
                    self._selector.unregister(fd)
                    os.close(fd)

    def _watch_exit(self, watch: Watch) -> None:
        if not hasattr(os, "pidfd_open"):
            return
        try:
            fd = os.pidfd_open(watch.pid)
        except OSError:  # already gone, or not allowed: the first sample sees the exit
            return
        self._pidfds[watch] = fd
        self._selector.register(fd, selectors.EVENT_READ, watch)

    def _poke(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self._waker_w.send(b"x")

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._due and self._due[0][2]._done:
                    heapq.heappop(self._due)
                timeout = max(0.0, self._due[0][0] - time.monotonic()) if self._due else None
            for key, _ in self._selector.select(timeout):
                if key.data is None:
                    with contextlib.suppress(BlockingIOError):
                        self._waker_r.recv(4096)
                else:
                    self._check(key.data, None)  # its process exited
            self._check_due()

    def _check_due(self) -> None:
        now = time.monotonic()
        due: list[Watch] = []
        with self._lock:
            while self._due and self._due[0][0] <= now:
                _, _, watch = heapq.heappop(self._due)
                if not watch._done:
                    due.append(watch)
            scan_trees = bool(due) and now >= self._next_tree_scan
            if scan_trees:
                self._next_tree_scan = now + TREE_CHECK_S
                watched = list(self._watches)
        descendants = _descendants({w.pid for w in watched}) if scan_trees else {}
        for watch in due:
            watch.checks += 1
            self._check(watch, descendants.get(watch.pid, []) if scan_trees else None)
            with self._lock:
                if not watch._done and watch.ended is None:
                    interval = min(FIRST_CHECK_S * (1 + watch.checks // 10), MAX_CHECK_S)
                    heapq.heappush(self._due, (time.monotonic() + interval, next(self._order), watch))
        if scan_trees:  # every watched tree with children counts now, not only the trees due for a sample
            for watch in watched:
                if watch not in due and descendants.get(watch.pid):
                    self._check(watch, descendants[watch.pid])

    def _check(self, watch: Watch, descendants: list[int] | None) -> None:
        if watch._done or watch.ended is not None:
            return
        try:
            ended = watch.check(descendants)
        except Exception as exc:  # noqa: BLE001 - a check that fails must not stop every other watch
            ended = exc
        if ended is not None:
            watch.ended = ended
            watch.wake.set()
            with self._lock:
                fd = self._pidfds.pop(watch, None)
                if fd is not None:
                    self._selector.unregister(fd)
                    os.close(fd)


def _descendants(roots: set[int]) -> dict[int, list[int]]:
    """The pids below each of ``roots``.

    The environments are this process's children, so the walk starts here: psutil finds this process's
    descendants from one read of each process's parent, and only those few are asked for their own parent.
    Building a ``psutil.Process`` for every process on the machine instead (``process_iter``) cost 2.8 times
    as much with 1,100 processes on the machine (``benchmarks/bench_supervision.py --other-processes 1000``),
    once a second while anything is in flight; on a JupyterHub node, where the table holds every learner's
    processes, that grows with the whole workshop. A root that is not below this process (none the sandbox
    starts) is walked on its own.
    """
    try:
        below_here = psutil.Process().children(recursive=True)
    except psutil.Error:
        below_here = []
    children: dict[int, list[int]] = {}
    for process in below_here:
        with contextlib.suppress(psutil.Error):
            children.setdefault(process.ppid(), []).append(process.pid)
    known = {process.pid for process in below_here}
    found: dict[int, list[int]] = {}
    for root in roots:
        if root not in known:
            try:
                found[root] = [p.pid for p in psutil.Process(root).children(recursive=True)]
            except psutil.Error:
                found[root] = []
            continue
        below, stack = [], list(children.get(root, []))
        while stack:
            pid = stack.pop()
            below.append(pid)
            stack.extend(children.get(pid, []))
        found[root] = below
    return found


#: The watchdog every environment of this process shares.
WATCHDOG = Watchdog()
