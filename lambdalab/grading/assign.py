"""Labs generated from solutions: the answers cut out, everything else kept.

``solutions/NN-name.ipynb`` is the only notebook an author edits; ``labs/NN-name.ipynb`` is derived from
it by :func:`make_lab` and never edited by hand, so a fix to a lesson's prose or a check cell lands in
both. The rules (marker spellings in :mod:`lambdalab.grading.markers`):

* In a code cell, the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` become ``# YOUR CODE HERE``
  at the marker's indentation. When the marker is indented (the answer is the body, or part of the body,
  of a function or another block), ``raise NotImplementedError("exercise N")`` follows it, so the code
  still compiles, fails loudly until written, and the grader can say "not yet solved". At module level
  only the comment is left, so the file still imports. ``N`` is taken from an ``exN`` folder in the
  cell's ``%%writefile`` path (``lab01/ex2/app.py`` → exercise 2); otherwise the message is
  ``"your code here"``. A cell magic on the first line (``%%writefile PATH``) is kept as is.
* A cell tagged ``solution`` is an answer as a whole: a code cell becomes its magic line (if any) plus
  ``# YOUR CODE HERE``; a markdown cell is dropped.
* In a markdown cell, the lines from ``<!-- BEGIN SOLUTION -->`` to ``<!-- END SOLUTION -->`` are removed.
* Every code cell's outputs and execution count are cleared, not only the answer cells': any output
  downstream of an answer can give it away, and a lab stored unexecuted is one nbval runs without
  comparing outputs (what ``--nbval-lax`` checks) and one that does not change when a solution is merely
  re-run. Notebook metadata is kept; the lab id (``NN``) is added to it as ``lambdalab.lab`` so a
  renamed submission can still be graded.

The output is deterministic (nbformat's own JSON layout), so "rebuilding labs changes nothing" is a test.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import nbformat

from lambdalab.grading.extract import parse_writefile
from lambdalab.grading.markers import (
    BEGIN_CODE,
    BEGIN_MARKDOWN,
    CODE_MARKER_LIKE_RE,
    END_CODE,
    END_MARKDOWN,
    EXERCISE_IN_PATH_RE,
    MARKDOWN_MARKER_LIKE_RE,
    PLACEHOLDER,
    SOLUTION_TAG,
    not_implemented_line,
)

#: A course notebook's file name: two digits, an optional letter, a dash (``01-…``, ``02a-…``).
NOTEBOOK_NAME_RE: Final = re.compile(r"^(?P<lab>\d{2}[a-z]?)-.+\.ipynb$")
METADATA_KEY: Final = "lambdalab"


class MarkerError(ValueError):
    """A solution's markers do not pair up; the message names the notebook, cell and line."""


@dataclass(frozen=True)
class LabStatus:
    """How one lab file compares with what its solution generates."""

    lab: Path
    state: Literal["up to date", "stale", "missing", "orphan"]

    @property
    def ok(self) -> bool:
        return self.state == "up to date"


def make_lab(solution: nbformat.NotebookNode, name: str = "<notebook>") -> nbformat.NotebookNode:
    """The lab derived from ``solution`` (left untouched); ``name`` is used in error messages."""
    lab = copy.deepcopy(solution)
    cells = []
    for index, cell in enumerate(lab.cells):
        where = f"{name}, cell {index}"
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type == "markdown":
            if SOLUTION_TAG in tags:
                continue
            cell.source = _strip_markdown(_source(cell), where)
        elif cell.cell_type == "code":
            if SOLUTION_TAG in tags:
                cell.source = _stub(_source(cell))
                cell.metadata["tags"] = [t for t in tags if t != SOLUTION_TAG]
                if not cell.metadata["tags"]:
                    del cell.metadata["tags"]
            else:
                cell.source = _replace_code(_source(cell), where)
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
        cells.append(cell)
    lab.cells = cells
    match = NOTEBOOK_NAME_RE.match(Path(name).name)
    if match:
        lab.metadata.setdefault(METADATA_KEY, {}).setdefault("lab", match["lab"])
    return lab


def render_lab(solution_path: Path) -> str:
    """The exact text of the lab generated from the notebook at ``solution_path``."""
    solution = nbformat.read(solution_path, as_version=4)
    text = nbformat.writes(make_lab(solution, name=str(solution_path)))
    return text if text.endswith("\n") else text + "\n"


def solution_notebooks(solutions_dir: Path) -> list[Path]:
    """The course's solution notebooks (``NN-name.ipynb``), sorted."""
    if not solutions_dir.is_dir():
        return []
    return sorted(p for p in solutions_dir.glob("*.ipynb") if NOTEBOOK_NAME_RE.match(p.name))


