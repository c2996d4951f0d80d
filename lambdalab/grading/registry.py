"""Which check belongs to which exercise of which lab.

A lab's checks live in ``lambdalab/grading/labNN.py`` and register themselves with :func:`exercise` when
that module is imported. Lab ids are the notebooks' numbers as strings (``"01"``, ``"02a"``), so the
instructor's grader can go from ``solutions/02a-concurrency-live.ipynb`` to ``lambdalab.grading.lab02a``
without a table to keep in step.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lambdalab.grading.results import CheckResult

LAB_ID_RE: Final = re.compile(r"^\d{2}[a-z]?$")
CHECKS_PACKAGE: Final = "lambdalab.grading"

#: A check takes the directory holding the learner's answer files and returns the verdict.
Check = Callable[[Path], CheckResult]


class UnknownLab(LookupError):
    """No checks are registered for a lab, and no ``labNN`` module provides them."""


class UnknownExercise(LookupError):
    """A lab has no exercise with that number."""


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: who it is, which files hold the answer, and the check that judges them."""

    lab: str
    number: int
    title: str
    files: tuple[str, ...]
    check: Check
    points: float = 1.0


class Registry:
    """Exercises by lab and number.

    Registering the same function again (a re-imported module, a re-run notebook cell) replaces the old
    entry; a *different* function claiming a taken number is a copy-paste mistake and is refused.
    """

    def __init__(self) -> None:
        self._labs: dict[str, dict[int, Exercise]] = {}

    def add(self, exercise: Exercise) -> None:
        if not LAB_ID_RE.match(exercise.lab):
            raise ValueError(f"lab id {exercise.lab!r} should look like '01' or '02a'")
        lab = self._labs.setdefault(exercise.lab, {})
        taken = lab.get(exercise.number)
        if taken is not None and _qualname(taken.check) != _qualname(exercise.check):
            raise ValueError(
                f"lab {exercise.lab} exercise {exercise.number} is already checked by "
                f"{_qualname(taken.check)}; {_qualname(exercise.check)} cannot take its number"
            )
        lab[exercise.number] = exercise

    def exercise(
        self, *, lab: str, number: int, title: str, files: Iterable[str], points: float = 1.0
    ) -> Callable[[Check], Check]:
        """Decorator registering a check; the function itself is returned unchanged, to test directly."""

        def register(check: Check) -> Check:
            self.add(Exercise(lab, number, title, tuple(files), check, points))
            return check

        return register

    def remove_lab(self, lab: str) -> None:
        """Forget a lab's exercises (tests register fake labs and clean up after themselves)."""
        self._labs.pop(lab, None)

    def exercises(self, lab: str) -> list[Exercise]:
        """A lab's exercises in number order, importing ``lambdalab.grading.labNN`` on first use."""
        if not isinstance(lab, str) or not LAB_ID_RE.match(lab):
            raise UnknownLab(f"{str(lab)[:40]!r} is not a lab id (they look like '01' or '02a')")
        if lab not in self._labs:
            module = f"{CHECKS_PACKAGE}.lab{lab}"
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
        if not self._labs.get(lab):
            raise UnknownLab(f"there are no checks for lab {lab} (no {CHECKS_PACKAGE}.lab{lab} module)")
        return [self._labs[lab][n] for n in sorted(self._labs[lab])]

    def get(self, lab: str, number: int) -> Exercise:
        exercises = {e.number: e for e in self.exercises(lab)}
        if number not in exercises:
            known = ", ".join(str(n) for n in exercises)
            raise UnknownExercise(f"lab {lab} has exercises {known}; there is no exercise {number}")
        return exercises[number]


def _qualname(check: Check) -> str:
    return f"{getattr(check, '__module__', '?')}.{getattr(check, '__qualname__', repr(check))}"


#: The registry that ``labNN`` modules, notebooks and ``lambdalab grade`` share.
REGISTRY: Final = Registry()
exercise: Final = REGISTRY.exercise
