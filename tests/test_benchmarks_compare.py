"""Every benchmark can make its comparison with the ``bench`` extra, and fails (never skips) without it.

The suite installs the ``bench`` extra (pyproject's ``test`` extra includes it), so a dependency change that
breaks a comparison tool — python-lambda-local needs ``pkg_resources``, which setuptools 82 removed —
fails here rather than in a benchmark run that silently leaves the comparison out.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

#: Each benchmark that compares against another tool, and its function that loads that tool (or exits).
COMPARISONS = {"bench_runtime": "python_lambda_local", "bench_sim": "simfaas_simulator"}
TOOL_PACKAGES = {"bench_runtime": "lambda_local", "bench_sim": "simfaas"}


def _benchmark(name: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module(name)


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_with_the_bench_extra_the_benchmark_loads_the_tool_it_compares_against(name, monkeypatch):
    loader = getattr(_benchmark(name, monkeypatch), COMPARISONS[name])

    assert loader()  # python-lambda-local's pieces, or SimFaaS's simulator class


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_without_its_comparison_tool_the_benchmark_exits_with_an_error_naming_the_extra(name, monkeypatch):
    loader = getattr(_benchmark(name, monkeypatch), COMPARISONS[name])
    package = TOOL_PACKAGES[name]
    for module in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, package, None)  # as if it were not installed

    with pytest.raises(SystemExit) as exited:
        loader()

    assert "cannot be imported" in str(exited.value.code) and "pip install -e '.[bench]'" in str(exited.value.code)
