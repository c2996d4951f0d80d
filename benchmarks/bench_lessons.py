"""How long each lesson takes to run top to bottom, as Run All does it, and which of its cells take longest.

    .venv/bin/python benchmarks/bench_lessons.py                      # every lesson in notebooks/
    .venv/bin/python benchmarks/bench_lessons.py notebooks/04-layers.ipynb
    .venv/bin/python benchmarks/bench_lessons.py notebooks/07c-sqs-duplicates.ipynb --before HEAD~3

The course's goal is under 30 s a lesson on a 2-core machine. Each notebook runs in a fresh kernel, in
memory (its file is not rewritten), from the notebook's own folder, as Jupyter runs it. A timing means
little without the machine's load, so every line carries the 1-minute load average before and after: on a
2-core machine anything above 2 means other work is competing for the processors and the figures are upper
bounds. The processor time of the kernel and of the processes it reaped (the sandbox runs in the kernel, the
functions' environments are its child processes) changes far less with the load; it is a lower bound, as an
environment still running when the kernel stops is not counted. Cells that raise stop the notebook and are
reported. ``--before REV`` also runs each notebook as it was at a git revision, right before the current one,
so that both meet about the same load: the way to show what a change to a lesson saved on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(ROOT.joinpath("notebooks").glob("[0-9]*.ipynb"))
GOAL_S = 30.0


def run(path: Path, timeout: float = 600) -> tuple[float, list[tuple[int, float]], str]:
    """Wall time of the whole notebook (kernel start included), each code cell's, and the error if one raised."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    )
    cells: list[tuple[int, float]] = []
    error = ""
    began = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            started = time.perf_counter()
            try:
                client.execute_cell(cell, index)
            except Exception as raised:  # noqa: BLE001 - a failing lesson is reported, not raised
                error = f"cell {index}: {type(raised).__name__}"
                cells.append((index, time.perf_counter() - started))
                break
            cells.append((index, time.perf_counter() - started))
    return time.perf_counter() - began, cells, error


def report(path: Path, label: str, slowest_count: int) -> None:
    """Run one notebook and print its line: wall time, processor time, load around it, slowest cells."""
    load_before = os.getloadavg()[0]
    used_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    total, cells, error = run(path)
    used_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_after = os.getloadavg()[0]
    cpu = (used_after.ru_utime + used_after.ru_stime) - (used_before.ru_utime + used_before.ru_stime)
    slowest = ", ".join(f"[{i}] {s:.1f} s" for i, s in sorted(cells, key=lambda c: -c[1])[:slowest_count])
    verdict = "over" if total > GOAL_S else "under"
    print(
        f"{label:48} {total:6.1f} s ({verdict}), processor {cpu:5.1f} s  "
        f"load {load_before:5.2f} → {load_after:5.2f}  "
        f"slowest cells: {slowest}" + (f"  FAILED at {error}" if error else ""),
        flush=True,
    )


def at_revision(path: Path, revision: str) -> Path:
    """The notebook as it was at ``revision``, written beside the current one so its relative paths still work."""
    relative = path.relative_to(ROOT).as_posix()
    old = subprocess.run(
        ["git", "show", f"{revision}:{relative}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    copy = path.with_name(f".bench-before-{path.name}")
    copy.write_text(old, encoding="utf-8")
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, default=LESSONS)
    parser.add_argument("--slowest", type=int, default=3, help="how many of the slowest cells to name")
    parser.add_argument("--before", help="also run each notebook as it was at this git revision, interleaved")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each; the first also compiles what it imports, read the later"
    )
    args = parser.parse_args()
    print(f"{os.cpu_count()} processors; goal: under {GOAL_S:.0f} s a lesson on 2 cores")
    for path in (notebook.resolve() for notebook in args.notebooks for _ in range(args.repeat)):
        if args.before:
            copy = at_revision(path, args.before)
            try:
                report(copy, f"{path.name} @ {args.before}", args.slowest)
            finally:
                copy.unlink()
        report(path, path.name, args.slowest)


if __name__ == "__main__":
    main()
