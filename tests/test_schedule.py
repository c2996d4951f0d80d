"""The suite's schedule: test files marked ``runs_long`` are collected first, each whole and in its order.

``course.py test`` hands whole files to its workers in collection order (``--dist loadfile
--no-loadscope-reorder``), so this order is the schedule that keeps a long file from starting last.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_file_marked_runs_long_is_collected_before_the_files_named_before_it():
    named = ["tests/test_predict.py", "tests/sim/test_sim_vs_sandbox.py"]  # the second is marked runs_long
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist",
         "-p", "lambdalab.deferred_imports", *named],  # as course.py runs pytest (nbval imports jsonschema)
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    files = [line.split("::")[0] for line in listed.splitlines() if "::" in line]

    order = list(dict.fromkeys(files))
    assert order == [named[1], named[0]]
    assert files == sorted(files, key=order.index), "each file's tests stay together"
