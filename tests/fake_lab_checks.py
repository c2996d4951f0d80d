"""Lab 98, a fake lab with plain-Python checks, registered on import.

The grading tests load it in-process (the ``fake_lab`` fixture) and ``lambdalab grade --checks`` loads it
in each grading worker, the way an instructor adds their own labs. Its checks run the answer file
in-process, which real checks never do (they use execution environments); that keeps those tests about
the grading machinery.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from lambdalab.grading import CheckResult, exercise, failed, passed

FAKE_LAB = "98"


@exercise(lab=FAKE_LAB, number=1, title="Say hello", files=["lab98/ex1/app.py"], points=2)
def says_hello(answer: Path) -> CheckResult:
    got = runpy.run_path(str(answer / "lab98/ex1/app.py"))["handler"]({}, None)
    if got == "hello":
        return passed()
    return failed(expected="'hello'", got=repr(got), hint="return a string")


@exercise(lab=FAKE_LAB, number=2, title="Square it", files=["lab98/ex2/app.py"])
def squares(answer: Path) -> CheckResult:
    got = runpy.run_path(str(answer / "lab98/ex2/app.py"))["handler"]({"n": 7}, None)
    if got == 49:
        return passed()
    return failed(expected="the square of event['n']", got=f"{got!r} for n = 7", hint="n * n")
