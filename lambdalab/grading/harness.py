"""Running one check so that nothing a learner writes can break the notebook or the grader.

Learner code itself runs in execution environments (separate processes with timeouts, the runtime's
job). What reaches this harness is whatever escapes a check: an exception, ``sys.exit``, a flood of
prints. Each becomes a verdict with a one-paragraph message, never a traceback wall, because a learner
reading a traceback from inside the grader learns nothing about their own code.

The harness imports nothing from the runtime: checks that need execution environments import them in
their own ``labNN`` module, so the grading machinery can be tested with plain-Python checks.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from lambdalab.grading.markers import PLACEHOLDER, is_unsolved_text
from lambdalab.grading.registry import REGISTRY, Exercise, Registry
from lambdalab.grading.results import CheckResult, Status, clip

#: How much a check may print before the rest is dropped (the verdict is the feedback, not the prints).
MAX_CAPTURED_CHARS = 10_000


class NotYetSolved(Exception):
    """Raised by a check (or a helper) when the answer is still the lab's placeholder."""


def require_solved(invocation: Any) -> None:
    """Turn an invocation that hit the lab's ``raise NotImplementedError`` into "not yet solved".

    Duck-typed on ``error_type`` (the runtime's ``Invocation`` has it) so this module needs no runtime.
    """
    if getattr(invocation, "error_type", None) == "NotImplementedError":
        raise NotYetSolved(getattr(invocation, "error", None) or "the handler is still a placeholder")


def run_exercise(exercise: Exercise, answer_dir: Path) -> CheckResult:
    """Judge the answer files under ``answer_dir`` with ``exercise``'s check, whatever happens."""
    unsolved = _unsolved_hint(exercise, answer_dir)
    if unsolved is not None:
        return _complete(CheckResult(Status.NOT_YET_SOLVED, hint=unsolved), exercise)
    try:
        with _bounded_output():
            result = exercise.check(answer_dir)
    except (NotImplementedError, NotYetSolved):
        result = CheckResult(Status.NOT_YET_SOLVED, hint=_write_your_answer(exercise))
    except KeyboardInterrupt:
        raise
    except SystemExit as exc:
        result = CheckResult(
            Status.ERROR,
            got=f"the code called exit({'' if exc.code is None else repr(exc.code)}) and stopped the check",
            hint="a handler should return a value or raise an exception, never exit the process",
        )
    except BaseException as exc:  # noqa: BLE001 - every failure must become a verdict, not a traceback
        result = CheckResult(Status.ERROR, got=f"the check could not finish: {_describe(exc)}")
    if not isinstance(result, CheckResult):
        result = CheckResult(
            Status.ERROR,
            got=f"the check returned {type(result).__name__}, not a CheckResult (a bug in the check)",
        )
    return _complete(result, exercise)


def checker(lab: str, registry: Registry = REGISTRY) -> Callable[..., CheckResult]:
    """The one-line ``check(n)`` of a lab notebook, bound to ``lab``.

    A ``labNN`` module does ``check = checker("NN")``; the learner writes ``check(1)``. The answer
    files are looked up relative to the notebook's working directory, where its ``%%writefile`` cells
    wrote them.
    """

    def check(number: int, answer_dir: str | Path | None = None) -> CheckResult:
        exercise = registry.get(lab, number)
        return run_exercise(exercise, Path(answer_dir) if answer_dir is not None else Path.cwd())

    check.__doc__ = f"Check exercise ``number`` of lab {lab} and show what it found."
    check.__qualname__ = check.__name__ = "check"
    return check


def _unsolved_hint(exercise: Exercise, answer_dir: Path) -> str | None:
    for name in exercise.files:
        path = answer_dir / name
        if not path.is_file():
            return f"{name} does not exist yet: run the %%writefile {name} cell above, then check again"
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return f"{name} could not be read: run its %%writefile cell again"
        if is_unsolved_text(text):
            return _write_your_answer(exercise)
    return None


def _write_your_answer(exercise: Exercise) -> str:
    where = f" in {', '.join(exercise.files)}" if exercise.files else ""
    return f"replace the {PLACEHOLDER!r} placeholder{where} with your code, run the cell, then check again"


def _complete(result: CheckResult, exercise: Exercise) -> CheckResult:
    """Stamp the registered identity on a verdict and settle its points."""
    if result.status is Status.PASSED:
        points = exercise.points if result.points is None else min(max(result.points, 0), exercise.points)
    else:
        points = 0.0 if result.points is None else min(max(result.points, 0), exercise.points)
    return replace(
        result,
        lab=exercise.lab,
        exercise=exercise.number,
        title=exercise.title,
        expected=clip(str(result.expected)),
        got=clip(str(result.got)),
        hint=clip(str(result.hint)),
        points=float(points),
    )


def _describe(exc: BaseException) -> str:
    # KeyError's str() is the repr of its key, newlines escaped; its argument is what was meant.
    raw = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    message = str(raw).strip().splitlines()
    first = message[0] if message else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class _BoundedSink(io.TextIOBase):
    """A text stream that keeps only the first ``limit`` characters written to it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        room = self.limit - self.size
        if room > 0:
            self.kept.append(text[:room])
            self.size += min(len(text), room)
        return len(text)


@contextlib.contextmanager
def _bounded_output(limit: int = MAX_CAPTURED_CHARS) -> Iterator[_BoundedSink]:
    """Swallow what a check prints so that a flood of output cannot bury (or crash) the notebook."""
    sink = _BoundedSink(limit)
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield sink
