"""The answer files a notebook's ``%%writefile`` cells would write, recovered without running anything.

An instructor grades what the learner *wrote*, not what the notebook claims happened: stored outputs
can be edited, and running a submission's other cells would run arbitrary code on the instructor's
machine. So the grader reads the ``%%writefile`` cells' text, replays them in notebook order (a later
cell overwrites an earlier one, ``-a`` appends) into a fresh directory, and ignores everything else.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat

from lambdalab.grading.markers import WRITEFILE_MAGICS


@dataclass(frozen=True)
class WriteFile:
    """One ``%%writefile [-a] PATH`` cell: where it writes, whether it appends, and what."""

    path: str
    append: bool
    content: str
    cell_index: int


@dataclass(frozen=True)
class Extraction:
    """What replaying a notebook's ``%%writefile`` cells produced."""

    written: tuple[str, ...]
    refused: tuple[str, ...]


def parse_writefile(source: str, cell_index: int = 0) -> WriteFile | None:
    """The ``%%writefile`` cell in ``source``, or ``None`` if the cell is something else.

    Mirrors IPython: the body is everything after the magic line, with a final newline added; the
    path may be quoted; ``-a``/``--append`` appends.
    """
    first, _, body = source.lstrip("\n").partition("\n")
    words = _split(first)
    if not words or words[0] not in WRITEFILE_MAGICS:
        return None
    args = words[1:]
    append = any(a in ("-a", "--append") for a in args)
    paths = [a for a in args if not a.startswith("-")]
    if len(paths) != 1:
        return None
    if body and not body.endswith("\n"):
        body += "\n"
    return WriteFile(paths[0], append, body, cell_index)


def writefile_cells(notebook: nbformat.NotebookNode) -> list[WriteFile]:
    """Every ``%%writefile`` cell of ``notebook``, in order."""
    cells = []
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") == "code":
            parsed = parse_writefile(_source(cell), index)
            if parsed is not None:
                cells.append(parsed)
    return cells


def extract_answers(notebook_path: Path, into: Path) -> Extraction:
    """Write the files of ``notebook_path``'s ``%%writefile`` cells under ``into``.

    A path that is absolute or climbs out of ``into`` (``../``, ``~``) is refused, not written: a
    submission must not be able to touch the grader's machine.
    """
    notebook = nbformat.read(notebook_path, as_version=4)
    written: dict[str, None] = {}
    refused: list[str] = []
    root = into.resolve()
    for cell in writefile_cells(notebook):
        target = _safe_target(root, cell.path)
        if target is None:
            refused.append(cell.path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a" if cell.append else "w", encoding="utf-8") as handle:
            handle.write(cell.content)
        written[target.relative_to(root).as_posix()] = None
    return Extraction(tuple(written), tuple(refused))


def _safe_target(root: Path, name: str) -> Path | None:
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or name.startswith("~") or ":" in name or ".." in posix.parts:
        return None
    target = (root / posix).resolve()
    return target if target.is_relative_to(root) and target != root else None


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def _source(cell: nbformat.NotebookNode) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source
