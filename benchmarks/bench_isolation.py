"""Cold-start cost of isolating handlers from the course's environment, measured side by side in one run.

Run: ``python benchmarks/bench_isolation.py [--cold 15]``.

"isolated" is how execution environments start now: ``python -s -S -P -B bootstrap.py``, which assembles
the handler's path (task root, layers, the runtime's SDK only) and adopts orphans. "course venv" is how they
started before: the runtime client run directly with the whole virtual environment importable (site
processing on, ``PYTHONPATH`` holding the task root). Cold starts of the two alternate, so load on the
machine hits both alike; the medians are printed with their ratio, for a trivial handler and for one that
imports boto3 at init.
"""

from __future__ import annotations

import argparse
import atexit
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lambdalab.runtime.config import FunctionConfig
from lambdalab.runtime.environment import (
    CLIENT_SCRIPT,
    STREAMING_CLIENT_SCRIPT,
    ExecutionEnvironment,
    RuntimeClient,
)

HANDLERS = {
    "trivial": "def handler(event, context):\n    return event\n",
    "imports boto3": "import boto3\nclient = boto3.client('s3')\ndef handler(event, context):\n    return event\n",
}


class CourseVenvEnvironment(ExecutionEnvironment):
    """The environment as it was started before isolation: the course's whole venv on the path."""

    def _child_environment(self, api_address: str) -> dict[str, str]:
        env = super()._child_environment(api_address)
        env.pop("_LAMBDALAB_RUNTIME", None)
        env["PYTHONPATH"] = str(self.config.code_dir)
        return env

    def _command(self) -> list[str]:
        if self.runtime_client is RuntimeClient.AWSLAMBDARIC:
            return [sys.executable, "-m", "awslambdaric", self.config.handler]
        script = STREAMING_CLIENT_SCRIPT if self.runtime_client is RuntimeClient.STREAMING else CLIENT_SCRIPT
        return [sys.executable, str(script), self.config.handler]


def cold_ms(kind: type[ExecutionEnvironment], config: FunctionConfig, client: RuntimeClient) -> tuple[float, float]:
    """(init duration as the REPORT line states it, wall time of the cold invoke), in ms."""
    env = kind(config, runtime_client=client)
    try:
        start = time.perf_counter()
        result = env.invoke({"n": 1})
        wall = (time.perf_counter() - start) * 1000.0
        assert result.error is None, result.error
        return result.report.init_duration_ms, wall
    finally:
        env.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=15, help="cold starts per variant (default 15)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lambdalab-bench-isolation-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    clients = [RuntimeClient.default()] + (
        [RuntimeClient.BUILTIN] if RuntimeClient.default() is not RuntimeClient.BUILTIN else []
    )
    print(f"{'handler':14} {'client':13} {'variant':12} {'init ms':>8} {'cold invoke ms':>15}")
    for label, source in HANDLERS.items():
        folder = work / label.replace(" ", "-")
        folder.mkdir()
        (folder / "app.py").write_text(source)
        config = FunctionConfig("bench-isolation", folder)
        for client in clients:
            samples: dict[str, list[tuple[float, float]]] = {"course venv": [], "isolated": []}
            for kind in (CourseVenvEnvironment, ExecutionEnvironment):  # warm the file cache for both
                cold_ms(kind, config, client)
            for _ in range(args.cold):
                samples["course venv"].append(cold_ms(CourseVenvEnvironment, config, client))
                samples["isolated"].append(cold_ms(ExecutionEnvironment, config, client))
            medians = {k: tuple(statistics.median(x[i] for x in v) for i in (0, 1)) for k, v in samples.items()}
            for variant, (init, wall) in medians.items():
                print(f"{label:14} {client.value:13} {variant:12} {init:8.1f} {wall:15.1f}")
            ratio = medians["isolated"][1] / medians["course venv"][1]
            print(f"{'':14} {'':13} {'ratio':12} {'':8} {ratio:15.2f}")


if __name__ == "__main__":
    main()
