"""Benchmark: what a new process pays to import jsonschema, with and without lambdalab's deferral.

jsonschema is imported by moto's API Gateway (a kernel's first API call), cfn-lint and Jupyter; importing
it loads ``rfc3987_syntax``, which compiles its IRI grammars on import (``lambdalab/deferred_imports.py``).
Each round starts fresh interpreters side by side, interleaved: ``import lambdalab`` alone (the baseline),
``import lambdalab, jsonschema`` with the deferral, and the same with the deferral undone before jsonschema
is imported (what every process paid before). Reported: each one's median CPU seconds of the import
(user + system of the child process) and the ratio. Run: ``python benchmarks/bench_imports.py [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys

SCRIPTS = {
    "import lambdalab": "import lambdalab",
    "+ jsonschema, deferred": "import lambdalab, jsonschema",
    "+ jsonschema, not deferred": "import sys, lambdalab; sys.modules.pop('rfc3987_syntax', None); import jsonschema",
}


def child_cpu_seconds(code: str) -> float:
    """CPU seconds (user + system) one fresh interpreter spends running ``code``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {name: [] for name in SCRIPTS}
    for _ in range(args.repeat):
        for name, code in SCRIPTS.items():  # interleaved: a busy spell hits all three
            seconds[name].append(child_cpu_seconds(code))
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    base = medians["import lambdalab"]
    print(f"median CPU seconds of a fresh interpreter, {args.repeat} rounds interleaved")
    for name, median in medians.items():
        print(f"  {name:28} {median:6.2f} s   (jsonschema's share: {median - base:5.2f} s)")
    deferred = medians["+ jsonschema, deferred"] - base
    not_deferred = medians["+ jsonschema, not deferred"] - base
    print(f"importing jsonschema costs {not_deferred / max(deferred, 1e-9):.1f}x as much without the deferral")


if __name__ == "__main__":
    main()
