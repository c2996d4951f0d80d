"""Grading: checks that run a learner's answer and explain the difference, labs made from solutions.

What a ``labNN`` module needs is importable from here::

    from lambdalab.grading import checker, exercise, failed, passed

    check = checker("01")  # the notebook's one line is then ``check(1)``

    @exercise(lab="01", number=1, title="Move the client out of the handler", files=["lab01/ex1/app.py"])
    def client_outside_handler(answer: Path) -> CheckResult:
        ...  # deploy answer / "lab01/ex1" on real execution environments, invoke it with unseen inputs
        return failed(expected="…", got="…", hint="…")  # or passed()

Only the standard library is imported here: lab generation and scoring (which need nbformat) live in
``assign``, ``extract`` and ``score``, and nothing in this package imports the runtime, so the machinery
is tested with plain-Python checks and ``lambdalab --help`` stays instant.
"""

from lambdalab.grading.harness import NotYetSolved, checker, require_solved, run_exercise
from lambdalab.grading.registry import REGISTRY, Exercise, Registry, UnknownExercise, UnknownLab, exercise
from lambdalab.grading.results import CheckResult, Status, failed, not_yet_solved, passed

__all__ = [
    "CheckResult",
    "Exercise",
    "NotYetSolved",
    "Registry",
    "Status",
    "UnknownExercise",
    "UnknownLab",
    "checker",
    "exercise",
    "failed",
    "not_yet_solved",
    "passed",
    "REGISTRY",
    "require_solved",
    "run_exercise",
]
