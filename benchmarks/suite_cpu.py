"""Where the test suite's processor time goes, file by file: a pytest plugin, and the report of what it recorded.

    PYTHONPATH=benchmarks python3 course.py test -p suite_cpu        # records, one file per xdist worker
    .venv/bin/python benchmarks/suite_cpu.py                          # the report: files by CPU seconds

For each test (a notebook cell counts as a test), the plugin records the worker's own processor time and that
of the child processes it reaped during the test (``resource.getrusage``): a notebook's kernel, a SAM CLI, a
subprocess sandbox. A process the worker did not reap is not counted, such as the execution environments of a
kernel that nbval killed, so the figures are lower bounds. Records go to ``$LAMBDALAB_SUITE_CPU_DIR`` (default:
``suite-cpu`` in the temporary folder).
"""

from __future__ import annotations

import collections
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import pytest

OUT = Path(os.environ.get("LAMBDALAB_SUITE_CPU_DIR", Path(tempfile.gettempdir()) / "suite-cpu"))
_rows: list[tuple[str, float, float, float]] = []


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):  # noqa: ANN001, ARG001 - pytest's hook signature
    own, children, wall = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    yield
    _rows.append((
        item.nodeid,
        _cpu(resource.RUSAGE_SELF) - own,
        _cpu(resource.RUSAGE_CHILDREN) - children,
        time.perf_counter() - wall,
    ))


def pytest_sessionfinish(session):  # noqa: ANN001, ARG001 - pytest's hook signature
    OUT.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (OUT / f"{worker}.json").write_text(json.dumps(_rows))


def report(folder: Path = OUT, top: int = 30) -> None:
    by_file: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    for path in sorted(folder.glob("*.json")):
        for nodeid, own, children, wall in json.loads(path.read_text()):
            row = by_file[nodeid.split("::")[0]]
            row[0], row[1], row[2], row[3] = row[0] + own, row[1] + children, row[2] + wall, row[3] + 1
    if not by_file:
        raise SystemExit(f"nothing recorded in {folder}: run the suite with -p suite_cpu first (see the docstring)")
    totals = [sum(row[i] for row in by_file.values()) for i in range(3)]
    print(f"{len(by_file)} files: {totals[0] + totals[1]:.0f} s of CPU ({totals[0]:.0f} s in the workers, "
          f"{totals[1]:.0f} s in reaped children), {totals[2]:.0f} s of worker time")
    for kind in ("notebooks", "solutions", "labs", "tests"):
        rows = [row for name, row in by_file.items() if name.startswith(kind + "/")]
        print(f"  {kind:10} {sum(r[0] + r[1] for r in rows):7.0f} s CPU in {len(rows)} files")
    print(f"\n{'CPU s':>7} {'own':>7} {'children':>9} {'worker s':>9} {'tests':>6}  file")
    ranked = sorted(by_file.items(), key=lambda item: -(item[1][0] + item[1][1]))
    for name, (own, children, wall, count) in ranked[:top]:
        print(f"{own + children:7.1f} {own:7.1f} {children:9.1f} {wall:9.1f} {int(count):6d}  {name}")


if __name__ == "__main__":
    report()
