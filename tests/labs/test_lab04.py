"""Lab 04's checks: right answers pass, wrong ones are told what went wrong, placeholders are not yet solved."""

from __future__ import annotations

import pytest
from answers import write

from lambdalab.grading import Status
from lambdalab.grading.lab04 import check

BUILD = """
import io
import zipfile
from pathlib import Path


def build_layer(src_dir):
    root = Path(src_dir)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if not path.is_file() or "__pycache__" in relative.parts or path.suffix == ".pyc":
                continue
            entry = zipfile.ZipInfo("python/" + relative.as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    return buffer.getvalue()
"""
BUILD_WITHOUT_PYTHON_FOLDER = BUILD.replace(
    'zipfile.ZipInfo("python/" + relative.as_posix()', "zipfile.ZipInfo(relative.as_posix()"
)
BUILD_WITH_MODIFICATION_TIMES = """
import io
import zipfile
from pathlib import Path


def build_layer(src_dir):
    root = Path(src_dir)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(root.rglob("*.py")) + sorted(root.rglob("*.json")):
            if "__pycache__" not in path.parts:
                archive.write(path, "python/" + path.relative_to(root).as_posix())
    return buffer.getvalue()
"""
BUILD_WITH_BYTECODE = BUILD.replace(' or "__pycache__" in relative.parts or path.suffix == ".pyc"', "")
UPGRADE = """
def upgrade_layer(lam, function_name, layer_name):
    versions = lam.list_layer_versions(LayerName=layer_name)["LayerVersions"]
    newest = max(versions, key=lambda v: v["Version"])["LayerVersionArn"]
    current = [layer["Arn"] for layer in lam.get_function_configuration(FunctionName=function_name)["Layers"]]
    layers = [newest if arn.split(":")[6] == layer_name else arn for arn in current]
    lam.update_function_configuration(FunctionName=function_name, Layers=layers)
    return newest
"""
UPGRADE_DROPPING_THE_OTHERS = """
def upgrade_layer(lam, function_name, layer_name):
    versions = lam.list_layer_versions(LayerName=layer_name)["LayerVersions"]
    newest = max(versions, key=lambda v: v["Version"])["LayerVersionArn"]
    lam.update_function_configuration(FunctionName=function_name, Layers=[newest])
    return newest
"""
UPGRADE_BY_PREFIX = UPGRADE.replace('arn.split(":")[6] == layer_name', "layer_name in arn")
UPGRADE_MOVED_TO_THE_END = UPGRADE.replace(
    'layers = [newest if arn.split(":")[6] == layer_name else arn for arn in current]',
    'layers = [arn for arn in current if arn.split(":")[6] != layer_name] + [newest]',
)
UPGRADE_TO_THE_NEXT_VERSION = UPGRADE.replace(
    "layers = [newest if",
    'pinned = next(arn for arn in current if arn.split(":")[6] == layer_name)\n'
    '    newest = pinned.rsplit(":", 1)[0] + ":" + str(int(pinned.rsplit(":", 1)[1]) + 1)\n'
    "    layers = [newest if",
)
BUILD_PYTHON_FILES_ONLY = BUILD.replace("if not path.is_file() or", 'if path.suffix != ".py" or')
SPLIT = """
def split(functions):
    holders = {}
    for files in functions.values():
        for path, content in files.items():
            holders.setdefault(path, []).append(content)
    shared = {path for path, contents in holders.items() if len(contents) >= 2 and len(set(contents)) == 1}
    layer = {f"python/{path}": holders[path][0] for path in shared}
    packages = {name: {p: c for p, c in files.items() if p not in shared} for name, files in functions.items()}
    return layer, packages
"""
SPLIT_BY_PATH_ONLY = SPLIT.replace(" and len(set(contents)) == 1", "")
SPLIT_ONLY_WHAT_EVERY_FUNCTION_HAS = SPLIT.replace("len(contents) >= 2", "len(contents) == len(functions)")
SPLIT_LEAVING_COPIES = SPLIT.replace("if p not in shared}", "}")


def test_ex1_when_the_zip_has_the_python_layout_and_fixed_times_then_a_function_imports_from_it(tmp_path):
    result = check(1, write(tmp_path, "lab04/ex1/build.py", BUILD))
    assert result.status is Status.PASSED, result.render()


def test_ex1_when_the_entries_lack_the_python_folder_then_it_says_where_lambda_looks(tmp_path):
    result = check(1, write(tmp_path, "lab04/ex1/build.py", BUILD_WITHOUT_PYTHON_FOLDER))
    assert result.status is Status.FAILED
    assert "missing python/" in result.got and "python/ folder on the import path" in result.hint


