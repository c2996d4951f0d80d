"""An instructor scores lab notebooks: every registered exercise, a table and JSON, nothing executed."""

from __future__ import annotations

import json

import nbformat
from nbformat import v4

from lambdalab.grading import Status
from lambdalab.grading.assign import make_lab
from lambdalab.grading.score import find_notebooks, format_table, grade_notebook, grade_paths, lab_of, to_json

SOLVED = {
    "lab98/ex1/app.py": "def handler(event, context):\n    return 'hello'",
    "lab98/ex2/app.py": "def handler(event, context):\n    return event['n'] ** 2",
}
SOLUTION_CELLS = [
    v4.new_markdown_cell("# Lab 98"),
    v4.new_code_cell(
        "%%writefile lab98/ex1/app.py\n"
        "def handler(event, context):\n    # BEGIN SOLUTION\n    return 'hello'\n    # END SOLUTION"
    ),
    v4.new_code_cell("check(1)"),
    v4.new_code_cell(
        "%%writefile lab98/ex2/app.py\ndef handler(event, context):\n    # BEGIN SOLUTION\n"
        "    return event['n'] ** 2\n    # END SOLUTION"
    ),
    v4.new_code_cell("check(2)"),
]


def answers(files: dict[str, str]) -> list[nbformat.NotebookNode]:
    return [v4.new_code_cell(f"%%writefile {path}\n{body}") for path, body in files.items()]


def statuses(score) -> list[str]:
    return [r.status.value for r in score.results]


def test_a_solved_notebook_passes_every_exercise_and_earns_all_points(fake_lab, write_notebook):
    score = grade_notebook(write_notebook("98-hello.ipynb", answers(SOLVED)))

    assert (score.lab, statuses(score), score.points, score.max_points) == ("98", ["passed", "passed"], 3, 3)


def test_the_generated_lab_is_not_yet_solved_and_its_solution_passes(fake_lab, write_notebook):
    solution = v4.new_notebook(cells=SOLUTION_CELLS)
    lab = write_notebook("labs/98-hello.ipynb", make_lab(solution, "solutions/98-hello.ipynb").cells)

    assert statuses(grade_notebook(lab)) == ["not yet solved", "not yet solved"]
    assert (
        statuses(grade_notebook(write_notebook("solutions/98-hello.ipynb", SOLUTION_CELLS))) == ["passed"] * 2
    )


def test_a_wrong_answer_fails_with_expected_and_got(fake_lab, write_notebook):
    files = {**SOLVED, "lab98/ex2/app.py": "def handler(event, context):\n    return event['n'] * 2"}

    result = grade_notebook(write_notebook("98-x.ipynb", answers(files))).results[1]

    assert (result.status, result.got, result.points) == (Status.FAILED, "14 for n = 7", 0)


def test_an_answer_that_raises_is_an_error_and_the_other_exercises_are_still_graded(fake_lab, write_notebook):
    files = {**SOLVED, "lab98/ex1/app.py": "def handler(event, context):\n    raise ValueError('boom')"}

    score = grade_notebook(write_notebook("98-x.ipynb", answers(files)))

    assert statuses(score) == ["error", "passed"]
    assert score.results[0].got == "the check could not finish: ValueError: boom"
    assert score.points == 1


def test_outputs_stored_in_the_notebook_are_not_believed(fake_lab, write_notebook):
    lying = v4.new_code_cell(
        "check(1)", outputs=[v4.new_output("stream", text="✔ Exercise 1 — Say hello: passed")]
    )

    score = grade_notebook(write_notebook("98-x.ipynb", [lying]))

    assert statuses(score) == ["not yet solved", "not yet solved"]


def test_other_cells_of_a_submission_are_not_run(fake_lab, write_notebook, tmp_path):
    marker = tmp_path / "ran.txt"
    cells = [v4.new_code_cell(f"open({str(marker)!r}, 'w').write('x')"), *answers(SOLVED)]

    grade_notebook(write_notebook("98-x.ipynb", cells))

    assert not marker.exists()


def test_a_folder_is_graded_notebook_by_notebook_into_a_table_and_json(fake_lab, write_notebook, tmp_path):
    write_notebook("class/alice/98-hello.ipynb", answers(SOLVED))
    write_notebook("class/bob/98-hello.ipynb", [])
    write_notebook("class/bob/.ipynb_checkpoints/98-hello-checkpoint.ipynb", [])

    scores = grade_paths([tmp_path / "class"])
    table = format_table(scores).splitlines()
    report = json.loads(to_json(scores))

    assert [s.notebook for s in scores] == [
        str(tmp_path / f"class/{who}/98-hello.ipynb") for who in ("alice", "bob")
    ]
    assert table[0].split() == ["notebook", "lab", "ex1", "ex2", "points"]
    assert table[1].split()[1:] == ["98", "passed", "passed", "3/3"]
    assert table[2].split()[1:] == ["98", "unsolved", "unsolved", "0/3"]
    assert [n["points"] for n in report["notebooks"]] == [3, 0]
    assert report["notebooks"][0]["exercises"][0] == {
        "status": "passed",
        "lab": "98",
        "exercise": 1,
        "title": "Say hello",
        "expected": "",
        "got": "",
        "hint": "",
        "points": 2.0,
    }


def test_json_report_is_the_same_bytes_for_the_same_submissions(fake_lab, write_notebook, tmp_path):
    write_notebook("class/98-a.ipynb", answers(SOLVED))

    assert to_json(grade_paths([tmp_path / "class"])) == to_json(grade_paths([tmp_path / "class"]))


def test_lab_comes_from_metadata_first_then_from_the_file_name(tmp_path):
    tagged = v4.new_notebook(metadata={"lambdalab": {"lab": "02a"}})

    assert lab_of(tmp_path / "01-x.ipynb", tagged) == "02a"
    assert lab_of(tmp_path / "01-x.ipynb", v4.new_notebook()) == "01"
    assert lab_of(tmp_path / "alice.ipynb", v4.new_notebook()) is None


def test_a_renamed_lab_is_still_graded_through_its_metadata(fake_lab, write_notebook):
    score = grade_notebook(
        write_notebook("alice copy.ipynb", answers(SOLVED), metadata={"lambdalab": {"lab": "98"}})
    )

    assert statuses(score) == ["passed", "passed"]


def test_notebooks_that_cannot_be_graded_are_rows_that_say_why(fake_lab, write_notebook, tmp_path):
    broken = tmp_path / "98-broken.ipynb"
    broken.write_text("{ not json")
    unnamed = write_notebook("homework.ipynb", [])
    unknown = write_notebook("96-nothing.ipynb", [])

    problems = [s.problem for s in grade_paths([broken, unnamed, unknown])]

    assert problems[0] == "cannot read the notebook (NotJSONError)"
    assert problems[1].startswith("cannot tell which lab this is")
    assert problems[2].startswith("there are no checks for lab 96")
    assert "cannot tell which lab" in format_table(grade_paths([unnamed]))


def test_the_lab_can_be_given_for_notebooks_that_do_not_say(fake_lab, write_notebook):
    assert (
        statuses(grade_notebook(write_notebook("homework.ipynb", answers(SOLVED)), lab="98"))
        == ["passed"] * 2
    )


def test_files_and_folders_may_be_mixed_and_each_notebook_is_graded_once(write_notebook, tmp_path):
    one = write_notebook("a/01-x.ipynb", [])

    assert find_notebooks([one, tmp_path / "a"]) == [one]
