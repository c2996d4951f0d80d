"""CPU that queuing a log batch or a data point costs: lambdalab's writer against a ``queue.Queue`` writer.

Run: ``python benchmarks/bench_shipping.py [--repeat 7] [--items 50000]``

A warm invoke queues a log batch and three or four data points for the shippers' background thread, and an
SQS mapping runs hundreds of invokes a second, so the cost of queuing is paid under the GIL that serves
them. ``lambdalab.service.shipping.BackgroundWriter`` appends to a ``deque`` and wakes its writer only when
it sleeps; the writer lingers a moment to batch what follows. The reference here is the design it
replaced, the textbook one: ``queue.Queue`` (a lock and a condition notified for every item), with a
counter of pending items for ``flush()``. Both write to a no-op sink, so what is measured is the queuing.

Each repeat queues ``--items`` items with each design, in bursts of five (one invocation's worth) with a
thread switch between bursts, then flushes; the process's CPU time (producer and writer threads) per item,
both in one run, alternating. Results go to ``benchmarks/results/shipping.json``.
"""

from __future__ import annotations

import argparse
import queue
import threading
import time
from pathlib import Path

from side_by_side import ratios, write_results

from lambdalab.service.shipping import BackgroundWriter

BURST = 5


class QueueWriter:
    """The reference: every item through ``queue.Queue``, ``flush()`` waits for the pending count to reach 0."""

    def __init__(self, batch: int = 500) -> None:
        self._queue: queue.Queue[int] = queue.Queue()
        self._batch = batch
        self._pending = 0
        self._written = threading.Condition()
        threading.Thread(target=self._run, daemon=True).start()

    def _enqueue(self, item: int) -> None:
        with self._written:
            self._pending += 1
        self._queue.put(item)

    def flush(self, timeout: float = 10.0) -> bool:
        with self._written:
            return self._written.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < self._batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            with self._written:
                self._pending -= len(items)
                self._written.notify_all()


class Sink(BackgroundWriter[int]):
    def __init__(self) -> None:
        super().__init__(object, name="bench-writer")

    def write(self, client: object, items: list[int]) -> None:
        pass


def cpu_us_each(writer: QueueWriter | Sink, items: int) -> float:
    start = time.process_time()
    for item in range(items):
        writer._enqueue(item)
        if item % BURST == BURST - 1:
            time.sleep(0)  # the invocation's other work: other threads run
    if not writer.flush(timeout=60):
        raise RuntimeError("the writer did not finish")
    return (time.process_time() - start) * 1e6 / items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "shipping.json")
    args = parser.parse_args()
    reference, ours = QueueWriter(), Sink()
    cpu_us_each(reference, 1000)
    cpu_us_each(ours, 1000)
    per_queue, per_deque = [], []
    for _ in range(args.repeat):
        per_queue.append(cpu_us_each(reference, args.items))
        per_deque.append(cpu_us_each(ours, args.items))
    summary = {"items": args.items, "repeat": args.repeat, **ratios(per_queue, per_deque)}
    print(f"queue.Queue writer {summary['before_median']:.2f} us of CPU an item, lambdalab's "
          f"{summary['after_median']:.2f} us: {summary['ratio_median']:.1f}x "
          f"({summary['ratio_min']:.1f}-{summary['ratio_max']:.1f}x)")
    write_results(args.out, summary)

if __name__ == "__main__":
    main()