def test_ex1_when_the_zip_records_modification_times_then_it_asks_for_the_same_bytes(tmp_path):
    result = check(1, write(tmp_path, "lab04/ex1/build.py", BUILD_WITH_MODIFICATION_TIMES))
    assert result.status is Status.FAILED
    assert result.got == "different bytes" and "date_time" in result.hint


def test_ex1_when_stale_bytecode_is_shipped_then_it_names_the_file(tmp_path):
    result = check(1, write(tmp_path, "lab04/ex1/build.py", BUILD_WITH_BYTECODE))
    assert result.status is Status.FAILED
    assert "__pycache__" in result.got


def test_ex1_when_data_files_are_left_out_then_it_names_the_missing_file(tmp_path):
    result = check(1, write(tmp_path, "lab04/ex1/build.py", BUILD_PYTHON_FILES_ONLY))
    assert result.status is Status.FAILED
    assert "missing python/" in result.got and "data.json" in result.got


def test_ex2_when_the_upgraded_layer_moves_to_the_end_then_it_says_to_keep_the_order(tmp_path):
    result = check(2, write(tmp_path, "lab04/ex2/upgrade.py", UPGRADE_MOVED_TO_THE_END))
    assert result.status is Status.FAILED
    assert "keep the layers in their order" in result.hint


def test_ex2_when_the_next_version_is_taken_for_the_newest_then_it_says_which_is_newest(tmp_path):
    result = check(2, write(tmp_path, "lab04/ex2/upgrade.py", UPGRADE_TO_THE_NEXT_VERSION))
    assert result.status is Status.FAILED
    assert "the highest Version" in result.hint


def test_ex3_when_only_files_every_function_has_are_shared_then_it_names_one_two_share(tmp_path):
    result = check(3, write(tmp_path, "lab04/ex3/split.py", SPLIT_ONLY_WHAT_EVERY_FUNCTION_HAS))
    assert result.status is Status.FAILED
    assert "2 functions need it, identical" in result.expected


def test_ex3_when_shared_files_stay_in_the_packages_too_then_it_names_the_copy(tmp_path):
    result = check(3, write(tmp_path, "lab04/ex3/split.py", SPLIT_LEAVING_COPIES))
    assert result.status is Status.FAILED
    assert "package too" in result.got


def test_ex2_when_only_the_pinned_version_is_replaced_then_the_function_imports_the_newest(tmp_path):
    result = check(2, write(tmp_path, "lab04/ex2/upgrade.py", UPGRADE))
    assert result.status is Status.PASSED, result.render()


def test_ex2_when_the_other_layers_are_dropped_then_it_says_the_list_is_replaced(tmp_path):
    result = check(2, write(tmp_path, "lab04/ex2/upgrade.py", UPGRADE_DROPPING_THE_OTHERS))
    assert result.status is Status.FAILED
    assert "replaces the whole list" in result.hint


def test_ex2_when_a_layer_is_matched_by_prefix_then_it_says_to_match_the_name(tmp_path):
    result = check(2, write(tmp_path, "lab04/ex2/upgrade.py", UPGRADE_BY_PREFIX))
    assert result.status is Status.FAILED
    assert "match the layer by its name" in result.hint


def test_ex3_when_identical_files_needed_twice_are_shared_then_every_function_runs(tmp_path):
    result = check(3, write(tmp_path, "lab04/ex3/split.py", SPLIT))
    assert result.status is Status.PASSED, result.render()


def test_ex3_when_files_are_shared_by_path_alone_then_it_names_the_one_that_differs(tmp_path):
    result = check(3, write(tmp_path, "lab04/ex3/split.py", SPLIT_BY_PATH_ONLY))
    assert result.status is Status.FAILED
    assert "functions have it, but with different contents" in result.expected  # app.py or config.py
    assert result.got == "it is in the layer"


@pytest.mark.parametrize(
    ("number", "relative", "signature"),
    [
        (1, "lab04/ex1/build.py", "def build_layer(src_dir):"),
        (2, "lab04/ex2/upgrade.py", "def upgrade_layer(lam, function_name, layer_name):"),
        (3, "lab04/ex3/split.py", "def split(functions):"),
    ],
)
def test_when_the_answer_is_still_the_placeholder_then_not_yet_solved(tmp_path, number, relative, signature):
    write(
        tmp_path,
        relative,
        f"""
        {signature}
            # YOUR CODE HERE
            raise NotImplementedError("exercise {number}")
    """,
    )
    assert check(number, tmp_path).status is Status.NOT_YET_SOLVED
