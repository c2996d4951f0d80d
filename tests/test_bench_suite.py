"""The whole-suite benchmark reads pytest's summary right and alternates who goes first, round by round."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_suite  # noqa: E402 - a script folder, not a package


def test_a_passing_run_gives_its_passed_count_and_pytest_seconds():
    output = "....\n=========== 2038 passed, 1 warning in 598.26s (0:09:58) ===========\n"

    assert bench_suite.summary_counts(output) == (2038, 0, 598.26)


def test_failures_and_errors_both_count_as_failed():
    output = "==== 3 failed, 2033 passed, 2 errors in 12.50s ====\n"

    assert bench_suite.summary_counts(output) == (2033, 5, 12.5)


def test_the_last_summary_line_wins_and_no_summary_gives_nothing():
    output = "==== 1 passed in 1.00s ====\nsub-run\n==== 7 passed in 2.00s ====\n"

    assert bench_suite.summary_counts(output) == (7, 0, 2.0)
    assert bench_suite.summary_counts("ImportError: no module named lambdalab\n") == (0, 0, None)


def test_each_round_swaps_which_revision_runs_first():
    assert bench_suite.run_order(("old", "new"), 3) == ["old", "new", "new", "old", "old", "new"]
