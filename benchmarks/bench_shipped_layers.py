"""The layers lambdalab ships, with their bytecode and without it: Init Duration of a cold start that imports them.

    .venv/bin/python benchmarks/bench_shipped_layers.py               # 7 cold starts of each variant
    .venv/bin/python benchmarks/bench_shipped_layers.py --rounds 15

Two layers are built the way the course builds them: AWS's public Powertools layer as the sandbox serves it
(:mod:`lambdalab.service.public_layers`) and the pg8000 driver layer (:func:`lambdalab.databases.driver_layer`).
Both carry checked-hash bytecode for the runtime's Python, as AWS's Powertools layer does. Each is also
published with its ``.pyc`` files removed, which is how they were built before December 2026. One function per
variant imports what a lesson's handler imports. The variants' cold starts are interleaved round by round, so
load from elsewhere falls on them alike. The report gives each variant's median Init Duration, and the ratio
without / with bytecode.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import zipfile

HANDLERS = {
    "Powertools": "from aws_lambda_powertools import Logger, Metrics, Tracer\n"
    "from aws_lambda_powertools.utilities.batch import BatchProcessor\n\ndef handler(event, context):\n    return 1\n",
    "pg8000": "import pg8000.native\n\ndef handler(event, context):\n    return 1\n",
}


def without_bytecode(layer: bytes) -> bytes:
    """The same layer with every ``.pyc`` left out."""
    source, out = zipfile.ZipFile(io.BytesIO(layer)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if not info.filename.endswith(".pyc"):
                archive.writestr(info, source.read(info))
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="cold starts per variant (default 7)")
    args = parser.parse_args()

    import lambdalab
    from lambdalab.databases import driver_layer
    from lambdalab.service.public_layers import powertools_zip

    box = lambdalab.sandbox()
    lam = box.client("lambda")
    layers = {"Powertools": powertools_zip(), "pg8000": driver_layer()}
    functions = {}
    for name, layer in layers.items():
        for label, content in (("with bytecode", layer), ("without", without_bytecode(layer))):
            arn = lam.publish_layer_version(LayerName=f"{name}-{label.split()[0]}", Content={"ZipFile": content})[
                "LayerVersionArn"
            ]
            function = lambdalab.deploy(f"bench-{name}-{label.split()[0]}".lower(), code=HANDLERS[name], layers=[arn])
            function.invoke({})  # unpacks the layer, off the clock
            functions[(name, label)] = function
    inits: dict[tuple[str, str], list[float]] = {key: [] for key in functions}
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):
        for key, function in functions.items():
            function.shutdown()
            inits[key].append(function.invoke({}).report.init_duration_ms)
    for function in functions.values():
        function.shutdown()
    print(f"{'layer':12} {'variant':15} {'median Init Duration':>21} {'min':>8} {'max':>8}")
    for (name, label), values in inits.items():
        print(f"{name:12} {label:15} {statistics.median(values):18.0f} ms {min(values):6.0f} ms {max(values):6.0f} ms")
    for name in layers:
        ratio = statistics.median(inits[(name, "without")]) / statistics.median(inits[(name, "with bytecode")])
        print(f"{name}: without bytecode / with, ratio of medians: {ratio:.2f}x")
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    box.stop()


if __name__ == "__main__":
    main()
