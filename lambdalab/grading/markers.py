"""The marker vocabulary shared by lab generation and grading, spelled once.

Solutions mark their answers; labs are generated from solutions by replacing what is marked with a
placeholder; the grader recognises that placeholder to say "not yet solved" instead of running code that
cannot work yet. Three modules depend on the same spellings, so (as nbval does with its comment markers)
one dict defines them and every regex below is derived from it: a marker can never be renamed in one
place and forgotten in another.
"""

from __future__ import annotations

import re
from typing import Final

VOCABULARY: Final[dict[str, str]] = {
    # Lines of a code cell between these two are the answer.
    "begin_code": "# BEGIN SOLUTION",
    "end_code": "# END SOLUTION",
    # Lines of a markdown cell between these two (inclusive) are removed from the lab.
    "begin_markdown": "<!-- BEGIN SOLUTION -->",
    "end_markdown": "<!-- END SOLUTION -->",
    # A cell whose metadata tags include this one is an answer as a whole.
    "solution_tag": "solution",
    # What the learner finds where an answer was.
    "placeholder": "# YOUR CODE HERE",
    # Added after the placeholder inside an indented block (a function body), so the code still
    # compiles and fails loudly, with a message naming the exercise, until it is written.
    "not_implemented": 'raise NotImplementedError("{what}")',
}

#: The ``{what}`` of ``not_implemented`` when the exercise number is known, and when it is not.
EXERCISE_MESSAGE: Final = "exercise {number}"
UNKNOWN_EXERCISE_MESSAGE: Final = "your code here"

#: Cell magics whose first line is kept as is: the answer is the file the cell writes.
WRITEFILE_MAGICS: Final = ("%%writefile", "%%file")

BEGIN_CODE: Final = VOCABULARY["begin_code"]
END_CODE: Final = VOCABULARY["end_code"]
BEGIN_MARKDOWN: Final = VOCABULARY["begin_markdown"]
END_MARKDOWN: Final = VOCABULARY["end_markdown"]
SOLUTION_TAG: Final = VOCABULARY["solution_tag"]
PLACEHOLDER: Final = VOCABULARY["placeholder"]

#: A line that looks like a marker (a whole-line comment in code, an HTML comment anywhere in markdown)
#: without being exactly one is a typo that would leak an answer into a lab, so generation refuses it.
CODE_MARKER_LIKE_RE: Final = re.compile(r"^\s*#\s*(BEGIN|END)[\s_-]*SOLUTIONS?\s*$", re.IGNORECASE)
MARKDOWN_MARKER_LIKE_RE: Final = re.compile(r"<!--\s*(BEGIN|END)\s*SOLUTIONS?\b", re.IGNORECASE)

#: The exercise number in a ``%%writefile`` path such as ``lab01/ex2/app.py``.
EXERCISE_IN_PATH_RE: Final = re.compile(r"(?:^|[/\\])ex(?:ercise)?[-_]?(\d+)(?=$|[/\\._-])", re.IGNORECASE)

_raise_prefix, _raise_suffix = VOCABULARY["not_implemented"].split("{what}")
_messages = "|".join(
    [re.escape(EXERCISE_MESSAGE).replace(re.escape("{number}"), r"\d+"), re.escape(UNKNOWN_EXERCISE_MESSAGE)]
)
#: A ``raise NotImplementedError(...)`` line exactly as lab generation writes it.
NOT_IMPLEMENTED_LINE_RE: Final = re.compile(
    rf"^[ \t]*{re.escape(_raise_prefix)}(?:{_messages}){re.escape(_raise_suffix)}[ \t]*$", re.MULTILINE
)


def not_implemented_line(number: int | None) -> str:
    """The placeholder ``raise`` for an exercise, naming it when its number is known."""
    what = EXERCISE_MESSAGE.format(number=number) if number is not None else UNKNOWN_EXERCISE_MESSAGE
    return VOCABULARY["not_implemented"].format(what=what)


def is_unsolved_text(text: str) -> bool:
    """Whether an answer file still holds a lab's placeholder rather than the learner's code.

    True when the file still raises the generated ``NotImplementedError`` line, or when it holds nothing
    but the placeholder comment (a whole-cell stub). A learner who writes code under the placeholder
    comment and removes the ``raise`` is not told "not yet solved": the comment alone is no evidence.
    """
    if NOT_IMPLEMENTED_LINE_RE.search(text):
        return True
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines == [PLACEHOLDER]
