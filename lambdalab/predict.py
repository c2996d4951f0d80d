"""Predict, then measure: the course's way of making a learner commit to an answer before seeing it.

A lesson asks a question in one cell, where the learner writes a prediction into a variable (``None``
until they do), and measures the answer in the next. ``reveal`` sets the two side by side and says
whether the prediction holds. A wrong prediction is the point: it marks the belief the measurement has
just corrected. Numbers count as right within a tolerance the lesson chooses (a factor for quantities
that span orders of magnitude, a fraction for the rest), because the aim is the right intuition, not the
third digit.

The printed words depend only on the prediction and the measurement, so a lesson stores the output of a
cell whose measurement is deterministic (a count, a yes/no, a seeded simulation) and lets nbval check it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

NOT_YET = "no prediction yet: write yours in the cell above (replace None), then run both cells again"


@dataclass(frozen=True)
class Reveal:
    """A prediction beside its measurement; ``right`` is None when no prediction was made."""

    question: str
    predicted: Any
    measured: Any
    right: bool | None

    def __str__(self) -> str:
        lines = [self.question, f"  measured:  {_show(self.measured)}"]
        if self.right is None:
            lines.insert(1, f"  predicted: {NOT_YET}")
        else:
            lines.insert(1, f"  predicted: {_show(self.predicted)}")
            lines.append("  ✔ your prediction holds" if self.right else "  ✘ not what happened: read on for why")
        return "\n".join(lines)


def reveal(
    question: str,
    predicted: Any,
    measured: Any,
    *,
    within: float | None = None,
    factor: float | None = None,
) -> None:
    """Print the prediction beside the measurement and the verdict (see ``judge`` for the rules).

    It returns nothing, so the cell shows the printed lines and no repr after them.
    """
    print(judge(question, predicted, measured, within=within, factor=factor))


def judge(
    question: str,
    predicted: Any,
    measured: Any,
    *,
    within: float | None = None,
    factor: float | None = None,
) -> Reveal:
    """The prediction beside the measurement, judged.

    ``within`` accepts a number predicted within that fraction of the measurement (0.25: ±25 %);
    ``factor`` accepts one within that factor either way (2: from half to double), for quantities that
    span orders of magnitude. Without either, the prediction must equal the measurement (strings compare
    without case or surrounding spaces).
    """
    return Reveal(question, predicted, measured, _holds(predicted, measured, within, factor))


def _holds(predicted: Any, measured: Any, within: float | None, factor: float | None) -> bool | None:
    if predicted is None:
        return None
    if isinstance(predicted, str) and isinstance(measured, str):
        return predicted.strip().lower() == measured.strip().lower()
    if isinstance(predicted, bool) or isinstance(measured, bool) or (within is None and factor is None):
        return predicted == measured
    if not isinstance(predicted, int | float) or not isinstance(measured, int | float):
        raise TypeError(f"a tolerance needs numbers: predicted {predicted!r}, measured {measured!r}")
    if factor is not None:
        if predicted <= 0 or measured <= 0:
            return predicted == measured
        return abs(math.log(predicted / measured)) <= math.log(factor)
    return abs(predicted - measured) <= within * abs(measured)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
