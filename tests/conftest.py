"""Shared by the grading and CLI tests: a fake lab with plain-Python checks, and notebooks built in code.

The fake lab's checks run the answer file in-process, which real checks never do (they use execution
environments); that keeps these tests about the grading machinery, with no runtime or sandbox needed.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from lambdalab.grading import REGISTRY, CheckResult, exercise, failed, passed

FAKE_LAB = "98"


@pytest.fixture
def fake_lab() -> Iterator[str]:
    """Lab 98: exercise 1 (2 points) wants ``handler`` to return "hello"; exercise 2 wants n squared."""

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

    yield FAKE_LAB
    REGISTRY.remove_lab(FAKE_LAB)


@pytest.fixture
def write_notebook(tmp_path: Path) -> Callable[..., Path]:
    """Write a notebook made of ``cells`` to ``tmp_path/name`` and return its path."""

    def write(name: str, cells: list[nbformat.NotebookNode], metadata: dict | None = None) -> Path:
        notebook = v4.new_notebook(cells=cells, metadata=metadata or {})
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)
        return path

    return write
