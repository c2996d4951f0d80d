"""The grader recovers answer files from %%writefile cells' text, never by running a notebook."""

from __future__ import annotations

from nbformat import v4

from lambdalab.grading.extract import extract_answers, parse_writefile


def answer_cell(path: str, body: str):
    return v4.new_code_cell(f"%%writefile {path}\n{body}")


def test_writefile_body_is_the_rest_of_the_cell_ending_in_a_newline_as_ipython_writes_it():
    cell = parse_writefile("%%writefile lab01/ex1/app.py\nx = 1")

    assert (cell.path, cell.append, cell.content) == ("lab01/ex1/app.py", False, "x = 1\n")


def test_quoted_paths_and_append_flag_are_understood():
    cell = parse_writefile('%%writefile -a "my dir/app.py"\nx = 1\n')

    assert (cell.path, cell.append) == ("my dir/app.py", True)


def test_cells_that_do_not_start_with_the_magic_are_not_answers():
    assert parse_writefile("# a comment\n%%writefile app.py\nx = 1") is None
    assert parse_writefile("%%time\nx = 1") is None
    assert parse_writefile("print('%%writefile')") is None


def test_later_cells_overwrite_and_append_in_notebook_order(write_notebook, tmp_path):
    notebook = write_notebook(
        "01-x.ipynb",
        [
            answer_cell("a/app.py", "first"),
            answer_cell("a/app.py", "second"),
            v4.new_code_cell("%%writefile -a a/app.py\nthird"),
        ],
    )

    extraction = extract_answers(notebook, tmp_path / "out")

    assert (tmp_path / "out/a/app.py").read_text() == "second\nthird\n"
    assert extraction.written == ("a/app.py",)


def test_paths_outside_the_grading_folder_are_refused_not_written(write_notebook, tmp_path):
    cells = [answer_cell(p, "x") for p in ("/tmp/evil.py", "../evil.py", "a/../../evil.py", "~/evil.py")]
    notebook = write_notebook("01-x.ipynb", [*cells, answer_cell("ok.py", "x")])

    extraction = extract_answers(notebook, tmp_path / "out")

    assert extraction.refused == ("/tmp/evil.py", "../evil.py", "a/../../evil.py", "~/evil.py")
    assert extraction.written == ("ok.py",)
    assert not (tmp_path / "evil.py").exists()


def test_no_other_cell_is_executed(write_notebook, tmp_path):
    marker = tmp_path / "ran.txt"
    notebook = write_notebook("01-x.ipynb", [v4.new_code_cell(f"open({str(marker)!r}, 'w').write('ran')")])

    extraction = extract_answers(notebook, tmp_path / "out")

    assert extraction.written == ()
    assert not marker.exists()
