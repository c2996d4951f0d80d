"""How long lessons take top to bottom, cell by cell, as a learner runs them (a fresh kernel each).

The course asks a lesson to run in under 30 s on 2 cores. On a shared machine the load decides most of a
run's time, so each run prints the load averages before it, and ``--before REV`` runs the same notebook as
it was at a git revision right before the current one (interleaved), so the two meet the same load::

    .venv/bin/python benchmarks/bench_notebooks.py notebooks/07c-sqs-duplicates.ipynb --before HEAD~3

Cells slower than ``--slow`` seconds are listed with their first line: the place to look for a wait to cut.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def cell_seconds(cell: nbformat.NotebookNode) -> float | None:
    """How long the kernel took for one cell, from the timing nbclient records in the cell's metadata."""
    execution = cell.metadata.get("execution", {})
    began, ended = execution.get("iopub.execute_input"), execution.get("shell.execute_reply")
    if not (began and ended):
        return None
    return (
        dt.datetime.fromisoformat(ended.replace("Z", "+00:00"))
        - dt.datetime.fromisoformat(began.replace("Z", "+00:00"))
    ).total_seconds()


def run(path: Path, label: str, slow: float) -> float:
    notebook = nbformat.read(path, as_version=4)
    load = os.getloadavg()
    began = time.perf_counter()
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    total = time.perf_counter() - began
    print(f"{label:48} {total:6.1f} s   load before {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for index, cell in enumerate(notebook.cells):
        seconds = cell_seconds(cell) if cell.cell_type == "code" else None
        if seconds is not None and seconds >= slow:
            print(f"    cell {index:2}  {seconds:5.1f} s  {cell.source.splitlines()[0][:70]}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--before", help="also run each notebook as it was at this git revision, interleaved")
    parser.add_argument("--slow", type=float, default=2.0, help="list cells at least this slow (seconds)")
    args = parser.parse_args()
    for path in args.notebooks:
        path = path.resolve()
        if args.before:
            relative = path.relative_to(ROOT).as_posix()
            old = subprocess.run(
                ["git", "show", f"{args.before}:{relative}"], cwd=ROOT, check=True, capture_output=True, text=True
            ).stdout
            copy = path.with_name(f".bench-before-{path.name}")  # beside it: the same relative paths work
            copy.write_text(old, encoding="utf-8")
            try:
                run(copy, f"{path.name} @ {args.before}", args.slow)
            finally:
                copy.unlink()
        run(path, f"{path.name} (working tree)", args.slow)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
