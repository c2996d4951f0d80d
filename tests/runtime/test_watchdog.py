"""In-flight invokes are supervised by one watchdog, woken by events: an answer or an exit wakes the waiting
caller at once, and only memory is sampled (for every environment, from one thread)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from lambdalab.runtime import watchdog
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
