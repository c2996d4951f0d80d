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

#: Linux's NAME_MAX and a PATH_MAX-like bound on a whole relative path: beyond them the name is refused.
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1024


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
    #: Why each refused path was refused, in the same order (one short sentence each).
    reasons: tuple[str, ...] = ()


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
    """Every ``%%writefile`` cell of ``notebook``, in order.

    A hand-edited notebook may hold anything where nbformat expects a cell; whatever is not a code cell
    with text for a source is simply not an answer.
    """
    cells = []
    raw_cells = notebook.get("cells") if isinstance(notebook, dict) else None
    for index, cell in enumerate(raw_cells if isinstance(raw_cells, list) else []):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
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
    return replay(notebook, into)


def replay(notebook: nbformat.NotebookNode, into: Path) -> Extraction:
    """Replay ``notebook``'s ``%%writefile`` cells under ``into``; a cell that cannot be written is refused.

    Refusing is per cell: a name the file system rejects (too long, a NUL), a file where a folder should
    be or the other way round (``%%writefile lab01/ex1`` then ``lab01/ex1/app.py``) costs that cell only,
    never the submission and never the batch.
    """
    written: dict[str, None] = {}
    refused: list[str] = []
    reasons: list[str] = []
    root = into.resolve()
    for cell in writefile_cells(notebook):
        reason = _unsafe_reason(cell.path)
        target = None if reason else (root / PurePosixPath(cell.path.replace("\\", "/"))).resolve()
        if target is not None and (not target.is_relative_to(root) or target == root):
            reason = "it points outside the answer folder"
        if reason is None:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("a" if cell.append else "w", encoding="utf-8", errors="replace") as handle:
                    handle.write(cell.content)
            except OSError as exc:
                reason = f"it cannot be written ({_os_reason(exc)})"
            else:
                written[target.relative_to(root).as_posix()] = None
        if reason is not None:
            refused.append(display_path(cell.path))
            reasons.append(f"cell {cell.cell_index + 1}: {display_path(cell.path)}: {reason}")
    return Extraction(tuple(written), tuple(refused), tuple(reasons))


def display_path(name: str, limit: int = 80) -> str:
    """A path as a report can show it: control characters escaped, long names cut (saying so)."""
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in name)
    return shown if len(shown) <= limit else f"{shown[:limit]}… ({len(shown)} characters)"


def _unsafe_reason(name: str) -> str | None:
    if "\x00" in name or any(not ch.isprintable() for ch in name):
        return "the name holds a NUL or control character"
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or name.startswith("~") or ":" in name or ".." in posix.parts:
        return "it points outside the answer folder"
    if len(name.encode("utf-8", errors="replace")) > MAX_PATH_BYTES or any(
        len(part.encode("utf-8", errors="replace")) > MAX_NAME_BYTES for part in posix.parts
    ):
        return f"the name is too long (at most {MAX_NAME_BYTES} bytes a part, {MAX_PATH_BYTES} in all)"
    return None


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, IsADirectoryError):
        return "a folder of that name already exists"
    if isinstance(exc, NotADirectoryError | FileExistsError):
        return "a file stands where a folder should be"
    return exc.strerror or type(exc).__name__


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def _source(cell: nbformat.NotebookNode) -> str:
    """A cell's text; a source that is neither a string nor a list of strings is no answer at all."""
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return source if isinstance(source, str) else ""
