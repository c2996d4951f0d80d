"""The repository stands alone: nothing in it points a reader at a file they cannot open.

Lessons, labs, solutions, the package, its tests and its docs once cited documents that lived beside the
repository while it was written (a facts sheet, a validation table, a syllabus). A learner who clones the
course cannot open those. What they need is in ``docs/`` (facts with sources and dates, the simulator's
validation cases), and everything else cites a public page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("lambdalab", "tests", "notebooks", "labs", "solutions", "docs", "benchmarks", "binder", "examples")
TOP_LEVEL = ("README.md", "course.py", "pyproject.toml")
SUFFIXES = {".py", ".ipynb", ".md", ".cfg", ".toml", ".txt", ".yaml", ".yml", ".sh", ""}

#: Names of documents outside the repository, and paths that lead out of it.
OUTSIDE = re.compile(
    r"\bFACTS\.md\b|\bVALIDATION\.md\b|\bVALIDATION case|\bCOURSE\.md\b|\bDESIGN\.md\b"
    r"|\.\./shared\b|/work/|\bshared/seed\b|(?i:\bsyllab(us|i)\b)|\bthe seed's\b"
)
THIS_FILE = Path(__file__).resolve()


def repository_files() -> list[Path]:
    files = [ROOT / name for name in TOP_LEVEL if (ROOT / name).exists()]
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
                files.append(path)
    return [path for path in files if path.resolve() != THIS_FILE]


def test_no_file_points_outside_the_repository():
    offending = []
    for path in repository_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if match := OUTSIDE.search(line):
                offending.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)!r}")

    assert not offending, "files point at documents outside the repository:\n" + "\n".join(offending)


@pytest.mark.parametrize(
    "line",
    [
        # Written in parts, so this file does not itself name what learners cannot open.
        "Two traps (" + "FACTS" + ".md): awslambdaric hangs",
        "That is VALIDATION case 6, held as a test.",
        "see ../" + "shared/" + "DESIGN" + ".md",
        "the handler the syllabus recommends",
        "show why the seed's Python streaming example does not stream",
    ],
)
def test_the_scan_recognises_a_reference_outside(line: str):
    assert OUTSIDE.search(line)


def test_the_course_s_own_reference_pages_exist():
    assert (ROOT / "docs" / "facts.md").is_file()
    assert (ROOT / "docs" / "validation.md").is_file()
