"""Lesson 04, section 5: what each layer costs a cold start here, and how far apart the variants are under noise.

    .venv/bin/python benchmarks/bench_layer_cold_starts.py                  # 10 cold starts of each variant
    .venv/bin/python benchmarks/bench_layer_cold_starts.py --kb 512 --rounds 10
    nice .venv/bin/python -m pytest tests/runtime -n 2 -q & .venv/bin/python benchmarks/bench_layer_cold_starts.py

The lesson deploys one function per variant (no layer; a layer of generated Python the handler imports, with and
without its bytecode; a layer of 14 MB of data nothing imports) and compares their Init Durations. Here the
variants' cold starts are interleaved, round by round, so that load from elsewhere falls on all of them alike;
the report gives each variant's distribution (min, median, max of ``--rounds`` cold starts) and the ratios of
medians the lesson prints, with the 1-minute load average before and after.

Where the time goes, for the record: a layer's zip is unpacked once, when a function first needs it, into a folder
named by its SHA-256 (``lambdalab.service.packages.unpack``) — before the environment's process starts, so never
inside Init Duration. Init Duration runs from the process start to the runtime's first ``/next``: the interpreter
and the runtime client start, then the handler's module imports, and an imported ``.py`` without bytecode is
compiled on every cold start (the environments may not write ``__pycache__``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import py_compile
import random
import statistics
import tempfile
import time
from pathlib import Path

from lambdalab.service.packages import zip_files

FUNCTION = 'def helper_{i}(x, y=1):\n    """Helper number {i}."""\n    return [x * y + {i}, "{i:06d}"]\n\n\n'


def library(kilobytes: int) -> str:
    """About this many kilobytes of generated Python: small functions, like a library's."""
    return "".join(FUNCTION.format(i=i) for i in range(kilobytes * 1024 // len(FUNCTION.format(i=123456))))


def variants(kb: int) -> dict[str, tuple[dict[str, str | bytes], bool]]:
    source = library(kb)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "bulk.py")
        path.write_text(source)
        pyc = Path(py_compile.compile(str(path), invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH))
        bytecode = pyc.read_bytes()
    return {
        "no layer": ({}, False),
        f"{kb} KB .py, imported": ({"python/bulk.py": source}, True),
        f"{kb} KB .py + .pyc, imported": (
            {"python/bulk.py": source, "python/" + importlib.util.cache_from_source("bulk.py"): bytecode},
            True,
        ),
        "14 MB data, not imported": ({"python/data.bin": random.Random(14).randbytes(14 * 2**20)}, False),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, default=512, help="size of the generated module (default 512)")
    parser.add_argument("--rounds", type=int, default=10, help="cold starts of each variant (default 10)")
    args = parser.parse_args()

    import boto3

    import lambdalab

    box = lambdalab.sandbox()
    box.reset()
    lam = boto3.client("lambda")
    load_before = os.getloadavg()[0]
    functions = {}
    for k, (name, (files, imports)) in enumerate(variants(args.kb).items()):
        layers = []
        if files:
            layers = [
                lam.publish_layer_version(LayerName=f"size-{k}", Content={"ZipFile": zip_files(files)})[
                    "LayerVersionArn"
                ]
            ]
        code = ("import bulk\n" if imports else "") + "def handler(event, context):\n    return None\n"
        functions[name] = lambdalab.deploy(f"size-{k}", code=code, layers=layers, memory=1024)
    started = time.perf_counter()
    init_ms: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(args.rounds):
        for name, fn in functions.items():
            fn.shutdown()
            init_ms[name].append(fn.invoke({}).report.init_duration_ms)
    wall = time.perf_counter() - started
    print(
        f"{args.rounds} interleaved cold starts of each variant in {wall:.1f} s; "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (2 cores)\n"
    )
    print(f"{'variant':32} {'min':>7} {'median':>7} {'max':>7}  (Init Duration, ms)")
    for name, samples in init_ms.items():
        print(f"{name:32} {min(samples):7.0f} {statistics.median(samples):7.0f} {max(samples):7.0f}")
    median = {name: statistics.median(samples) for name, samples in init_ms.items()}
    bare, py, pyc, data = (median[n] for n in functions)
    print(f"\n.py imported / 14 MB data:   {py / data:.1f}×")
    print(f".py imported / .py + .pyc:   {py / pyc:.1f}×")
    print(f"14 MB data / no layer:       {data / bare:.2f}×")
    py_samples, data_samples = init_ms[list(functions)[1]], init_ms["14 MB data, not imported"]
    print(f"slowest data cold start vs fastest .py cold start: {max(data_samples):.0f} vs {min(py_samples):.0f} ms")
    box.reset()


if __name__ == "__main__":
    main()
