"""The whole test suite at two revisions, side by side: a fresh clone's README test command, wall time and CPU.

    .venv/bin/python benchmarks/bench_suite.py BEFORE [AFTER] [--rounds 1]

Why side by side: this machine's speed drifts by more than any change to the suite. The same commit (06108ff)
ran the suite in 4 min 57 s on 6 December 2026 and in 13 min 4 s on 7 December, with 2.9 times the processor
time, on the same code and the same dependencies. A wall time from another day says more about the machine
than about the code; two revisions run one after the other, in alternating order, compare the code.

Each round clones this repository once per revision into a temporary folder and runs ``python3 course.py
test`` there, as CI does: a fresh ``.venv``, set-up included. The order alternates round by round (BEFORE
then AFTER, then AFTER then BEFORE), so a drift within the run reaches both. For each run it records:

- wall seconds, and pytest's own seconds from its summary line;
- CPU seconds (user + system) of everything the run started and waited for (``RUSAGE_CHILDREN``): pytest's
  workers, notebook kernels, execution environments, the SAM CLI, PostgreSQL. A process nobody waited for is
  not counted, so this is a lower bound;
- the tests passed and failed (the revisions may have different tests: the count says how many);
- a machine probe taken just before: the CPU seconds of a fixed pure-Python workload. It does not correct
  anything; it tells a reader whether the machine was fast or slow that day.

AFTER defaults to ``HEAD``. Uncommitted changes are not measured: commit them first. Results go to
``benchmarks/results/suite.json``, each run's output to ``benchmarks/results/suite-logs/``. A round of two
revisions is two whole suite runs (10 to 30 minutes here).
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from side_by_side import alternating, ratios, write_results

ROOT = Path(__file__).resolve().parents[1]
#: pytest's last line, e.g. ``==== 2038 passed, 1 warning in 598.26s (0:09:58) ====``.
_SUMMARY = re.compile(r"=+ (?P<counts>.*?) in (?P<seconds>[\d.]+)s")


@dataclass(frozen=True)
class SuiteRun:
    """One run of the README's test command: what it cost, what it passed, and how fast the machine was."""

    revision: str
    commit: str
    wall_s: float
    pytest_s: float | None
    cpu_s: float
    passed: int
    failed: int
    returncode: int
    probe_cpu_s: float


def summary_counts(output: str) -> tuple[int, int, float | None]:
    """Passed and failed (errors count as failed) and pytest's seconds, from the last summary line of ``output``."""
    found = list(_SUMMARY.finditer(output))
    if not found:
        return 0, 0, None
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", found[-1]["counts"])}
    failed = counts.get("failed", 0) + counts.get("errors", 0) + counts.get("error", 0)
    return counts.get("passed", 0), failed, float(found[-1]["seconds"])


def probe() -> float:
    """CPU seconds of a fixed pure-Python workload (dict and str work, as an interpreter does all day)."""
    started = time.process_time()
    table: dict[str, int] = {}
    total = 0
    for i in range(600_000):
        key = str(i)
        table[key] = i
        total += len(key) + table[key] % 7
    return time.process_time() - started


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite(revision: str, workspace: Path, python: str, logs: Path) -> SuiteRun:
    """Clone this repository at ``revision`` into ``workspace`` and run the README's test command there; its
    output goes to a file in ``logs``."""
    clone = workspace / f"{revision.replace('/', '_')}-{time.monotonic_ns()}"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", revision], check=True)
    commit = subprocess.run(["git", "-C", str(clone), "rev-parse", "--short", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()
    probe_s = probe()
    cpu_before, started = _children_cpu(), time.perf_counter()
    done = subprocess.run([python, "course.py", "test"], cwd=clone, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    logs.mkdir(parents=True, exist_ok=True)
    (logs / f"{clone.name}.log").write_text(done.stdout + done.stderr)
    shutil.rmtree(clone, ignore_errors=True)  # its .venv is over a gigabyte; the next run makes its own
    passed, failed, pytest_s = summary_counts(done.stdout)
    return SuiteRun(revision, commit, wall, pytest_s, cpu, passed, failed, done.returncode, probe_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="a revision: a commit, a branch or a tag")
    parser.add_argument("after", nargs="?", default="HEAD", help="a revision (default: HEAD)")
    parser.add_argument("--rounds", type=int, default=1, help="each round runs both revisions once")
    parser.add_argument("--python", default=sys._base_executable if hasattr(sys, "_base_executable") else "python3",
                        help="the python3 that runs course.py (default: the one under this script's venv)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "suite.json")
    args = parser.parse_args()

    runs: list[SuiteRun] = []
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as folder:
        for revision in alternating(args.before, args.after, args.rounds):
            run = run_suite(revision, Path(folder), args.python, args.out.parent / "suite-logs")
            runs.append(run)
            print(f"{run.revision} ({run.commit}): {run.wall_s:.0f} s wall, {run.cpu_s:.0f} s CPU, "
                  f"{run.passed} passed, {run.failed} failed, rc {run.returncode}; probe {run.probe_cpu_s:.3f} s")
    before = [r for r in runs if r.revision == args.before]
    after = [r for r in runs if r.revision == args.after]
    summary = {
        "before": args.before,
        "after": args.after,
        "wall": ratios([r.wall_s for r in before], [r.wall_s for r in after]),
        "cpu": ratios([r.cpu_s for r in before], [r.cpu_s for r in after]),
        "runs": [asdict(r) for r in runs],
    }
    for what in ("wall", "cpu"):
        print(f"{what}: {args.before} / {args.after} = {summary[what]['ratio_median']:.2f} "
              f"(median of {args.rounds} rounds; range {summary[what]['ratio_min']:.2f}-"
              f"{summary[what]['ratio_max']:.2f})")
    write_results(args.out, summary)
    if any(r.returncode for r in runs):
        raise SystemExit(f"a suite run failed: its output is in {args.out.parent / 'suite-logs'}")


if __name__ == "__main__":
    main()
