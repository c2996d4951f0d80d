"""The writer behind log and metric shipping: nothing queued is lost, and flush() means written."""

from __future__ import annotations

import threading

from lambdalab.service.shipping import BackgroundWriter


class Recorder(BackgroundWriter[int]):
    def __init__(self, batch: int = 500, fail_first: int = 0, gate: threading.Event | None = None) -> None:
        self.batches: list[list[int]] = []
        self.clients = 0
        self._fail = fail_first
        self._gate = gate
        super().__init__(self._make_client, name="test-writer", batch=batch)

    def _make_client(self) -> object:
        self.clients += 1
        return object()

    def write(self, client: object, items: list[int]) -> None:
        if self._gate is not None:
            self._gate.wait()
        if self._fail:
            self._fail -= 1
            raise ConnectionError("the sandbox went away")
        self.batches.append(list(items))

    @property
    def written(self) -> list[int]:
        return [item for batch in self.batches for item in batch]


def test_flush_returns_once_everything_queued_before_it_is_written():
    writer = Recorder()
    for item in range(1000):
        writer._enqueue(item)
    assert writer.flush()
    assert writer.written == list(range(1000))


def test_batches_hold_at_most_the_batch_size():
    writer = Recorder(batch=7)
    for item in range(50):
        writer._enqueue(item)
    assert writer.flush()
    assert writer.written == list(range(50))
    assert max(len(batch) for batch in writer.batches) <= 7


def test_flush_times_out_while_a_write_is_stuck_and_succeeds_after():
    gate = threading.Event()
    writer = Recorder(gate=gate)
    writer._enqueue(1)
    assert not writer.flush(timeout=0.2)
    gate.set()
    assert writer.flush()
    assert writer.written == [1]


def test_a_failed_write_drops_that_batch_only_and_a_new_client_is_made():
    writer = Recorder(fail_first=1)
    writer._enqueue(1)
    assert writer.flush()
    writer._enqueue(2)
    assert writer.flush()
    assert writer.written == [2]
    assert writer.clients == 2


def test_items_from_many_threads_are_all_written():
    writer = Recorder(batch=13)

    def produce(start: int) -> None:
        for item in range(start, start + 2000):
            writer._enqueue(item)

    threads = [threading.Thread(target=produce, args=(n * 2000,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert writer.flush()
    assert sorted(writer.written) == list(range(8000))


def test_items_queued_after_an_idle_spell_are_written():
    writer = Recorder()
    writer._enqueue(1)
    assert writer.flush()
    threading.Event().wait(0.05)  # the writer is asleep again
    writer._enqueue(2)
    assert writer.flush()
    assert writer.written == [1, 2]
