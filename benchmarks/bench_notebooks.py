"""How long lessons take top to bottom, and what in them costs: wall time and CPU seconds, per notebook and cell.

Run: ``python benchmarks/bench_notebooks.py notebooks/06a-sam-templates.ipynb [more.ipynb ...] [--cells]``.

The course's rule is a lesson under 30 s top to bottom on 2 cores. Wall time on a shared machine says more about
the other processes than about the lesson, so each cell is also measured in CPU seconds: the kernel's own, those
of the processes it started and waited for (``sam`` commands), and those of its live descendants (execution
environments). CPU seconds do not grow with other processes' load. On an idle machine a cell that runs one thing
at a time takes about its CPU seconds plus its waits; one that runs things side by side can take less.

The notebook runs as ``nbval`` runs it: in a fresh kernel, from the ``notebooks`` folder; nothing is written back.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class CellCost:
    index: int
    wall: float
    cpu: float
    source: str


class KernelTree:
    """CPU seconds of a kernel process and everything below it, including descendants that have since ended."""

    def __init__(self, pid: int) -> None:
        self._kernel = psutil.Process(pid)

    def cpu(self) -> float:
        """The kernel's own CPU seconds, those of the children it reaped, and those of every live descendant.

        A descendant that ended counts through ``children_*`` once its parent, the kernel, has reaped it; one
        reaped by another descendant (rare here) is counted in none.
        """
        times = self._kernel.cpu_times()
        live = 0.0
        for child in self._kernel.children(recursive=True):
            try:
                child_times = child.cpu_times()
            except psutil.Error:
                continue  # ended between listing and reading
            live += child_times.user + child_times.system
        return times.user + times.system + times.children_user + times.children_system + live


def run(path: Path) -> tuple[float, float, list[CellCost]]:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}
    )
    costs: list[CellCost] = []
    started = time.perf_counter()
    with client.setup_kernel():
        tree = KernelTree(client.km.provisioner.process.pid)
        before_all = tree.cpu()
        for index, cell in enumerate(notebook.cells):
            wall, cpu = time.perf_counter(), tree.cpu()
            client.execute_cell(cell, index)
            costs.append(CellCost(index, time.perf_counter() - wall, tree.cpu() - cpu, cell.source))
        total_cpu = tree.cpu() - before_all
    return time.perf_counter() - started, total_cpu, costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--cells", action="store_true", help="list every cell over 0.3 s of wall or CPU time")
    args = parser.parse_args()
    for path in args.notebooks:
        wall, cpu, costs = run(path.resolve())
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{path.name}: wall {wall:6.1f} s, CPU {cpu:5.1f} s (kernel start-up not counted; load {load})")
        if args.cells:
            for cost in costs:
                if cost.wall > 0.3 or cost.cpu > 0.3:
                    first = cost.source.strip().splitlines()[0][:60] if cost.source.strip() else ""
                    print(f"  [{cost.index:2}] wall {cost.wall:6.2f} s  CPU {cost.cpu:5.2f} s  {first}")


if __name__ == "__main__":
    main()
