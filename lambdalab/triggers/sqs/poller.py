"""The pollers of one SQS event source mapping: receive a batch, invoke, delete what succeeded.

Each worker thread is one of Lambda's concurrent batches. It long-polls the queue through the sandbox's
real SQS API (so visibility timeouts, ``ApproximateReceiveCount`` and the redrive to a dead-letter queue
are SQS's own), gathers up to ``BatchSize`` messages within ``MaximumBatchingWindowInSeconds``, invokes the
function synchronously through the Lambda service, and deletes only the messages Lambda's rules say
succeeded (:mod:`.responses`). Nothing else touches a message: one that failed, or whose invoke stayed
throttled until its visibility timeout ran out, simply becomes visible again, and SQS counts the next
receive — which is how AWS behaves and why a message is never lost here.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from lambdalab.aws_facts import MAX_SYNC_INVOKE_REQUEST_BYTES
from lambdalab.events.sqs import record_from_message, sqs_event
from lambdalab.service.concurrency import TooManyRequests
from lambdalab.service.lambda_service import ResourceNotFound
from lambdalab.triggers.sqs.models import Delivery, MappingConfig
from lambdalab.triggers.sqs.responses import settle
from lambdalab.triggers.sqs.scaling import PollerScaling

#: Longest single ReceiveMessage wait, so a stopping or reconfigured poller notices within a second.
LONG_POLL_S = 1
#: Throttled invokes are retried with exponential backoff (with jitter) from/to these delays.
THROTTLE_BACKOFF_S = (0.05, 1.0)
_RECORD_OVERHEAD_BYTES = 1024
_QUEUE_ATTRIBUTE_TTL_S = 1.0


class MappingPoller:
    """Runs the concurrent batches of one mapping; the trigger's supervisor calls :meth:`tick`."""

    def __init__(
        self,
        config: MappingConfig,
        *,
        service: Any,
        sqs: Any,
        max_pollers: int,
        on_delivery: Callable[[Delivery], None] | None = None,
    ) -> None:
        self.config = config
        self.service = service
        self.sqs = sqs
        self.max_pollers = max_pollers
        self.scaling = PollerScaling(ceiling=min(config.concurrency_ceiling, max_pollers))
        self._on_delivery = on_delivery
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._workers: dict[int, threading.Thread] = {}
        self._busy = 0
        self._holding = 0  # workers gathering a batch: messages received, function not yet invoked
        self._held = threading.local()
        self._queue_url: str | None = None
        self._visibility: tuple[float, int] | None = None
        self.batches = 0
        self.throttles = 0
        self.peak_concurrency = 0

    # --- life cycle ----------------------------------------------------------------------------
    def update(self, config: MappingConfig) -> None:
        """Take a new snapshot of the mapping (batch size, window, ceiling, enabled…)."""
        self.config = config
        self.scaling.set_ceiling(min(config.concurrency_ceiling, self.max_pollers))

    @property
    def settled(self) -> bool:
        """Whether the workers fit the mapping as it now stands: none beyond the desired number still runs
        (a disabled mapping: none at all)."""
        desired = self.desired_workers()
        with self._lock:
            return not any(index >= desired and w.is_alive() for index, w in self._workers.items())

    def desired_workers(self) -> int:
        return self.scaling.concurrency if self.config.enabled else 0

    def tick(self) -> None:
        """Start workers up to the desired number (extra ones retire by themselves after a batch)."""
        if self._stopping.is_set():
            return
        with self._lock:
            for index in range(self.desired_workers()):
                worker = self._workers.get(index)
                if worker is None or not worker.is_alive():
                    thread = threading.Thread(
                        target=self._work,
                        args=(index,),
                        daemon=True,
                        name=f"lambdalab-sqs-{self.config.uuid[:8]}-{index}",
                    )
                    self._workers[index] = thread
                    thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        deadline = time.monotonic() + timeout
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))

    @property
    def busy(self) -> int:
        with self._lock:
            return self._busy

    @property
    def holding(self) -> int:
        """Workers holding received messages while their batching window is open (not yet invoking): the
        messages are in flight although no function runs yet."""
        with self._lock:
            return self._holding

    @property
    def workers(self) -> int:
        with self._lock:
            return sum(1 for w in self._workers.values() if w.is_alive())

    # --- one worker = one concurrent batch -------------------------------------------------------
    def _work(self, index: int) -> None:
        while not self._surplus(index):
            try:
                url = self._url()
                if url is None:
                    self._stopping.wait(LONG_POLL_S)
                    continue
                try:
                    batch = self._gather(url, index)
                    self.scaling.observe(busy=self.busy + (1 if batch else 0), found_messages=bool(batch))
                    if batch:
                        self._process(url, batch)
                finally:
                    self._release_hold()
            except Exception:  # noqa: BLE001 - a queue deleted or a sandbox reset mid-call: poll again
                self._queue_url = None
                self._stopping.wait(0.2)

    def _url(self) -> str | None:
        if self._queue_url is None:
            try:
                self._queue_url = self.sqs.get_queue_url(QueueName=self.config.queue_name)["QueueUrl"]
            except Exception:  # noqa: BLE001 - the queue does not exist (yet, or any more)
                return None
        return self._queue_url

    def _visibility_timeout(self, url: str) -> int:
        now = time.monotonic()
        if self._visibility is None or now - self._visibility[0] > _QUEUE_ATTRIBUTE_TTL_S:
            attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
            self._visibility = (now, int(attributes["Attributes"]["VisibilityTimeout"]))
        return self._visibility[1]

    def _surplus(self, index: int) -> bool:
        """Whether worker ``index`` should end: the mapping is stopping, disabled or scaled below it."""
        return self._stopping.is_set() or index >= self.desired_workers()

    def _gather(self, url: str, index: int) -> list[tuple[dict[str, Any], float]]:
        """Up to BatchSize messages: as soon as any arrive when the window is 0, else until the batch is
        full, the window has passed since the first message, or the payload nears Lambda's 6 MB. A surplus
        worker's long poll ends early: it hands on what it gathered, and receives nothing more."""
        config = self.config
        # A message received again while the window is open (its visibility timeout was shorter than the
        # window: a misconfiguration AWS warns about) replaces its first copy rather than doubling it.
        gathered: dict[str, tuple[dict[str, Any], float]] = {}
        window_ends = 0.0
        size = 0
        while not self._stopping.is_set():
            wanted = max(1, min(10, config.batch_size - len(gathered)))
            wait = LONG_POLL_S if not gathered else int(max(0.0, min(LONG_POLL_S, window_ends - time.monotonic())))
            response = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
                give_up=lambda: self._surplus(index),
            )
            now = time.monotonic()
            received = response.get("Messages", [])
            if received and not gathered:
                window_ends = now + config.maximum_batching_window_s
                self._hold()
            for message in received:
                gathered[message["MessageId"]] = (message, now)
            size += sum(len(m.get("Body", "")) + _RECORD_OVERHEAD_BYTES for m in received)
            if not gathered or config.maximum_batching_window_s == 0:
                break
            if len(gathered) >= config.batch_size or now >= window_ends or size >= MAX_SYNC_INVOKE_REQUEST_BYTES * 0.8:
                break
            if not received and self._surplus(index):
                break
            if not received and wait == 0:
                self._stopping.wait(0.05)
        return list(gathered.values())

    def _hold(self) -> None:
        with self._lock:
            self._holding += 1
        self._held.active = True

    def _release_hold(self) -> None:
        if getattr(self._held, "active", False):
            self._held.active = False
            with self._lock:
                self._holding -= 1

    def _process(self, url: str, batch: list[tuple[dict[str, Any], float]]) -> None:
        config = self.config
        with self._lock:
            self._busy += 1
            self.peak_concurrency = max(self.peak_concurrency, self._busy)
        try:
            self.batches += 1
            records = [record_from_message(m, event_source_arn=config.event_source_arn) for m, _ in batch]
            payload = json.dumps(sqs_event(records)).encode()
            first_received = min(received for _, received in batch)
            visible_again_at = first_received + self._visibility_timeout(url)
            invocation = self._invoke(payload, visible_again_at)
            if invocation is None:
                self._record(batch, "throttled", reason="throttled until the visibility timeout ran out")
                return
            if isinstance(invocation, str):
                self._record(batch, "abandoned", reason=invocation)
                return
            ids = [m["MessageId"] for m, _ in batch]
            verdict = settle(
                ids,
                function_error=not invocation.ok,
                response=invocation.payload,
                report_batch_item_failures=config.report_batch_item_failures,
            )
            if not invocation.ok and not config.report_batch_item_failures:
                self.scaling.back_off()
            deleted = self._delete(url, [(m, r) for m, r in batch if m["MessageId"] in verdict.delete])
            for message, received in batch:
                message_id = message["MessageId"]
                if message_id in verdict.delete:
                    outcome = "deleted" if message_id in deleted else "failed"
                    reason = verdict.reason if message_id in deleted else "the delete came too late"
                else:
                    outcome, reason = "failed", verdict.reason
                self._record([(message, received)], outcome, request_id=invocation.request_id, reason=reason)
        finally:
            with self._lock:
                self._busy -= 1

    def _invoke(self, payload: bytes, visible_again_at: float) -> Any:
        """The invocation, retrying throttles until the batch would become visible again (then None);
        a string says why the batch was abandoned."""
        delay = THROTTLE_BACKOFF_S[0]
        while True:
            if self._stopping.is_set():
                return "the mapping stopped"
            try:
                return self.service.invoke(self.config.function_name, payload, qualifier=self.config.qualifier)
            except TooManyRequests:
                self.throttles += 1
                self.scaling.back_off()
                pause = random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not security
                if time.monotonic() + pause >= visible_again_at:
                    return None
                self._stopping.wait(pause)
                delay = min(THROTTLE_BACKOFF_S[1], delay * 2)
            except ResourceNotFound as missing:
                self._stopping.wait(LONG_POLL_S)
                return f"function not found: {missing}"

    def _delete(self, url: str, succeeded: list[tuple[dict[str, Any], float]]) -> set[str]:
        deleted: set[str] = set()
        for start in range(0, len(succeeded), 10):
            chunk = succeeded[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, (m, _) in enumerate(chunk)]
            try:
                result = self.sqs.delete_message_batch(QueueUrl=url, Entries=entries)
            except Exception:  # noqa: BLE001 - the queue is gone: nothing was deleted
                continue
            for entry in result.get("Successful", []):
                deleted.add(chunk[int(entry["Id"])][0]["MessageId"])
        return deleted

    def _record(
        self, batch: list[tuple[dict[str, Any], float]], outcome: str, *, request_id: str = "", reason: str = ""
    ) -> None:
        settled = time.monotonic()
        for message, received in batch:
            count = int((message.get("Attributes") or {}).get("ApproximateReceiveCount", 0))
            delivery = Delivery(message["MessageId"], count, received, settled, outcome, request_id, reason)
            if self._on_delivery is not None:
                self._on_delivery(delivery)
