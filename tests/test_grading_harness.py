"""Whatever a check or the learner's code does, the harness turns it into a plain verdict."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from lambdalab.grading import (
    CheckResult,
    Exercise,
    Registry,
    Status,
    UnknownExercise,
    UnknownLab,
    checker,
    failed,
    passed,
    require_solved,
    run_exercise,
)
from lambdalab.grading import registry as registry_module  # the module, not REGISTRY

FILE = "lab97/ex1/app.py"


def make_exercise(check, points: float = 2.0, files: tuple[str, ...] = (FILE,)) -> Exercise:
    return Exercise(lab="97", number=1, title="Title", files=files, check=check, points=points)


@pytest.fixture
def answer(tmp_path: Path) -> Path:
    (tmp_path / FILE).parent.mkdir(parents=True)
    (tmp_path / FILE).write_text("def handler(event, context):\n    return 1\n")
    return tmp_path


def must_not_run(answer: Path) -> CheckResult:
    raise AssertionError("the check ran on an unsolved answer")


def test_missing_answer_file_is_not_yet_solved_and_names_the_cell_to_run(tmp_path):
    result = run_exercise(make_exercise(must_not_run), tmp_path)

    assert result.status is Status.NOT_YET_SOLVED
    assert f"run the %%writefile {FILE} cell" in result.hint


def test_placeholder_left_by_lab_generation_is_not_yet_solved_without_running_the_check(answer):
    (answer / FILE).write_text(
        'def handler(event, context):\n    # YOUR CODE HERE\n    raise NotImplementedError("exercise 1")\n'
    )

    result = run_exercise(make_exercise(must_not_run), answer)

    assert result.status is Status.NOT_YET_SOLVED
    assert "'# YOUR CODE HERE'" in result.hint and FILE in result.hint


def test_whole_cell_stub_is_not_yet_solved(answer):
    (answer / FILE).write_text("# YOUR CODE HERE\n")

    assert run_exercise(make_exercise(must_not_run), answer).status is Status.NOT_YET_SOLVED


def test_code_written_under_the_placeholder_comment_is_judged(answer):
    (answer / FILE).write_text("# YOUR CODE HERE\ndef handler(event, context):\n    return 1\n")

    assert run_exercise(make_exercise(lambda a: passed()), answer).status is Status.PASSED


def test_not_implemented_error_escaping_a_check_is_not_yet_solved(answer):
    def check(answer: Path) -> CheckResult:
        raise NotImplementedError("exercise 1")

    assert run_exercise(make_exercise(check), answer).status is Status.NOT_YET_SOLVED


def test_require_solved_turns_an_invocation_that_hit_the_placeholder_into_not_yet_solved(answer):
    def check(answer: Path) -> CheckResult:
        require_solved(
            SimpleNamespace(error_type="NotImplementedError", error={"errorMessage": "exercise 1"})
        )
        return passed()

    assert run_exercise(make_exercise(check), answer).status is Status.NOT_YET_SOLVED


def test_require_solved_lets_other_invocations_through():
    require_solved(SimpleNamespace(error_type=None))
    require_solved(SimpleNamespace(error_type="ValueError"))


def test_an_exception_becomes_an_error_with_one_plain_line_not_a_traceback(answer):
    def check(answer: Path) -> CheckResult:
        raise KeyError("first line\nTraceback (most recent call last):\n  File ...")

    result = run_exercise(make_exercise(check), answer)

    assert result.status is Status.ERROR
    assert result.got == "the check could not finish: KeyError: first line"
    assert "Traceback" not in result.render()


def test_code_that_calls_exit_is_an_error_and_the_caller_survives(answer):
    def check(answer: Path) -> CheckResult:
        sys.exit(3)

    result = run_exercise(make_exercise(check), answer)

    assert result.status is Status.ERROR
    assert "exit(3)" in result.got


def test_output_flooded_during_a_check_does_not_reach_the_notebook(answer, capsys):
    def check(answer: Path) -> CheckResult:
        for _ in range(10_000):
            print("spam " * 100)
            print("more", file=sys.stderr)
        return passed()

    result = run_exercise(make_exercise(check), answer)

    assert result.status is Status.PASSED
    assert capsys.readouterr() == ("", "")


def test_huge_learner_values_are_clipped_in_the_verdict(answer):
    result = run_exercise(make_exercise(lambda a: failed(expected="1", got="9" * 100_000)), answer)

    assert len(result.render()) < 1_000


def test_a_check_returning_something_else_is_an_error_blaming_the_check(answer):
    result = run_exercise(make_exercise(lambda a: True), answer)

    assert result.status is Status.ERROR
    assert "not a CheckResult" in result.got


def test_keyboard_interrupt_still_interrupts(answer):
    def check(answer: Path) -> CheckResult:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_exercise(make_exercise(check), answer)


def test_passing_earns_the_exercise_points_and_failing_none(answer):
    assert run_exercise(make_exercise(lambda a: passed()), answer).points == 2.0
    assert run_exercise(make_exercise(lambda a: failed(expected="a", got="b")), answer).points == 0.0


def test_partial_points_are_kept_within_the_exercise_points(answer):
    assert (
        run_exercise(make_exercise(lambda a: failed(expected="a", got="b", points=1)), answer).points == 1.0
    )
    assert run_exercise(make_exercise(lambda a: passed(points=99)), answer).points == 2.0


def test_identity_comes_from_the_registration_not_from_the_check(answer):
    result = run_exercise(make_exercise(lambda a: CheckResult(Status.PASSED, lab="xx", exercise=9)), answer)

    assert (result.lab, result.exercise, result.title) == ("97", 1, "Title")


# --- the notebook's one line ----------------------------------------------------------------------------


@pytest.fixture
def lab97() -> Registry:
    registry = Registry()
    registry.exercise(lab="97", number=1, title="Title", files=[FILE])(lambda a: passed())
    return registry


def test_check_n_judges_the_files_in_the_notebooks_working_directory(answer, lab97, monkeypatch):
    monkeypatch.chdir(answer)
    check = checker("97", registry=lab97)

    assert check(1).render() == "✔ Exercise 1 — Title: passed"


def test_check_of_an_unknown_exercise_names_the_known_ones(lab97):
    with pytest.raises(UnknownExercise, match="lab 97 has exercises 1; there is no exercise 5"):
        checker("97", registry=lab97)(5)


# --- the registry ---------------------------------------------------------------------------------------


def test_exercises_come_back_in_number_order():
    registry = Registry()
    for number in (3, 1, 2):
        registry.add(Exercise("97", number, f"e{number}", (), lambda a: passed()))

    assert [e.number for e in registry.exercises("97")] == [1, 2, 3]


def test_registering_the_same_function_again_replaces_it():
    registry = Registry()

    def check(answer: Path) -> CheckResult:
        return passed()

    registry.exercise(lab="97", number=1, title="old", files=[])(check)
    registry.exercise(lab="97", number=1, title="new", files=[])(check)

    assert [e.title for e in registry.exercises("97")] == ["new"]


def test_a_different_function_cannot_take_a_registered_number():
    registry = Registry()

    def first(answer: Path) -> CheckResult:
        return passed()

    def second(answer: Path) -> CheckResult:
        return passed()

    registry.exercise(lab="97", number=1, title="t", files=[])(first)
    with pytest.raises(ValueError, match="already checked by"):
        registry.exercise(lab="97", number=1, title="t", files=[])(second)


def test_lab_ids_look_like_notebook_numbers():
    with pytest.raises(ValueError, match="should look like"):
        Registry().exercise(lab="1", number=1, title="t", files=[])(lambda a: passed())


def test_a_labs_checks_module_is_imported_on_first_use(monkeypatch):
    registry = Registry()
    imported = []

    def fake_import(name: str) -> None:
        imported.append(name)
        registry.exercise(lab="97", number=1, title="t", files=[])(lambda a: passed())

    monkeypatch.setattr(registry_module.importlib, "import_module", fake_import)

    assert [e.number for e in registry.exercises("97")] == [1]
    assert imported == ["lambdalab.grading.lab97"]


def test_a_lab_without_checks_is_an_unknown_lab_naming_the_module():
    with pytest.raises(UnknownLab, match=r"no lambdalab\.grading\.lab96 module"):
        Registry().exercises("96")
