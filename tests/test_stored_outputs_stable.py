"""Stored notebook outputs stay true on any later day, machine and port.

nbval compares each stored output with a fresh run after both pass through the sanitize file. What the
sanitize file does not hide must therefore be the same on every run: a date, a clock time, a temp path, a
home folder or a port that survives sanitizing is a test that passes today and fails tomorrow (a stored
SigV4 credential scope ``20261127/us-east-1/lambda/aws4_request`` broke main's CI exactly so). This scan
reads every stored output of notebooks/, solutions/ and labs/ as nbval would see it, sanitized, and fails
naming the notebook, the cell and the text that would drift.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

ROOT = Path(__file__).resolve().parent.parent
SANITIZE = get_sanitize_patterns((ROOT / "tests" / "nbval_sanitize.cfg").read_text())
NOTEBOOKS = sorted(p for folder in ("notebooks", "solutions", "labs") for p in (ROOT / folder).glob("*.ipynb"))

#: What changes with the day, the machine or the run, named for the failure message.
DRIFTING = {
    "a calendar date (YYYYMMDD)": re.compile(r"(?<![\d.])(19|20)\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?![\d.])"),
    "a calendar date (YYYY-MM-DD or YYYY/MM/DD)": re.compile(
        r"\b(19|20)\d\d[-/](0[1-9]|1[0-2])[-/](0[1-9]|[12]\d|3[01])\b"
    ),
    "a clock time (HH:MM:SS)": re.compile(r"\b([01]\d|2[0-3]):[0-5]\d:[0-5]\d\b"),
    "a temporary path": re.compile(r"/tmp/|/var/folders/|\\Temp\\"),
    "a home folder": re.compile(r"/home/[^/\s]+/|/root/|/Users/[^/\s]+/"),
    "a loopback port": re.compile(r"(127\.0\.0\.1|localhost):\d+"),
}


def pinned_years(path: Path) -> set[str]:
    """Years the notebook's own code writes down: a date in such a year comes from a pinned clock or a
    literal in the code (``clock.freeze("2025-03-03T00:00:00Z")``, a key ``dt=2025-01-01/a.csv``), and is
    the same on every run. A date of any other year can only have come from the machine's clock."""
    notebook = nbformat.read(path, as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return set(re.findall(r"\b(?:19|20)\d\d\b", code))


def sanitized_outputs(path: Path) -> list[tuple[int, str]]:
    """(cell index, sanitized text) for every text output nbval compares, as it compares them."""
    notebook = nbformat.read(path, as_version=4)
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or "NBVAL_IGNORE_OUTPUT" in cell.source or "NBVAL_SKIP" in cell.source:
            continue
        for output in cell.get("outputs", []):
            texts = [output.get("text", "")]
            data = output.get("data", {})
            texts += [data.get(kind, "") for kind in ("text/plain", "text/html")]
            for text in texts:
                text = "".join(text) if isinstance(text, list) else text
                for regex, replace in SANITIZE:
                    text = re.sub(regex, replace, text)
                if text:
                    found.append((index, text))
    return found


#: Names that contain a date and are the same forever: the template format version CloudFormation accepts and
#: the SAM transform's name (a printed SAM template carries both).
FIXED_NAMES = re.compile(r'AWSTemplateFormatVersion: "2010-09-09"|AWS::Serverless-2016-10-31')


def drift_in(text: str, pinned: set[str] = frozenset()) -> list[str]:
    """What in ``text`` would read differently on another day or machine (dates of pinned years aside)."""
    text = FIXED_NAMES.sub("FIXED-NAME", text)
    return [
        f"{what}: {match.group(0)!r}"
        for what, regex in DRIFTING.items()
        for match in regex.finditer(text)
        if not (what.startswith("a calendar date") and match.group(0)[:4] in pinned)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_stored_output_is_the_same_on_any_later_day_machine_and_port(path: Path):
    pinned = pinned_years(path)
    problems = [
        f"cell {index}: {problem}" for index, text in sanitized_outputs(path) for problem in drift_in(text, pinned)
    ]

    assert not problems, f"{path.relative_to(ROOT)} stores output that will differ on another day or machine:\n" + (
        "\n".join(problems)
    )


@pytest.mark.parametrize(
    "text",
    [
        "20261127/us-east-1/lambda/aws4_request",
        "scheduled for 2026-12-05",
        "fired at 12:34:56",
        "wrote /home/ana/course/app.py",
    ],
)
def test_the_scan_catches_what_the_sanitizer_leaves_behind(text: str):
    for regex, replace in SANITIZE:
        text = re.sub(regex, replace, text)

    assert drift_in(text)


def test_a_date_the_notebook_pins_itself_is_stable_and_any_other_is_not():
    assert drift_in("daily/2025-03-03.json", pinned={"2025"}) == []
    assert drift_in("20261127/us-east-1/lambda/aws4_request", pinned={"2025"})


@pytest.mark.parametrize(
    "text",
    [
        "REPORT RequestId: 8f5e2a4c-1b3d-4e6f-9a7b-0c1d2e3f4a5b\tDuration: 15.74 ms",
        "AWS_ENDPOINT_URL=http://127.0.0.1:54321",
        "code in /tmp/tmpab12cd_x/app.py",
        "at 2025-01-31T12:34:56.789+00:00",
        "credential scope: <signing date>/us-east-1/lambda/aws4_request",
        "1,000 concurrent executions every 10 seconds; 12345678 invocations",
    ],
)
def test_the_scan_passes_what_is_stable_once_sanitized(text: str):
    for regex, replace in SANITIZE:
        text = re.sub(regex, replace, text)

    assert drift_in(text) == []


def test_a_printed_sam_templates_format_version_and_transform_are_not_dates_but_other_dates_beside_them_are():
    assert drift_in('AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31') == []
    assert drift_in('AWSTemplateFormatVersion: "2010-09-09"\nDescription: deployed 2026-12-05')
