"""Every solution notebook checks every exercise of its lab, and its stored output says the check passed.

nbval runs each solution notebook and compares what every cell prints with what is stored, so the two
together keep every reference solution passing: a solution that stopped passing would print ✘ where ✔ is
stored, and a notebook re-run and saved with a failing solution is caught here. (That is why the lab
tests grade wrong answers only, and do not grade the reference solutions a second time.)
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from lambdalab.grading import REGISTRY

SOLUTIONS = sorted((Path(__file__).parents[2] / "solutions").glob("*.ipynb"))
LAB_IMPORT = re.compile(r"from lambdalab\.grading\.lab(\w+) import check")


def stored_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text") or output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.mark.parametrize("notebook", SOLUTIONS, ids=[path.stem for path in SOLUTIONS])
def test_every_exercise_is_checked_in_the_solution_notebook_and_its_stored_output_says_passed(notebook):
    cells = [cell for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    (lab,) = {match[1] for cell in cells if (match := LAB_IMPORT.search(cell.source))}
    checks = {cell.source.strip(): cell for cell in cells if re.fullmatch(r"check\(\d+\)", cell.source.strip())}

    for exercise in REGISTRY.exercises(lab):
        cell = checks.get(f"check({exercise.number})")
        assert cell is not None, f"{notebook.name} never runs check({exercise.number})"
        assert stored_text(cell).startswith(f"✔ Exercise {exercise.number} — {exercise.title}: passed"), (
            f"{notebook.name}: check({exercise.number}) stored {stored_text(cell)[:200]!r}"
        )
