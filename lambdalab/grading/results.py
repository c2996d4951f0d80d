"""What a check says about one exercise, as data and as the plain text a notebook shows.

The text form is what learners read and what nbval compares (``text/plain``), so it is deterministic:
no timings, no paths, no object ids, and every learner-controlled value clipped so that a handler that
returns a megabyte cannot flood the notebook.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """The four verdicts. ``StrEnum`` so that JSON and comparisons see the plain words."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_YET_SOLVED = "not yet solved"
    ERROR = "error"


SYMBOLS: dict[Status, str] = {
    Status.PASSED: "✔",
    Status.FAILED: "✘",
    Status.NOT_YET_SOLVED: "○",
    Status.ERROR: "⚠",
}

#: Longest value shown for ``expected``, ``got`` or ``hint``; beyond it the text is cut and says so.
MAX_FIELD_CHARS = 400
MAX_FIELD_LINES = 8


def clip(text: str, limit: int = MAX_FIELD_CHARS, max_lines: int = MAX_FIELD_LINES) -> str:
    """Cut ``text`` to a readable size, saying how much was left out (never silently)."""
    lines = text.splitlines() or [""]
    shown_lines = lines[:max_lines]
    shown = "\n".join(shown_lines)
    cut_chars = len(shown) > limit
    if cut_chars:
        shown = shown[:limit].rstrip()
    if cut_chars or len(lines) > max_lines:
        left = len(text) - len(shown)
        shown += f" … ({left} more characters)"
    return shown


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one exercise.

    A check usually builds one with :func:`passed`, :func:`failed` or :func:`not_yet_solved`, leaving
    ``lab``, ``exercise``, ``title`` and ``points`` empty: the harness fills them in from the exercise's
    registration, which is the single source of truth for them.
    """

    status: Status
    lab: str = ""
    exercise: int = 0
    title: str = ""
    expected: str = ""
    got: str = ""
    hint: str = ""
    points: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.PASSED

    def render(self) -> str:
        """The plain-text feedback: one headline, then ``expected`` / ``your code`` / ``hint`` lines."""
        head = f"{SYMBOLS[self.status]} Exercise {self.exercise}"
        if self.title:
            head += f" — {self.title}"
        lines = [f"{head}: {self.status.value}"]
        for label, value in (("expected", self.expected), ("your code", self.got), ("hint", self.hint)):
            if value:
                body = clip(value).replace("\n", "\n" + " " * 13)
                lines.append(f"  {label + ':':<10} {body}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data

    def __str__(self) -> str:
        return self.render()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython shows the feedback, not the dataclass repr, when ``check(1)`` ends a cell."""
        printer.text(self.render())


def passed(*, got: str = "", points: float | None = None) -> CheckResult:
    """The answer does what the exercise asks."""
    return CheckResult(Status.PASSED, got=got, points=points)


def failed(*, expected: str, got: str, hint: str = "", points: float | None = None) -> CheckResult:
    """The answer runs but does the wrong thing: say what was expected, what happened, and a hint."""
    return CheckResult(Status.FAILED, expected=expected, got=got, hint=hint, points=points)


def not_yet_solved(hint: str = "") -> CheckResult:
    """Nothing has been written yet: no blame, just where to start."""
    return CheckResult(Status.NOT_YET_SOLVED, hint=hint)
