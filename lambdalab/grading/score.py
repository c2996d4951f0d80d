"""Scoring lab notebooks for an instructor: every exercise of every submission, as a table and as JSON.

Each notebook is graded in a fresh temporary directory holding only the files its ``%%writefile`` cells
write (see :mod:`lambdalab.grading.extract`); no cell of the submission is executed and no stored output
is believed. The checks are the same ones a learner runs with ``check(n)``, so a learner and their
instructor always see the same verdict.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from lambdalab.grading.assign import METADATA_KEY, NOTEBOOK_NAME_RE
from lambdalab.grading.extract import replay
from lambdalab.grading.harness import run_exercise
from lambdalab.grading.registry import LAB_ID_RE, REGISTRY, Registry, UnknownLab
from lambdalab.grading.results import CheckResult, Status

SHORT_STATUS: dict[Status, str] = {
    Status.PASSED: "passed",
    Status.FAILED: "failed",
    Status.NOT_YET_SOLVED: "unsolved",
    Status.ERROR: "error",
}


@dataclass(frozen=True)
class NotebookScore:
    """One submission's verdicts; ``problem`` says why it could not be graded at all."""

    notebook: str
    lab: str | None
    results: tuple[CheckResult, ...] = ()
    max_points: float = 0.0
    problem: str | None = None
    refused_paths: tuple[str, ...] = field(default=())
    #: Why each ``%%writefile`` cell in ``refused_paths`` was not written.
    refused_reasons: tuple[str, ...] = field(default=())

    @property
    def points(self) -> float:
        return sum(r.points or 0.0 for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "lab": self.lab,
            "points": self.points,
            "max_points": self.max_points,
            "problem": self.problem,
            "refused_paths": list(self.refused_paths),
            "refused_reasons": list(self.refused_reasons),
            "exercises": [r.to_json() for r in self.results],
        }


def find_notebooks(paths: Iterable[Path]) -> list[Path]:
    """The notebooks named, and those under the folders named (recursively, checkpoints skipped)."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for nb in sorted(path.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in nb.parts:
                    found[nb] = None
        else:
            found[path] = None
    return list(found)


def lab_of(notebook_path: Path, notebook: nbformat.NotebookNode | None = None) -> str | None:
    """The lab id of a notebook: its ``lambdalab.lab`` metadata, else the ``NN-`` of its file name.

    Metadata first, because learners rename files (``01-cold-start (1).ipynb``, ``alice-01.ipynb``)
    far more often than they edit metadata.
    """
    if notebook is not None:
        metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
        ours = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
        lab = ours.get("lab") if isinstance(ours, dict) else None
        if isinstance(lab, str) and LAB_ID_RE.match(lab):
            return lab
    match = NOTEBOOK_NAME_RE.match(notebook_path.name)
    return match["lab"] if match else None


def grade_notebook(path: Path, lab: str | None = None, registry: Registry = REGISTRY) -> NotebookScore:
    """Run every check of the notebook's lab against the answers its ``%%writefile`` cells hold.

    Never raises for anything a submission holds: whatever goes wrong becomes this notebook's row, so
    one malformed submission cannot cost the rest of the batch their scores.
    """
    try:
        return _grade_notebook(path, lab, registry)
    except Exception as exc:  # noqa: BLE001 - a last resort: the batch goes on, this row says why
        return NotebookScore(str(path), lab, problem=f"could not be graded ({_describe(exc)})")


def _describe(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _read(path: Path) -> nbformat.NotebookNode:
    """The notebook as nbformat reads it or, when nbformat chokes on a hand-edited cell (a source that
    is a number), as the JSON document it is: the grader only needs cells and metadata."""
    try:
        return nbformat.read(path, as_version=4)
    except (nbformat.reader.NotJSONError, UnicodeDecodeError, OSError):
        raise
    except Exception:  # noqa: BLE001 - nbformat's conversions raise anything on malformed cells
        return nbformat.from_dict(json.loads(path.read_text(encoding="utf-8")))


def _grade_notebook(path: Path, lab: str | None, registry: Registry) -> NotebookScore:
    name = str(path)
    try:
        notebook = _read(path)
    except Exception as exc:  # noqa: BLE001 - an unreadable submission is a row in the table, not a crash
        return NotebookScore(name, lab, problem=f"cannot read the notebook ({type(exc).__name__})")
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return NotebookScore(name, lab, problem="cannot read the notebook (it has no list of cells)")
    lab = lab or lab_of(path, notebook)
    if lab is None:
        return NotebookScore(name, None, problem="cannot tell which lab this is (name it NN-….ipynb or pass --lab)")
    try:
        exercises = registry.exercises(lab)
    except UnknownLab as exc:
        return NotebookScore(name, lab, problem=str(exc))
    with tempfile.TemporaryDirectory(prefix="lambdalab-grade-", ignore_cleanup_errors=True) as tmp:
        extraction = replay(notebook, Path(tmp))
        results = tuple(run_exercise(exercise, Path(tmp)) for exercise in exercises)
    return NotebookScore(
        name,
        lab,
        results,
        max_points=sum(e.points for e in exercises),
        refused_paths=extraction.refused,
        refused_reasons=extraction.reasons,
    )


def grade_paths(paths: Sequence[Path], lab: str | None = None, registry: Registry = REGISTRY) -> list[NotebookScore]:
    return [grade_notebook(nb, lab, registry) for nb in find_notebooks(paths)]


def to_json(scores: Sequence[NotebookScore]) -> str:
    """The JSON report: stable key order, so two gradings of the same files give the same bytes."""
    return json.dumps({"notebooks": [s.to_json() for s in scores]}, indent=2, ensure_ascii=False) + "\n"


def format_table(scores: Sequence[NotebookScore]) -> str:
    """A plain-text table: one row per notebook, one column per exercise, then the points."""
    numbers = sorted({r.exercise for s in scores for r in s.results})
    header = ["notebook", "lab", *[f"ex{n}" for n in numbers], "points"]
    rows = [header]
    for score in scores:
        by_number = {r.exercise: SHORT_STATUS[r.status] for r in score.results}
        if score.problem:
            cells = ["—"] * len(numbers)
            points = score.problem
        else:
            cells = [by_number.get(n, "") for n in numbers]
            points = f"{_num(score.points)}/{_num(score.max_points)}"
        rows.append([score.notebook, score.lab or "?", *cells, points])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1] for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def _num(value: float) -> str:
    return f"{value:g}"
