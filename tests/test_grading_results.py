"""A verdict reads the same every time: nbval compares it as text/plain, learners read it as feedback."""

from __future__ import annotations

import json

from lambdalab.grading import CheckResult, Status
from lambdalab.grading.results import clip


def test_passed_renders_as_one_line_with_a_tick_title_and_status():
    result = CheckResult(Status.PASSED, lab="01", exercise=1, title="Move the client out of the handler")

    assert result.render() == "✔ Exercise 1 — Move the client out of the handler: passed"


def test_failed_renders_expected_what_the_code_did_and_a_hint_on_their_own_lines():
    result = CheckResult(
        Status.FAILED,
        exercise=2,
        title="Warm starts",
        expected="1 init for 5 calls",
        got="5 inits",
        hint="look up",
    )

    assert result.render().splitlines() == [
        "✘ Exercise 2 — Warm starts: failed",
        "  expected:  1 init for 5 calls",
        "  your code: 5 inits",
        "  hint:      look up",
    ]


def test_not_yet_solved_and_error_have_their_own_symbols():
    assert CheckResult(Status.NOT_YET_SOLVED, exercise=3).render() == "○ Exercise 3: not yet solved"
    assert CheckResult(Status.ERROR, exercise=3).render() == "⚠ Exercise 3: error"


def test_multiline_values_stay_indented_under_their_label():
    text = CheckResult(Status.FAILED, exercise=1, got="line one\nline two").render()

    assert text.splitlines()[1:] == ["  your code: line one", "             line two"]


def test_long_values_are_clipped_and_say_how_much_was_left_out():
    shown = clip("x" * 10_000)

    assert len(shown) < 500
    assert shown.endswith("(9600 more characters)")


def test_many_lines_are_clipped_too():
    shown = clip("\n".join(f"line {i}" for i in range(1000)))

    assert len(shown.splitlines()) == 8
    assert "more characters" in shown


def test_ipython_shows_the_feedback_not_the_dataclass_repr():
    class Printer:
        def __init__(self) -> None:
            self.out = ""

        def text(self, s: str) -> None:
            self.out += s

    printer = Printer()
    result = CheckResult(Status.PASSED, exercise=1, title="T")

    result._repr_pretty_(printer, cycle=False)

    assert printer.out == str(result) == "✔ Exercise 1 — T: passed"


def test_json_form_uses_the_plain_status_words():
    data = CheckResult(Status.NOT_YET_SOLVED, lab="01", exercise=1, title="T", points=0.0).to_json()

    assert json.loads(json.dumps(data))["status"] == "not yet solved"
    assert set(data) == {"status", "lab", "exercise", "title", "expected", "got", "hint", "points"}
