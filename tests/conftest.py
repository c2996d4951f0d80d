"""Shared by the grading and CLI tests: a fake lab with plain-Python checks, and notebooks built in code.

The fake lab (``fake_lab_checks.py``) runs the answer file in-process, which real checks never do (they use
execution environments); that keeps these tests about the grading machinery, with no runtime or sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from lambdalab.grading import REGISTRY
from lambdalab.grading.worker import load_checks

FAKE_LAB = "98"


#: The fake lab's checks as a file, for ``lambdalab grade --checks`` (its workers load it themselves).
FAKE_CHECKS = Path(__file__).with_name("fake_lab_checks.py")


@pytest.fixture
def fake_lab() -> Iterator[str]:
    """Lab 98: exercise 1 (2 points) wants ``handler`` to return "hello"; exercise 2 wants n squared."""
    load_checks(str(FAKE_CHECKS))
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Test files marked ``runs_long`` first, each kept whole and in order; everything else as collected.

    ``course.py test`` hands whole files to its workers in collection order, so the order is the schedule:
    a long file collected last starts last, and the run waits for it alone.
    """
    items.sort(key=lambda item: item.get_closest_marker("runs_long") is None)
