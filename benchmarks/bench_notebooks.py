"""How long each lesson notebook takes top to bottom, cell by cell, with the machine's load beside it.

The course's rule is under 30 s a notebook on 2 cores. A notebook's time swings with the machine's load, so
the load average (``os.getloadavg``) is printed before and after each run: compare runs made under similar
load, or on an idle machine. The first run after a fresh install also compiles every module it imports
(Python caches the bytecode in ``__pycache__``), so run twice and read the second.

    .venv/bin/python benchmarks/bench_notebooks.py notebooks/08a-capstone-monitoring.ipynb --slowest 6
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def cell_seconds(cell: nbformat.NotebookNode) -> float:
    """A cell's run time from the execution timestamps nbclient records."""
    timing = cell.get("metadata", {}).get("execution", {})
    started, ended = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (started and ended):
        return 0.0
    return (dt.datetime.fromisoformat(ended) - dt.datetime.fromisoformat(started)).total_seconds()


def run(path: Path, slowest: int) -> float:
    notebook = nbformat.read(path, as_version=4)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="lambdalab-bench-") as folder:
        # A copy runs in a scratch folder: the notebook's own files (runbook/, lab answers) stay out of the repo.
        client = NotebookClient(
            notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": folder}}, record_timing=True
        )
        started = time.perf_counter()
        client.execute()
        total = time.perf_counter() - started
    load_after = os.getloadavg()
    cells = [
        (cell_seconds(c), i, "".join(c.source).splitlines()[0][:70])
        for i, c in enumerate(notebook.cells)
        if c.cell_type == "code" and c.source
    ]
    print(
        f"{path.name}: {total:.1f} s top to bottom (kernel start included); cells {sum(s for s, *_ in cells):.1f} s;"
        f" load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    for seconds, index, first_line in sorted(cells, reverse=True)[:slowest]:
        print(f"  cell {index:>2}: {seconds:6.2f} s  {first_line}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--slowest", type=int, default=5, help="how many of the slowest cells to list")
    parser.add_argument("--repeat", type=int, default=1, help="runs per notebook (the first compiles bytecode)")
    args = parser.parse_args()
    for path in args.notebooks:
        for _ in range(args.repeat):
            run(path, args.slowest)


if __name__ == "__main__":
    main()
