"""One malformed submission never costs the batch: each hostile notebook is one row saying why.

Every fixture is a notebook built in code (nbformat.v4) and then broken the way a learner's slip or a
hand edit breaks it; ``lambdalab grade`` must print a row for each and score every other submission.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nbformat import v4

from lambdalab.cli import main
from tests.conftest import FAKE_CHECKS

GOOD = {
    "lab98/ex1/app.py": "def handler(event, context):\n    return 'hello'",
    "lab98/ex2/app.py": "def handler(event, context):\n    return event['n'] ** 2",
}


def notebook(files: dict[str, str] | None = None, *, extra_cells: list | None = None, metadata=None) -> dict:
    cells = [v4.new_code_cell(f"%%writefile {path}\n{body}") for path, body in (files or GOOD).items()]
    nb = v4.new_notebook(cells=[*(extra_cells or []), *cells], metadata=metadata or {})
    return json.loads(json.dumps(nb))  # a plain dict, to be broken at will


def save(folder: Path, name: str, document: dict | str) -> Path:
    path = folder / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


def hostile_notebooks(folder: Path) -> dict[str, Path]:
    """Name → path of every hostile case, plus two good submissions around them."""
    folder.mkdir(parents=True, exist_ok=True)
    non_string = notebook()
    non_string["cells"].insert(
        0, {"cell_type": "code", "source": 42, "metadata": {}, "outputs": [], "execution_count": None}
    )
    non_string["cells"].insert(
        0,
        {
            "cell_type": "code",
            "source": ["%%writefile x.py\n", 7],
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        },
    )
    not_a_cell = notebook()
    not_a_cell["cells"].insert(0, "just a string")
    cases = {
        "good-first": notebook(),
        # the classic slip: the folder written as a file, then a file inside it (and the reverse order)
        "folder-as-file": notebook({"lab98/ex1": "oops", **GOOD}),
        "file-then-folder": notebook({**GOOD, "lab98/ex1/app.py/more.py": "x = 1"}),
        "writefile-onto-folder": notebook({**GOOD, "lab98/ex1": "x = 1"}),
        "long-name": notebook({**GOOD, "lab98/" + "a" * 300 + ".py": "x = 1"}),
        "long-path": notebook({**GOOD, "/".join(["d" * 200] * 30) + "/f.py": "x = 1"}),
        "nul-name": notebook({**GOOD, "lab98/ex\x001/app.py": "x = 1"}),
        "non-string-source": non_string,
        "cell-not-a-dict": not_a_cell,
        "metadata-a-string": notebook(metadata={"lambdalab": "98"}),
        "metadata-lab-a-list": notebook(metadata={"lambdalab": {"lab": ["98"]}}),
        "metadata-lab-a-path": notebook(metadata={"lambdalab": {"lab": "../../etc/passwd"}}),
        "cells-not-a-list": {**notebook(), "cells": {"0": "x"}},
        "unreadable-json": "{ not json",
        "binary-garbage": "\x00\xff\xfe garbage",
        "good-last": notebook(),
    }
    return {name: save(folder, f"98-{name}.ipynb", doc) for name, doc in cases.items()}


def test_when_hostile_submissions_sit_in_a_batch_then_each_is_a_row_and_the_good_ones_are_scored(
    fake_lab, tmp_path, capsys
):
    paths = hostile_notebooks(tmp_path / "subs")
    out_json = tmp_path / "scores.json"

    code = main(["grade", "--checks", str(FAKE_CHECKS), str(tmp_path / "subs"), "--json", str(out_json)])

    assert code == 0
    table = capsys.readouterr().out
    rows = {
        Path(row["notebook"]).stem.removeprefix("98-"): row for row in json.loads(out_json.read_text())["notebooks"]
    }
    assert set(rows) == set(paths)
    for name in paths:
        assert f"98-{name}.ipynb" in table
    assert rows["good-first"]["points"] == rows["good-last"]["points"] == 3


@pytest.mark.parametrize(
    ("case", "points", "reason"),
    [
        ("folder-as-file", 1, "a file stands where a folder should be"),
        ("file-then-folder", 3, "a file stands where a folder should be"),
        ("writefile-onto-folder", 3, "a folder of that name already exists"),
        ("long-name", 3, "the name is too long"),
        ("long-path", 3, "the name is too long"),
        ("nul-name", 3, "NUL"),
        ("non-string-source", 3, None),
        ("cell-not-a-dict", 3, None),
        ("metadata-a-string", 3, None),
        ("metadata-lab-a-list", 3, None),
        ("metadata-lab-a-path", 3, None),
        ("cells-not-a-list", None, None),
    ],
)
def test_when_one_cell_is_malformed_then_only_that_cell_is_refused_with_a_reason(
    fake_lab, tmp_path, capsys, case, points, reason
):
    paths = hostile_notebooks(tmp_path / "subs")
    out_json = tmp_path / "scores.json"

    main(["grade", "--checks", str(FAKE_CHECKS), str(paths[case]), "--json", str(out_json)])

    (row,) = json.loads(out_json.read_text())["notebooks"]
    if points is None:
        assert row["problem"] and row["points"] == 0
    else:
        assert (row["problem"], row["points"]) == (None, points)
    if reason is not None:
        assert any(reason in text for text in row["refused_reasons"]), row["refused_reasons"]
        assert all("\x00" not in text and len(text) < 300 for text in row["refused_paths"] + row["refused_reasons"])


def test_when_the_notebook_is_not_json_then_its_row_says_it_cannot_be_read(fake_lab, tmp_path, capsys):
    paths = hostile_notebooks(tmp_path / "subs")
    out_json = tmp_path / "scores.json"

    main(
        [
            "grade",
            "--checks",
            str(FAKE_CHECKS),
            str(paths["unreadable-json"]),
            str(paths["binary-garbage"]),
            "--json",
            str(out_json),
        ]
    )

    rows = json.loads(out_json.read_text())["notebooks"]
    assert [row["problem"].split(" (")[0] for row in rows] == ["cannot read the notebook"] * 2
    assert "cannot read the notebook" in capsys.readouterr().out


def test_when_the_lab_given_is_not_a_lab_id_then_each_row_says_so(tmp_path, capsys):
    paths = hostile_notebooks(tmp_path / "subs")
    out_json = tmp_path / "scores.json"

    main(["grade", "--checks", str(FAKE_CHECKS), str(paths["good-first"]), "--lab", "../x", "--json", str(out_json)])

    (row,) = json.loads(out_json.read_text())["notebooks"]
    assert "is not a lab id" in row["problem"]
