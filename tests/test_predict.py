"""Predict, then measure: a prediction is judged against the measurement as the lesson asks."""

from __future__ import annotations

import pytest

from lambdalab.predict import NOT_YET, judge, reveal


def test_when_no_prediction_was_made_then_the_learner_is_asked_for_one_and_sees_the_measurement(capsys):
    reveal("How many cold?", None, 4)

    printed = capsys.readouterr().out
    assert judge("How many cold?", None, 4).right is None
    assert NOT_YET in printed
    assert "measured:  4" in printed


@pytest.mark.parametrize(
    ("predicted", "measured", "options", "right"),
    [
        (4, 4, {}, True),
        (3, 4, {}, False),
        (True, True, {}, True),
        (False, True, {}, False),
        (" Module level", "module level", {}, True),
        ("in the handler", "module level", {}, False),
        (0.009, 0.0040, {"factor": 3}, True),
        (0.02, 0.0040, {"factor": 3}, False),
        (55, 60, {"within": 0.1}, True),
        (50, 60, {"within": 0.1}, False),
    ],
)
def test_a_prediction_holds_only_within_the_tolerance_the_lesson_gives(predicted, measured, options, right):
    assert judge("?", predicted, measured, **options).right is right


def test_the_verdict_is_printed_beside_both_values(capsys):
    reveal("Which is faster?", "in the handler", "module level")

    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "Which is faster?",
        "  predicted: in the handler",
        "  measured:  module level",
        "  ✘ not what happened: read on for why",
    ]


def test_a_tolerance_on_something_that_is_not_a_number_is_a_clear_error():
    with pytest.raises(TypeError, match="a tolerance needs numbers"):
        judge("?", "a lot", 3.0, factor=2)
