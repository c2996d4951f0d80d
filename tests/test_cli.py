"""The command lines: `lambdalab` (labs, grade, help) and the README's `python3 course.py lab|test`."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from lambdalab.cli import main
from tests.conftest import FAKE_CHECKS

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = (
    "%%writefile lab01/ex1/app.py\ndef handler(event, context):\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION"
)


def write_solution(folder: Path, name: str = "01-cold-start.ipynb", source: str = SOLUTION) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(source)]), folder / name)
    return folder / name


# --- lambdalab ------------------------------------------------------------------------------------------


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])

    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("sandbox", "labs", "grade", "sim"))


def test_help_imports_none_of_the_heavy_machinery():
    code = (
        "import sys; from lambdalab.cli import main\n"
        "try: main(['--help'])\n"
        "except SystemExit: pass\n"
        "heavy = {'moto', 'boto3', 'nbformat', 'numpy', 'simpy'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert out.strip().splitlines()[-1] == "[]"


def test_labs_build_then_check_passes(tmp_path, capsys):
    write_solution(tmp_path / "solutions")
    args = ["--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")]

    assert main(["labs", "build", *args]) == 0
    assert main(["labs", "check", *args]) == 0
    assert "1 lab(s) up to date" in capsys.readouterr().out


def test_labs_check_fails_naming_the_stale_lab(tmp_path, capsys):
    write_solution(tmp_path / "solutions")
    args = ["--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")]
    main(["labs", "build", *args])
    write_solution(tmp_path / "solutions", source=SOLUTION.replace("return 1", "return 2"))

    assert main(["labs", "check", *args]) == 1
    assert f"stale: {tmp_path / 'labs/01-cold-start.ipynb'}" in capsys.readouterr().out


def test_labs_build_reports_marker_errors_without_a_traceback(tmp_path, capsys):
    write_solution(tmp_path / "solutions", source="# BEGIN SOLUTION\nx = 1")

    code = main(["labs", "build", "--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")])

    assert code == 2
    err = capsys.readouterr().err
    assert "01-cold-start.ipynb, cell 0, line 1: '# BEGIN SOLUTION' is never closed" in err
    assert "Traceback" not in err


def test_labs_build_outside_the_course_says_where_to_run_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)

    assert main(["labs", "build"]) == 2
    assert "no solutions/ folder here" in capsys.readouterr().err


def test_grade_prints_a_table_and_writes_json(fake_lab, tmp_path, capsys):
    cells = [v4.new_code_cell("%%writefile lab98/ex1/app.py\ndef handler(event, context):\n    return 'hello'")]
    nbformat.write(v4.new_notebook(cells=cells), tmp_path / "98-hello.ipynb")

    code = main(["grade", str(tmp_path), "--json", str(tmp_path / "scores.json"), "--checks", str(FAKE_CHECKS)])

    assert code == 0
    table = capsys.readouterr().out.splitlines()
    assert table[1].split()[1:] == ["98", "passed", "unsolved", "2/3"]
    assert json.loads((tmp_path / "scores.json").read_text())["notebooks"][0]["points"] == 2


def test_grade_of_a_missing_path_is_a_usage_error(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nope.ipynb")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_grade_of_a_folder_without_notebooks_is_a_usage_error(tmp_path, capsys):
    assert main(["grade", str(tmp_path)]) == 2
    assert "no notebooks found" in capsys.readouterr().err


# --- course.py ------------------------------------------------------------------------------------------


@pytest.fixture
def course(tmp_path, monkeypatch):
    """course.py loaded as a module, pointed at a scratch course folder, with commands recorded."""
    spec = importlib.util.spec_from_file_location("course", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(module, "STAMP", tmp_path / ".venv/.lambdalab-installed")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    module.calls = []

    module.environments = []

    def call(args, **kwargs):
        module.calls.append(list(args))
        module.environments.append(kwargs.get("env"))
        return 0

    monkeypatch.setattr(module.subprocess, "call", call)
    monkeypatch.setattr(module, "_run", lambda args, **kwargs: call(args))
    return module


def test_course_sam_cli_installs_the_sam_cli_beside_this_python_without_making_a_venv(course, tmp_path, monkeypatch):
    runs = []
    monkeypatch.setattr(course, "_run", lambda args, **kwargs: runs.append((list(args), kwargs.get("env") or {})))

    assert course.main(["sam-cli"]) == 0

    ((args, env),) = runs
    assert args[:3] == [sys.executable, "-m", "uv"] and args[3:6] == ["tool", "install", "--force"]
    assert args[-3:] == ["--python", sys.executable, course.SAM_CLI]
    assert env["UV_TOOL_BIN_DIR"] == str(Path(sys.executable).parent)
    assert env["UV_TOOL_DIR"] == str(Path(sys.prefix) / "tools")
    assert not (tmp_path / ".venv").exists()


def test_course_test_runs_one_pytest_over_the_folders_that_exist(course, tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "labs").mkdir()

    course.test(["-x"])

    args = course.calls[-1]
    assert args[1:5] == ["-m", "pytest", "labs", "tests"]
    assert "--nbval" in args and "--nbval-sanitize-with=tests/nbval_sanitize.cfg" in args
    assert args[args.index("-p") + 1] == "lambdalab.deferred_imports"  # before nbval's nbformat and jsonschema
    assert args[-1] == "-x"


def test_course_test_given_paths_runs_only_those(course, tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_x.py").write_text("")

    course.test(["tests/test_x.py::test_one", "-k", "cold"])

    assert course.calls[-1][3:5] == ["--nbval", "--nbval-current-env"]
    assert course.calls[-1][-3:] == ["tests/test_x.py::test_one", "-k", "cold"]


def _parallel_args(args: list[str]) -> list[str] | None:
    """The ``-n N --dist loadfile`` course.py added, or None."""
    return args[args.index("-n") : args.index("-n") + 4] if "--dist" in args else None


def test_course_test_runs_the_whole_suite_on_two_more_workers_than_cores_in_whole_files(course, tmp_path):
    (tmp_path / "tests").mkdir()

    course.test([])

    assert course.worker_count(2) == 4 and course.worker_count(1) == 3 and course.worker_count(64) == 8
    assert _parallel_args(course.calls[-1]) == ["-n", str(course.worker_count()), "--dist", "loadfile"]
    assert "--no-loadscope-reorder" in course.calls[-1]  # whole files, in collection order (long ones first)


def test_course_test_collects_the_notebooks_before_the_unit_tests_so_the_longest_files_start_first(course, tmp_path):
    for folder in ("tests", "labs", "notebooks", "solutions"):
        (tmp_path / folder).mkdir()

    course.test([])

    assert course.calls[-1][3:7] == ["notebooks", "solutions", "labs", "tests"]


@pytest.mark.parametrize(
    "choice", [["-n", "0"], ["-n0"], ["-p", "no:xdist"], ["-n", "4"], ["--dist=load"], ["--numprocesses", "2"]]
)
def test_course_test_leaves_the_parallelism_to_a_caller_who_chose_it(course, tmp_path, choice):
    (tmp_path / "tests").mkdir()

    course.test(choice)

    assert course.calls[-1].count("--dist") + course.calls[-1].count("-n") == choice.count("-n")
    assert course.calls[-1][-len(choice) :] == choice


def test_course_test_runs_one_named_file_in_one_process_and_a_named_folder_in_parallel(course, tmp_path):
    (tmp_path / "tests/sub").mkdir(parents=True)
    (tmp_path / "tests/test_x.py").write_text("")
    (tmp_path / "tests/test_y.py").write_text("")

    course.test(["tests/test_x.py::test_one", "tests/test_x.py::test_two", "-x"])
    course.test(["tests/test_x.py", "tests/test_y.py"])
    course.test(["tests/sub", "-k", "cold"])

    one_file, two_files, folder = course.calls[-3:]
    assert _parallel_args(one_file) is None and "-n" not in one_file
    assert _parallel_args(two_files) == ["-n", str(min(2, course.worker_count())), "--dist", "loadfile"]
    assert _parallel_args(folder) == ["-n", str(course.worker_count()), "--dist", "loadfile"]


def test_course_lab_opens_the_start_page_and_allows_root_only_as_root(course, tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / course.START_NOTEBOOK).write_text("{}")
    started = []
    monkeypatch.setattr(course, "_replace_process", started.append)

    monkeypatch.setattr(course.os, "geteuid", lambda: 0, raising=False)
    course.lab(["--port", "9999"])
    monkeypatch.setattr(course.os, "geteuid", lambda: 1000, raising=False)
    course.lab([])

    start = f"--LabApp.default_url=/lab/tree/{course.START_NOTEBOOK}"
    assert started[0][1:] == [
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={tmp_path}",
        start,
        "--ServerApp.allow_root=True",
        "--port",
        "9999",
    ]
    assert started[1][1:] == ["-m", "jupyterlab", f"--ServerApp.root_dir={tmp_path}", start]


def test_course_set_up_is_skipped_while_pyproject_is_unchanged_and_redone_when_it_changes(course, tmp_path,
                                                                                        monkeypatch):
    monkeypatch.setattr(course, "compile_runtime_sdk", lambda python: course.calls.append(["compile runtime SDK"]))
    python = course.venv_python()
    python.parent.mkdir(parents=True)
    python.write_text("")
    (tmp_path / ".venv/bin/uv").write_text("")
    course.STAMP.write_text(course._stamp_value())

    course.ensure_venv()
    assert course.calls == []

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'y'\n")
    course.ensure_venv()
    steps = [c for c in course.calls if "uv" in c or c == ["compile runtime SDK"]]
    assert [c[3:5] if "uv" in c else c for c in steps] == [["pip", "install"], ["compile runtime SDK"],
                                                           ["tool", "install"]]
    # Nothing compiles all 20,000 modules up front: each is compiled when first imported (bytecode_environment).
    assert not any("--compile-bytecode" in c for c in steps)
    assert course.STAMP.read_text().strip() == course._stamp_value()


def test_course_compiles_up_front_exactly_what_execution_environments_import(course, tmp_path):
    """An environment never writes bytecode (-B), so what it imports must be compiled before it starts: the
    runtime SDK and the runtime interface client, under their import names."""
    from lambdalab.runtime.handler_imports import AWSLAMBDARIC, RUNTIME_SDK, top_level_modules

    importable = set()
    for distribution in (*RUNTIME_SDK, *AWSLAMBDARIC):
        importable.update(top_level_modules(importlib.metadata.distribution(distribution)))
    in_python = {name for name in importable  # an extension module (awslambdaric's runtime_client) has no bytecode
                 if not importlib.util.find_spec(name).origin.endswith((".so", ".pyd"))}
    assert {name.removesuffix(".py") for name in course.RUNTIME_PACKAGES} == in_python
    site = tmp_path / "site-packages"
    for name in ("boto3", "six.py", "moto", "jupyterlab"):
        (site / name).mkdir(parents=True) if not name.endswith(".py") else (site / name).write_text("")
    assert course.runtime_sdk_paths(site) == [str(site / "boto3"), str(site / "six.py")]


@pytest.mark.parametrize("command", ["lab", "test"])
def test_course_lab_and_test_let_every_process_write_its_bytecode(course, tmp_path, monkeypatch, command):
    """Where PYTHONDONTWRITEBYTECODE is set, JupyterLab, the tests, their kernels and tools still write each
    module's bytecode once, so no later process compiles it again."""
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("LAMBDALAB_KEPT", "yes")
    execs = []
    monkeypatch.setattr(course.os, "execve", lambda path, args, env: execs.append(env))
    monkeypatch.setattr(course.os, "name", "posix")

    getattr(course, command)([])

    (environment,) = execs if command == "lab" else course.environments
    assert "PYTHONDONTWRITEBYTECODE" not in environment and environment["LAMBDALAB_KEPT"] == "yes"