def lab_statuses(solutions_dir: Path, labs_dir: Path) -> list[LabStatus]:
    """Every lab compared with what its solution would generate, plus labs with no solution."""
    statuses = []
    expected = set()
    for solution in solution_notebooks(solutions_dir):
        lab = labs_dir / solution.name
        expected.add(lab.name)
        state: Literal["up to date", "stale", "missing"]
        if not lab.exists():
            state = "missing"
        elif lab.read_text(encoding="utf-8") != render_lab(solution):
            state = "stale"
        else:
            state = "up to date"
        statuses.append(LabStatus(lab, state))
    if labs_dir.is_dir():
        for lab in sorted(labs_dir.glob("*.ipynb")):
            if NOTEBOOK_NAME_RE.match(lab.name) and lab.name not in expected:
                statuses.append(LabStatus(lab, "orphan"))
    return statuses


def build_labs(solutions_dir: Path, labs_dir: Path) -> list[LabStatus]:
    """Write every lab from its solution, delete labs whose solution is gone; returns what changed."""
    changed = []
    for status in lab_statuses(solutions_dir, labs_dir):
        if status.state == "orphan":
            status.lab.unlink()
            changed.append(status)
        elif status.state != "up to date":
            labs_dir.mkdir(parents=True, exist_ok=True)
            text = render_lab(solutions_dir / status.lab.name)
            status.lab.write_text(text, encoding="utf-8", newline="\n")
            changed.append(status)
    return changed


def _replace_code(source: str, where: str) -> str:
    lines = source.split("\n")
    magic = parse_writefile(source)
    number = _exercise_number(magic.path) if magic else None
    out: list[str] = []
    begin: tuple[int, str] | None = None  # (line number, indentation) of the open marker
    for lineno, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped == BEGIN_CODE:
            if begin is not None:
                raise MarkerError(
                    f"{where}, line {lineno}: {BEGIN_CODE!r} inside the block opened on line {begin[0]}; "
                    f"close it with {END_CODE!r} first"
                )
            begin = (lineno, line[: len(line) - len(line.lstrip())])
        elif stripped == END_CODE:
            if begin is None:
                raise MarkerError(f"{where}, line {lineno}: {END_CODE!r} without a {BEGIN_CODE!r} before it")
            indent = begin[1]
            out.append(indent + PLACEHOLDER)
            if indent:
                out.append(indent + not_implemented_line(number))
            begin = None
        elif CODE_MARKER_LIKE_RE.match(line):
            raise MarkerError(
                f"{where}, line {lineno}: {stripped!r} looks like a marker "
                f"but is not {BEGIN_CODE!r} or {END_CODE!r}"
            )
        elif begin is None:
            out.append(line)
    if begin is not None:
        raise MarkerError(f"{where}, line {begin[0]}: {BEGIN_CODE!r} is never closed with {END_CODE!r}")
    return "\n".join(out)


def _strip_markdown(source: str, where: str) -> str:
    out: list[str] = []
    begin: int | None = None
    removed = False
    for lineno, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped == BEGIN_MARKDOWN:
            removed = True
            if begin is not None:
                raise MarkerError(
                    f"{where}, line {lineno}: {BEGIN_MARKDOWN!r} inside the block opened on line {begin}"
                )
            begin = lineno
        elif stripped == END_MARKDOWN:
            if begin is None:
                raise MarkerError(
                    f"{where}, line {lineno}: {END_MARKDOWN!r} without a {BEGIN_MARKDOWN!r} before it"
                )
            begin = None
        elif MARKDOWN_MARKER_LIKE_RE.search(line):
            raise MarkerError(
                f"{where}, line {lineno}: {stripped!r} looks like a marker but is not "
                f"{BEGIN_MARKDOWN!r} or {END_MARKDOWN!r}"
            )
        elif begin is None:
            out.append(line)
    if begin is not None:
        raise MarkerError(f"{where}, line {begin}: {BEGIN_MARKDOWN!r} is never closed with {END_MARKDOWN!r}")
    text = "\n".join(out)
    return text.strip("\n") if removed else text


def _stub(source: str) -> str:
    first = source.lstrip("\n").split("\n", 1)[0]
    return f"{first}\n{PLACEHOLDER}" if first.startswith("%%") else PLACEHOLDER


def _exercise_number(path: str) -> int | None:
    match = EXERCISE_IN_PATH_RE.search(path)
    return int(match.group(1)) if match else None


def _source(cell: nbformat.NotebookNode) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source
