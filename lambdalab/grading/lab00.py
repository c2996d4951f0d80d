"""Lesson 00's practice exercise: a first handler, checked the way every lab exercise is checked."""

from __future__ import annotations

import random
from pathlib import Path

from lambdalab.grading import checker, exercise, failed, passed
from lambdalab.grading.fixtures import describe_failure
from lambdalab.grading.results import CheckResult

check = checker("00")

HANDLER_FILE = "lab00/ex1/app.py"
_NAMES = ["Ada", "Grace", "Linus", "Margaret", "Zoë", "José", "Håkon", "Nnamdi", "Ōkubo", "Priya"]


@exercise(lab="00", number=1, title="Your first handler", files=[HANDLER_FILE])
def first_handler(answer: Path) -> CheckResult:
    import lambdalab

    rng = random.Random()
    names = rng.sample(_NAMES, 3)
    fn = lambdalab.deploy(
        f"check-lab00-{rng.randrange(10**6)}", path=answer / Path(HANDLER_FILE).parent, handler="app.handler", timeout=5
    )
    try:
        for event, expected in [*(({"name": n}, f"Hello, {n}!") for n in names), ({}, "Hello, world!")]:
            result = fn.invoke(event)
            if not result.ok:
                return failed(
                    expected=f'{{"message": "{expected}"}} for the event {event}',
                    got=describe_failure(result),
                    hint="a missing key raises KeyError — event.get(...) takes a default",
                )
            if result.payload != {"message": expected}:
                return failed(
                    expected=f'{{"message": "{expected}"}} for the event {event}',
                    got=f"{result.payload!r}",
                    hint="return a dict with one key, 'message'; mind the comma and the '!'",
                )
        return passed(got=f"greeted {len(names)} unseen names and the world correctly")
    finally:
        fn.delete()
