"""In-flight invokes are supervised by one watchdog, woken by events: an answer or an exit wakes the waiting
caller at once, and only memory is sampled (for every environment, from one thread)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from lambdalab.runtime import watchdog
from lambdalab.runtime.environment import ExecutionEnvironment
from lambdalab.runtime.watchdog import Watchdog


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="exits are announced by pidfd_open (Linux)")
def test_when_a_watched_process_exits_then_the_waiter_wakes_without_waiting_for_a_sample(monkeypatch):
    monkeypatch.setattr(watchdog, "FIRST_CHECK_S", 3600.0)  # no sample comes during the test
    monkeypatch.setattr(watchdog, "MAX_CHECK_S", 3600.0)
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    wake = threading.Event()

    def exited(descendants: list[int] | None) -> BaseException | None:
        code = process.poll()
        return None if code is None else ChildProcessError(f"exited with {code}")

    with Watchdog().watching(process.pid, exited, wake) as watch:
        assert not wake.wait(0.3)  # running: nothing to report
        process.stdin.close()  # the process ends
        assert wake.wait(60), "the exit did not wake the waiter"
        assert str(watch.ended) == "exited with 0"


def test_when_a_handler_starts_a_child_that_outgrows_the_memory_then_the_environment_ends_out_of_memory(
    make_environment, assert_gone
):
    env = make_environment(
        """
        import subprocess, sys

        def handler(event, context):
            # the child holds 300 MB until it is killed; the handler itself stays small
            subprocess.run([sys.executable, "-c", "import time; hog = b'x' * (300 * 2**20); time.sleep(60)"])
        """,
        memory_size=128,
        timeout=60,
    )
    result = env.invoke({})
    assert result.error["errorType"] == "Runtime.OutOfMemory"
    assert_gone(env.pid)


def test_while_handlers_sleep_in_parallel_only_the_one_watchdog_thread_looks_at_their_processes(
    make_environment, monkeypatch
):
    # Supervision must not grow with the invokes in flight: a waiting caller waits on its event and never
    # looks at the process itself. Were per-invoke polling back, each caller's thread would show up here.
    looked_from: list[int] = []
    look = ExecutionEnvironment._check

    def recorded(self: ExecutionEnvironment, descendants: list[int] | None) -> BaseException | None:
        looked_from.append(threading.get_ident())
        return look(self, descendants)

    monkeypatch.setattr(ExecutionEnvironment, "_check", recorded)
    sleeper = """
        import time

        def handler(event, context):
            time.sleep(1.0)
            return "rested"
        """
    environments = [make_environment(sleeper, timeout=60) for _ in range(6)]
    for environment in environments:
        environment.start()  # the init phase is watched too; only the invokes are counted below
    looked_from.clear()
    callers: set[int] = set()

    def invoke(environment: ExecutionEnvironment) -> object:
        callers.add(threading.get_ident())
        return environment.invoke({}).payload

    with ThreadPoolExecutor(len(environments)) as pool:
        assert list(pool.map(invoke, environments)) == ["rested"] * len(environments)
    assert looked_from, "nothing sampled the sleeping handlers' memory"
    assert not callers & set(looked_from), "a waiting caller looked at its process itself"
    assert len(set(looked_from)) == 1, "more than one thread supervised the invokes in flight"


def _starting(code: str, then: str = "import time; time.sleep(60)") -> str:
    """Python source that starts another Python running ``code``, then runs ``then``."""
    return f"import subprocess, sys; child = subprocess.Popen([sys.executable, '-c', {code!r}]); {then}"


def _kill_tree(pid: int) -> None:
    with contextlib.suppress(psutil.Error):
        for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                process.kill()


def test_the_tree_scan_finds_every_process_below_each_root_ours_or_not(tmp_path):
    # Two roots: a child of this process with a child and a grandchild of its own, and a process that is not
    # below this process (its parent exited, so it was re-parented) with one child.
    hold = "import time; time.sleep(60)"
    ours = subprocess.Popen([sys.executable, "-c", _starting(_starting(hold))])
    pids = tmp_path / "orphan.pid"
    write_pids = f"import os, time; open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}'); time.sleep(60)"
    subprocess.run([sys.executable, "-c", _starting(_starting(hold, then=write_pids), then="")], check=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            pids.exists() and pids.read_text() and len(psutil.Process(ours.pid).children(recursive=True)) == 2
        ):
            time.sleep(0.05)
        orphan, orphans_child = (int(pid) for pid in pids.read_text().split())

        found = watchdog._descendants({ours.pid, orphan})

        assert sorted(found[ours.pid]) == sorted(p.pid for p in psutil.Process(ours.pid).children(recursive=True))
        assert len(found[ours.pid]) == 2
        assert orphan not in {p.pid for p in psutil.Process().children(recursive=True)}
        assert found[orphan] == [orphans_child]
    finally:
        _kill_tree(ours.pid)
        if pids.exists() and pids.read_text():
            _kill_tree(int(pids.read_text().split()[0]))
        ours.wait()
