"""One package, one folder: however many requests unpack it at once, they all get the same path.

A burst's first invokes all unpack the function's code and layers at the same moment. The folder a package
lands in is part of the configuration the service compares to decide whether environments are still
current; had two threads made two cache folders, the burst would see two configurations and retire the
environments it had just started (their database connections closing mid-lesson).
"""

from __future__ import annotations

import io
import shutil
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from lambdalab.service import packages

THREADS = 16


def a_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 'ok'\n")
    return buffer.getvalue()


def test_when_sixteen_threads_unpack_the_first_package_at_once_they_share_one_folder(monkeypatch):
    monkeypatch.setattr(packages, "_root", None)  # as in a kernel that has unpacked nothing yet
    real_mkdtemp = tempfile.mkdtemp
    made: list[str] = []

    def slow_mkdtemp(*args, **kwargs):  # a busy machine: the window between "no folder" and "folder" widens
        time.sleep(0.05)
        path = real_mkdtemp(*args, **kwargs)
        made.append(path)
        return path

    monkeypatch.setattr(packages.tempfile, "mkdtemp", slow_mkdtemp)
    start = threading.Barrier(THREADS)
    folders: list[Path] = []
    # One package's bytes: zips built by each thread would carry the clock's time, and sixteen threads that
    # straddle a two-second step of the zip clock would hold two different packages.
    package = a_zip()

    def unpack() -> None:
        start.wait()
        folders.append(packages.unpack(package))

    threads = [threading.Thread(target=unpack) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(folders) == THREADS
        assert len(set(folders)) == 1, f"one package unpacked into {len(set(folders))} folders"
        assert (folders[0] / "app.py").is_file()
    finally:
        for path in made:
            shutil.rmtree(path, ignore_errors=True)
