"""Labs are generated from solutions: answers cut out by the rules in lambdalab.grading.assign."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from lambdalab.grading.assign import (
    MarkerError,
    build_labs,
    lab_statuses,
    make_lab,
    render_lab,
)
from lambdalab.grading.markers import is_unsolved_text

ROOT = Path(__file__).resolve().parents[1]

HANDLER_SOLUTION = """%%writefile lab01/ex2/app.py
import boto3

# BEGIN SOLUTION
s3 = boto3.client("s3")
# END SOLUTION


def handler(event, context):
    # BEGIN SOLUTION
    buckets = s3.list_buckets()["Buckets"]
    return len(buckets)
    # END SOLUTION
"""


def solution(*cells: nbformat.NotebookNode, **metadata: object) -> nbformat.NotebookNode:
    return v4.new_notebook(cells=list(cells), metadata=metadata)


def lab_source(source: str, name: str = "solutions/01-x.ipynb") -> str:
    return make_lab(solution(v4.new_code_cell(source)), name).cells[0].source


def test_when_answer_is_in_a_function_body_then_lab_has_placeholder_and_raise_naming_the_exercise():
    lab = lab_source(HANDLER_SOLUTION)

    assert lab.splitlines()[-2:] == ["    # YOUR CODE HERE", '    raise NotImplementedError("exercise 2")']
    assert "list_buckets" not in lab


def test_when_answer_is_at_module_level_then_lab_keeps_only_the_placeholder_comment():
    lab = lab_source(HANDLER_SOLUTION)

    assert lab.splitlines()[:4] == ["%%writefile lab01/ex2/app.py", "import boto3", "", "# YOUR CODE HERE"]
    assert "boto3.client" not in lab


def test_when_cell_writes_a_file_then_the_magic_line_stays_first():
    assert lab_source(HANDLER_SOLUTION).startswith("%%writefile lab01/ex2/app.py\n")


def test_when_no_exercise_number_is_known_then_the_raise_says_your_code_here():
    lab = lab_source("def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n")

    assert 'raise NotImplementedError("your code here")' in lab


def test_generated_lab_code_still_compiles():
    body = lab_source(HANDLER_SOLUTION).split("\n", 1)[1]

    compile(body, "app.py", "exec")


def test_generated_lab_file_is_recognised_by_the_grader_as_unsolved():
    body = lab_source(HANDLER_SOLUTION).split("\n", 1)[1]

    assert is_unsolved_text(body)
    assert not is_unsolved_text(HANDLER_SOLUTION)


def test_when_cell_is_tagged_solution_then_lab_has_a_stub_keeping_the_magic_and_other_tags():
    cell = v4.new_code_cell(
        "%%writefile lab01/ex3/app.py\nprint('answer')", metadata={"tags": ["solution", "x"]}
    )

    lab_cell = make_lab(solution(cell)).cells[0]

    assert lab_cell.source == "%%writefile lab01/ex3/app.py\n# YOUR CODE HERE"
    assert lab_cell.metadata["tags"] == ["x"]


def test_when_plain_code_cell_is_tagged_solution_then_lab_has_only_the_placeholder():
    cell = v4.new_code_cell("x = 42", metadata={"tags": ["solution"]})

    lab_cell = make_lab(solution(cell)).cells[0]

    assert lab_cell.source == "# YOUR CODE HERE"
    assert "tags" not in lab_cell.metadata


def test_when_markdown_is_tagged_solution_then_lab_drops_the_cell():
    cells = [v4.new_markdown_cell("Q"), v4.new_markdown_cell("A", metadata={"tags": ["solution"]})]

    assert [c.source for c in make_lab(solution(*cells)).cells] == ["Q"]


def test_markdown_between_markers_is_removed_and_the_rest_kept():
    text = "Why?\n\n<!-- BEGIN SOLUTION -->\nBecause init runs once.\n<!-- END SOLUTION -->\n"

    assert make_lab(solution(v4.new_markdown_cell(text))).cells[0].source == "Why?"


def test_markdown_without_markers_is_kept_byte_for_byte():
    text = "# Title\n\nSome *text*.\n\n"

    assert make_lab(solution(v4.new_markdown_cell(text))).cells[0].source == text


def test_all_code_outputs_and_execution_counts_are_cleared():
    stream = v4.new_output("stream", name="stdout", text="42\n")
    cells = [
        v4.new_code_cell(HANDLER_SOLUTION, outputs=[stream], execution_count=3),
        v4.new_code_cell(
            "check(2)",
            outputs=[stream],
            execution_count=4,
            metadata={"execution": {"iopub.status.idle": "2025-01-31T12:00:00Z"}},
        ),
    ]

    lab = make_lab(solution(*cells))

    assert [(c.outputs, c.execution_count) for c in lab.cells] == [([], None), ([], None)]
    assert "execution" not in lab.cells[1].metadata


def test_notebook_metadata_is_kept_and_the_lab_id_added_from_the_file_name():
    nb = solution(v4.new_code_cell("1"), kernelspec={"name": "python3", "display_name": "Python 3"})

    lab = make_lab(nb, "solutions/02a-concurrency-live.ipynb")

    assert lab.metadata["kernelspec"]["name"] == "python3"
    assert lab.metadata["lambdalab"] == {"lab": "02a"}


def test_solution_notebook_is_not_modified():
    nb = solution(v4.new_code_cell(HANDLER_SOLUTION, outputs=[v4.new_output("stream", text="x")]))
    before = nbformat.writes(nb)

    make_lab(nb, "solutions/01-x.ipynb")

    assert nbformat.writes(nb) == before


@pytest.mark.parametrize(
    ("source", "line", "complaint"),
    [
        ("a = 1\n# END SOLUTION", 2, "without a '# BEGIN SOLUTION' before it"),
        ("# BEGIN SOLUTION\na = 1", 1, "is never closed"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", 2, "inside the block opened on line 1"),
        ("a = 1\n  # BEGIN SOLUTIONS\n", 2, "looks like a marker"),
        ("#begin solution\n", 1, "looks like a marker"),
    ],
)
def test_unbalanced_or_misspelled_code_markers_name_notebook_cell_and_line(source, line, complaint):
    nb = solution(v4.new_markdown_cell("intro"), v4.new_code_cell(source))

    with pytest.raises(MarkerError) as error:
        make_lab(nb, "solutions/01-x.ipynb")

    assert f"solutions/01-x.ipynb, cell 1, line {line}:" in str(error.value)
    assert complaint in str(error.value)


def test_comments_that_merely_mention_solutions_are_not_markers():
    assert lab_source("# Begin: the solution to part 1\nx = 1") == "# Begin: the solution to part 1\nx = 1"


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("<!-- BEGIN SOLUTION -->\nA", "is never closed"),
        ("A\n<!-- END SOLUTION -->", "without a"),
        ("<!-- begin solution -->\nA", "looks like a marker"),
    ],
)
def test_unbalanced_or_misspelled_markdown_markers_are_refused(source, complaint):
    with pytest.raises(MarkerError, match=complaint):
        make_lab(solution(v4.new_markdown_cell(source)), "solutions/01-x.ipynb")


# --- folders: build, check, determinism ---------------------------------------------------------------


def write_solution(folder: Path, name: str, source: str = HANDLER_SOLUTION) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(solution(v4.new_markdown_cell("# Lab"), v4.new_code_cell(source)), path)
    return path


def test_build_writes_a_lab_per_solution_and_then_everything_is_up_to_date(tmp_path):
    write_solution(tmp_path / "solutions", "01-cold-start.ipynb")
    write_solution(tmp_path / "solutions", "02a-concurrency.ipynb")

    changed = build_labs(tmp_path / "solutions", tmp_path / "labs")

    assert sorted(s.lab.name for s in changed) == ["01-cold-start.ipynb", "02a-concurrency.ipynb"]
    assert all(s.ok for s in lab_statuses(tmp_path / "solutions", tmp_path / "labs"))


def test_rebuilding_labs_changes_nothing_byte_for_byte(tmp_path):
    write_solution(tmp_path / "solutions", "01-cold-start.ipynb")
    build_labs(tmp_path / "solutions", tmp_path / "labs")
    first = (tmp_path / "labs/01-cold-start.ipynb").read_bytes()

    changed = build_labs(tmp_path / "solutions", tmp_path / "labs")

    assert changed == []
    assert (tmp_path / "labs/01-cold-start.ipynb").read_bytes() == first
    assert first == render_lab(tmp_path / "solutions/01-cold-start.ipynb").encode()


def test_lab_file_is_formatted_as_nbformat_writes_it(tmp_path):
    write_solution(tmp_path / "solutions", "01-cold-start.ipynb")
    build_labs(tmp_path / "solutions", tmp_path / "labs")
    lab_path = tmp_path / "labs/01-cold-start.ipynb"
    again = tmp_path / "again.ipynb"

    nbformat.write(nbformat.read(lab_path, as_version=4), again)

    assert again.read_bytes() == lab_path.read_bytes()


def test_check_reports_a_lab_whose_solution_changed_as_stale(tmp_path):
    write_solution(tmp_path / "solutions", "01-cold-start.ipynb")
    build_labs(tmp_path / "solutions", tmp_path / "labs")
    write_solution(tmp_path / "solutions", "01-cold-start.ipynb", HANDLER_SOLUTION.replace("s3", "sqs"))

    statuses = lab_statuses(tmp_path / "solutions", tmp_path / "labs")

    assert [(s.lab.name, s.state) for s in statuses] == [("01-cold-start.ipynb", "stale")]


def test_check_reports_hand_edited_missing_and_orphan_labs(tmp_path):
    write_solution(tmp_path / "solutions", "01-a.ipynb")
    write_solution(tmp_path / "solutions", "03-c.ipynb")
    build_labs(tmp_path / "solutions", tmp_path / "labs")
    edited = tmp_path / "labs/01-a.ipynb"
    edited.write_text(edited.read_text().replace("YOUR CODE HERE", "my code"))
    (tmp_path / "labs/03-c.ipynb").unlink()
    write_solution(tmp_path / "labs", "09-gone.ipynb")

    states = {s.lab.name: s.state for s in lab_statuses(tmp_path / "solutions", tmp_path / "labs")}

    assert states == {"01-a.ipynb": "stale", "03-c.ipynb": "missing", "09-gone.ipynb": "orphan"}


def test_build_removes_labs_whose_solution_is_gone(tmp_path):
    (tmp_path / "solutions").mkdir()
    write_solution(tmp_path / "labs", "09-gone.ipynb")

    build_labs(tmp_path / "solutions", tmp_path / "labs")

    assert not (tmp_path / "labs/09-gone.ipynb").exists()


def test_notebooks_not_named_like_course_notebooks_are_ignored(tmp_path):
    write_solution(tmp_path / "solutions", "scratch.ipynb")

    assert lab_statuses(tmp_path / "solutions", tmp_path / "labs") == []


def test_labs_in_the_repository_are_up_to_date_with_solutions():
    """Passes vacuously only while there are no solutions (and no labs) yet."""
    statuses = lab_statuses(ROOT / "solutions", ROOT / "labs")
    bad = [f"{s.state}: {s.lab.relative_to(ROOT)}" for s in statuses if not s.ok]

    assert bad == [], "labs/ differ from solutions/: run `lambdalab labs build` and commit labs/"


# --- labs under nbval -----------------------------------------------------------------------------------


def executed(source: str, count: int, *outputs: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return v4.new_code_cell(source, execution_count=count, outputs=list(outputs))


#: A solution as it is stored after running it: outputs included, so strict nbval compares them.
NBVAL_SOLUTION = [
    executed("import os\nos.makedirs('lab97/ex1', exist_ok=True)", 1),
    executed(
        "%%writefile lab97/ex1/app.py\n"
        "def handler(event, context):\n    # BEGIN SOLUTION\n    return 42\n    # END SOLUTION",
        2,
        v4.new_output("stream", name="stdout", text="Writing lab97/ex1/app.py\n"),
    ),
    executed(
        "import runpy\n"
        "from lambdalab.grading import checker, exercise, failed, passed\n\n"
        "@exercise(lab='97', number=1, title='The answer', files=['lab97/ex1/app.py'])\n"
        "def the_answer(answer):\n"
        "    got = runpy.run_path(str(answer / 'lab97/ex1/app.py'))['handler']({}, None)\n"
        "    return passed() if got == 42 else failed(expected='42', got=repr(got))\n\n"
        "check = checker('97')",
        3,
    ),
    executed(
        "check(1)",
        4,
        v4.new_output(
            "execute_result", data={"text/plain": "✔ Exercise 1 — The answer: passed"}, execution_count=4
        ),
    ),
]


def test_a_solution_with_its_outputs_and_its_generated_lab_both_pass_strict_nbval(tmp_path):
    """The check's feedback is stable text nbval can compare; the lab, stored unexecuted, only has to run.

    This is why `python3 course.py test` can run labs under strict --nbval in the same pytest invocation.
    The solution is run twice, so the second %%writefile says "Overwriting" (sanitized).
    """
    solution = v4.new_notebook(
        cells=NBVAL_SOLUTION, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )
    (tmp_path / "solutions").mkdir()
    nbformat.write(solution, tmp_path / "solutions/97-answer.ipynb")
    (tmp_path / "solutions/lab97/ex1").mkdir(parents=True)
    (tmp_path / "solutions/lab97/ex1/app.py").write_text("left from an earlier run\n")
    build_labs(tmp_path / "solutions", tmp_path / "labs")

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "lambdalab.deferred_imports",  # as course.py runs nbval: jsonschema's IRI grammars cost 2 s of CPU
            "--nbval",
            "--nbval-current-env",
            f"--nbval-sanitize-with={ROOT / 'tests/nbval_sanitize.cfg'}",
            "solutions",
            "labs",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert run.returncode == 0, run.stdout[-3000:]
    assert "8 passed" in run.stdout