def test_course_compiles_the_packages_own_modules_which_the_editable_install_leaves_uncompiled(course, tmp_path,
                                                                                                 monkeypatch):
    monkeypatch.setattr(course, "venv_python", lambda: Path(sys.executable))
    modules = [tmp_path / "lambdalab/__init__.py", tmp_path / "lambdalab/runtime/bootstrap_like.py"]
    for module in modules:
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text("VALUE = 1\n")

    course.compile_sources()

    for module in modules:
        assert Path(importlib.util.cache_from_source(str(module))).is_file(), module


@pytest.mark.parametrize("command", ["lab", "test"])
def test_course_lab_and_test_bring_the_bytecode_up_to_date_before_they_start(course, monkeypatch, command):
    order = []
    monkeypatch.setattr(course, "ensure_venv", lambda: order.append("venv"))
    monkeypatch.setattr(course, "compile_sources", lambda: order.append("compile"))
    monkeypatch.setattr(course, command, lambda extra: order.append(command) or 0)

    assert course.main([command]) == 0
    assert order == ["venv", "compile", command]


def test_course_refuses_old_pythons_with_a_clear_message(course, monkeypatch, capsys):
    monkeypatch.setattr(course.sys, "version_info", (3, 9, 1))

    assert course.main(["test"]) == 1
    assert "needs Python 3.11 or newer; this is 3.9.1" in capsys.readouterr().err
