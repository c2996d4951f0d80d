"""The side-by-side tools: the whole-suite benchmark reads pytest's summary right, each round swaps who goes first,
and a benchmark run at an earlier revision imports that revision's lambdalab."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def tools(monkeypatch):
    """The scripts, imported from benchmarks/ (a folder of scripts, not a package) for this test only."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    names = ("against", "bench_suite", "side_by_side")
    return SimpleNamespace(**{name: importlib.import_module(name) for name in names})


def test_a_passing_run_gives_its_passed_count_and_pytest_seconds(tools):
    output = "....\n=========== 2038 passed, 1 warning in 598.26s (0:09:58) ===========\n"

    assert tools.bench_suite.summary_counts(output) == (2038, 0, 598.26)


def test_failures_and_errors_both_count_as_failed(tools):
    output = "==== 3 failed, 2033 passed, 2 errors in 12.50s ====\n"

    assert tools.bench_suite.summary_counts(output) == (2033, 5, 12.5)


def test_the_last_summary_line_wins_and_no_summary_gives_nothing(tools):
    output = "==== 1 passed in 1.00s ====\nsub-run\n==== 7 passed in 2.00s ====\n"

    assert tools.bench_suite.summary_counts(output) == (7, 0, 2.0)
    assert tools.bench_suite.summary_counts("ImportError: no module named lambdalab\n") == (0, 0, None)


def test_each_round_swaps_which_revision_runs_first(tools):
    assert tools.side_by_side.alternating("old", "new", 3) == ["old", "new", "new", "old", "old", "new"]


def test_an_earlier_revision_runs_its_own_script_with_its_own_lambdalab_first(tools, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "elsewhere")

    cmd, env = tools.against.command(tmp_path, "bench_runtime.py", ["--cold", "3"])

    assert cmd == [sys.executable, str(tmp_path / "benchmarks" / "bench_runtime.py"), "--cold", "3"]
    assert env["PYTHONPATH"].split(os.pathsep) == [str(tmp_path), "elsewhere"]


def test_the_benchmarks_arguments_are_everything_after_the_first_double_dash(tools):
    argv = ["abc123", "--rounds", "2", "--", "bench_sqs.py", "--repeat", "1", "--"]
    own, benchmark = tools.against.split_arguments(argv)

    assert own == ["abc123", "--rounds", "2"]
    assert benchmark == ["bench_sqs.py", "--repeat", "1", "--"]
    assert tools.against.split_arguments(["abc123"]) == (["abc123"], [])
