"""Any benchmark here at an earlier revision and at this one, alternating: one part of the course side by side.

    .venv/bin/python benchmarks/against.py REV [--rounds 3] -- bench_runtime.py --cold 3 --plambda 2

Why: this machine's speed drifts by a factor of up to three from one day to the next (``README.md``, eighth
session), so a benchmark's number is only worth comparing with another taken in the same hour. This runs the
benchmark as it was at ``REV`` and as it is in this working tree, one after the other, and swaps who goes first
each round, so a drift within the run reaches both.

The earlier revision runs from a ``git worktree`` of ``REV`` (removed at the end): its own copy of the script,
its own ``lambdalab`` first on ``PYTHONPATH``, and this clone's Python and installed dependencies. A revision
whose dependencies differ from today's needs a clone of its own instead (``bench_suite.py`` makes one). Each
run's output is printed under a heading; the benchmark's own lines say what it measured.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from side_by_side import alternating

ROOT = Path(__file__).resolve().parents[1]


def command(tree: Path, script: str, arguments: list[str]) -> tuple[list[str], dict[str, str]]:
    """How to run ``benchmarks/<script>`` of ``tree`` with this Python, ``tree``'s lambdalab imported first."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")]))}
    return [sys.executable, str(tree / "benchmarks" / script), *arguments], env


def split_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """This tool's arguments, and the benchmark's (everything after the first ``--``)."""
    if "--" not in argv:
        return argv, []
    at = argv.index("--")
    return argv[:at], argv[at + 1 :]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     usage="%(prog)s REVISION [--rounds N] -- SCRIPT [ITS ARGUMENTS]")
    parser.add_argument("revision", help="the earlier revision: a commit, a branch or a tag")
    parser.add_argument("--rounds", type=int, default=3, help="each round runs both once (default 3)")
    own, benchmark = split_arguments(sys.argv[1:])
    args = parser.parse_args(own)
    if not benchmark:
        parser.error("name the benchmark after --, e.g. -- bench_runtime.py --cold 3")
    script, arguments = Path(benchmark[0]).name, benchmark[1:]
    if not (ROOT / "benchmarks" / script).is_file():
        parser.error(f"no benchmarks/{script} in this tree")

    with tempfile.TemporaryDirectory(prefix="bench-against-") as folder:
        worktree = Path(folder) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(worktree), args.revision],
                       check=True)
        try:
            if not (worktree / "benchmarks" / script).is_file():
                raise SystemExit(f"{args.revision} has no benchmarks/{script}: it cannot be run there")
            trees = {"before": worktree, "now": ROOT}
            for number, which in enumerate(alternating("before", "now", args.rounds)):
                label = args.revision if which == "before" else "this tree"
                print(f"\n=== round {number // 2 + 1}: {script} at {label}", flush=True)
                cmd, env = command(trees[which], script, arguments)
                done = subprocess.run(cmd, cwd=trees[which], env=env)
                if done.returncode:
                    raise SystemExit(f"{script} at {label} exited with {done.returncode}")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=False)


if __name__ == "__main__":
    main()
