"""Every section of lessons 00-05 runs after a kernel restart from its first cell, or says what to run first.

A section is the run of cells from one ``## `` heading to the next; the cells before the first heading (the
imports and the sandbox) are the notebook's setup, which every section may rely on. The names a section's
code reads without defining them itself are looked up in the earlier sections' code; when one comes from an
earlier section, the section's own markdown must say so, in the course's words (*Runs after sections 1 and
2 (...)*), naming every section it needs, directly or through the ones it needs.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

LESSONS = sorted((Path(__file__).parents[1] / "notebooks").glob("0[0-5]*.ipynb"))
_HEADING = re.compile(r"(?m)^## (?P<title>.*)$")
_NUMBER = re.compile(r"^(?P<number>\d+)\s*[.·]")
_NOTE = re.compile(r"\*(Runs after|Reads)[^*]*\*")


@dataclass
class Section:
    """One ``## `` section: its number (or title), its markdown, and the names its code defines and reads."""

    label: str
    markdown: str = ""
    defines: set[str] = field(default_factory=set)
    reads_from_outside: set[str] = field(default_factory=set)


def _code(source: str) -> ast.Module | None:
    """The cell's Python, without IPython's ``!`` and ``%`` lines (``x = !cmd`` becomes ``x = None``)."""
    lines = []
    for line in source.splitlines():
        if re.match(r"^\s*\w+ = !", line):
            line = re.sub(r"= !.*$", "= None", line)
        elif line.lstrip().startswith(("!", "%")):
            continue
        lines.append(line)
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _names(tree: ast.Module) -> tuple[set[str], list[str]]:
    defined: set[str] = set()
    read: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read.append if isinstance(node.ctx, ast.Load) else defined.add)(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
    return defined, read


def sections(path: Path) -> tuple[set[str], list[Section]]:
    """The names the setup cells define, and the notebook's sections in order."""
    setup = Section("setup")
    found: list[Section] = []
    current = setup
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            heading = _HEADING.search(cell.source)
            if heading:
                number = _NUMBER.match(heading["title"])
                current = Section(number["number"] if number else heading["title"])
                found.append(current)
            current.markdown += cell.source + "\n"
            continue
        tree = _code(cell.source)
        if tree is None:
            continue
        defined, read = _names(tree)
        current.reads_from_outside.update(name for name in read if not hasattr(builtins, name))
        current.defines.update(defined)
    for section in [setup, *found]:  # a name the section defines anywhere is its own (a function may read a
        section.reads_from_outside -= section.defines  # global a later cell of the section sets)
    return setup.defines, found


def needs(path: Path) -> dict[str, tuple[set[str], set[str]]]:
    """For each section that needs earlier ones: (the labels of every section it needs, the names it reads)."""
    setup, found = sections(path)
    direct: dict[str, tuple[set[str], set[str]]] = {}
    for k, section in enumerate(found):
        labels, names = set(), set()
        for name in section.reads_from_outside - setup:
            earlier = [s for s in found[:k] if name in s.defines]
            if earlier:
                labels.add(earlier[-1].label)
                names.add(name)
        if labels:
            direct[section.label] = (labels, names)
    closed: dict[str, tuple[set[str], set[str]]] = {}
    for label, (labels, names) in direct.items():
        todo, seen = list(labels), set()
        while todo:
            other = todo.pop()
            if other not in seen:
                seen.add(other)
                todo.extend(direct.get(other, (set(), set()))[0])
        closed[label] = (seen, names)
    return closed


def _mentioned(note: str) -> set[str]:
    numbers: set[str] = set()
    for low, high in re.findall(r"(\d+)\s*[–-]\s*(\d+)", note):
        numbers.update(str(n) for n in range(int(low), int(high) + 1))
    numbers.update(re.findall(r"\d+", note))
    return numbers


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_a_section_that_needs_earlier_ones_says_which_to_run_first(path: Path) -> None:
    _, found = sections(path)
    by_label = {s.label: s for s in found}
    missing = []
    for label, (labels, names) in needs(path).items():
        note = _NOTE.search(by_label[label].markdown)
        if note is None or not labels <= _mentioned(note.group(0)):
            missing.append(f"section {label} uses {sorted(names)} from sections {sorted(labels)}")
    assert not missing, f"{path.name}: " + "; ".join(missing)
