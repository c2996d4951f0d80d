"""SQS → Lambda: event source mappings that poll queues and invoke functions with batches, as AWS does.

Mappings are created, changed, listed and deleted through the Lambda API (``boto3`` or ``aws lambda
create-event-source-mapping``); moto stores them. This trigger reads moto's mappings a few times a second
and keeps one :class:`~lambdalab.triggers.sqs.poller.MappingPoller` running per enabled SQS mapping. Kept
apart as moto keeps its services: state (:mod:`.models`), what a response means (:mod:`.responses`),
scaling (:mod:`.scaling`), polling (:mod:`.poller`), and here, the routing from mappings to pollers.

For lessons and tests::

    from lambdalab.triggers import sqs
    sqs.wait_until_empty(queue_url)           # every message deleted or moved to a dead-letter queue
    sqs.deliveries(mapping_uuid)              # who received what, when, and how it ended
"""

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from lambdalab.service.in_process_cloudwatch import InProcessCloudWatch
from lambdalab.triggers.sqs.in_process import InProcessSqs
from lambdalab.triggers.sqs.models import Delivery, MappingConfig
from lambdalab.triggers.sqs.moto_patch import in_transition, settle_transition
from lambdalab.triggers.sqs.poller import MappingPoller
from lambdalab.triggers.sqs.request_metrics import SqsRequestMetrics

__all__ = ["Delivery", "MappingConfig", "SqsTrigger", "current", "deliveries", "wait_until_empty"]

#: A laptop's guard, not AWS's: at most this many concurrent batches per mapping (each may need its own
#: execution environment, a process). Lower it, or set ``ScalingConfig.MaximumConcurrency`` as on AWS.
DEFAULT_MAX_POLLERS = 50
_SYNC_INTERVAL_S = 0.1
_KEPT_DELIVERIES = 50_000


class SqsTrigger:
    """The sandbox plugin that runs every SQS event source mapping."""

    def __init__(self, max_pollers: int = DEFAULT_MAX_POLLERS) -> None:
        self.max_pollers = max_pollers
        self.pollers: dict[str, MappingPoller] = {}
        self._deliveries: dict[str, deque[Delivery]] = {}
        self._retired: set[str] = set()  # mappings of before a reset, until moto's own reset removes them
        self._box: Any = None
        self._sqs_client: Callable[[], Any] = lambda: None
        self._pollers_sqs: InProcessSqs | None = None
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.request_metrics: SqsRequestMetrics | None = None

    # --- life cycle (lambdalab.triggers.Trigger) ---------------------------------------------------
    def start(self, box: Any) -> None:
        from botocore.config import Config

        from lambdalab.service.moto_patching import bind
        from lambdalab.triggers.sqs import moto_patch as sqs_patches

        sqs_patches.install()
        bind(box.lambda_service)
        self._box = box
        # Made on first use: a process's first boto3 client loads botocore's endpoint data (0.2-0.3 s of CPU),
        # which every kernel and test process paid at sandbox start, though few wait on a queue.
        self._sqs_client = functools.cache(lambda: box.client("sqs", config=Config(
            max_pool_connections=self.max_pollers * 4 + 10, read_timeout=30, retries={"max_attempts": 3})))
        # The pollers call moto's SQS backend in this process: the same rules, without HTTP (see in_process).
        self._pollers_sqs = InProcessSqs(box.lambda_service.account_id, box.lambda_service.region)
        # SQS's request metrics (AWS/SQS NumberOfMessagesSent …), counted by the patches above
        service = box.lambda_service
        self.request_metrics = SqsRequestMetrics(
            lambda: InProcessCloudWatch(service.account_id, service.region), box.clock.now
        )
        self.request_metrics.start()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._supervise, name="lambdalab-sqs-mappings", daemon=True)
        self._thread.start()

    def reset(self) -> None:
        """Stop every poller; the sandbox resets moto right after, which removes the mappings themselves."""
        with self._lock:
            self._retired |= set(self.pollers)
            try:
                self._retired |= {config.uuid for config in self.mappings()}
            except Exception:  # noqa: BLE001 - nothing to retire if moto cannot be read
                pass
        self._stop_pollers()
        with self._lock:
            self._deliveries.clear()
        if self.request_metrics is not None:
            self.request_metrics.reset()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._stop_pollers()
        if self.request_metrics is not None:
            self.request_metrics.stop()

    def flush(self, timeout: float = 10.0) -> bool:
        """Write SQS's request metrics counted so far to CloudWatch (``lambdalab.flush_logs()`` calls this)."""
        return self.request_metrics.flush(timeout) if self.request_metrics is not None else True

    # --- routing: moto's mappings → pollers --------------------------------------------------------
    def _supervise(self) -> None:
        while not self._stopping.wait(_SYNC_INTERVAL_S):
            try:
                self.sync()
            except Exception:  # noqa: BLE001 - a reset in progress; the next pass sees the new state
                continue

    def mappings(self) -> list[MappingConfig]:
        """Every SQS mapping moto holds, as snapshots."""
        return [MappingConfig.from_moto(esm) for esm in self._moto_mappings()]

    def _moto_mappings(self) -> list[Any]:
        backend = self._box.lambda_service.backend
        return [
            esm for esm in backend.list_event_source_mappings(None, None) if esm.event_source_arn.split(":")[2] == "sqs"
        ]

    def sync(self) -> None:
        """Start pollers for new mappings, update changed ones, stop those deleted; a mapping whose pollers
        have taken up its last update reports ``Enabled``/``Disabled`` again."""
        moto_mappings = {esm.uuid: esm for esm in self._moto_mappings()}
        current = {uuid: MappingConfig.from_moto(esm) for uuid, esm in moto_mappings.items()}
        with self._lock:
            self._retired &= set(current)  # forget what moto has forgotten
            current = {uuid: config for uuid, config in current.items() if uuid not in self._retired}
            for uuid in [u for u in self.pollers if u not in current]:
                self.pollers.pop(uuid).stop(timeout=0)
            for uuid, config in current.items():
                poller = self.pollers.get(uuid)
                if poller is None:
                    log = self._deliveries.setdefault(uuid, deque(maxlen=_KEPT_DELIVERIES))
                    poller = MappingPoller(
                        config,
                        service=self._box.lambda_service,
                        sqs=self._pollers_sqs,
                        max_pollers=self.max_pollers,
                        on_delivery=log.append,
                    )
                    self.pollers[uuid] = poller
                elif poller.config != config:
                    poller.update(config)
                poller.tick()
                esm = moto_mappings[uuid]
                # read afresh: an update made since ``current`` was read must not be settled by the old one
                if in_transition(esm) and poller.settled and MappingConfig.from_moto(esm) == poller.config:
                    settle_transition(esm)

    def _stop_pollers(self) -> None:
        with self._lock:
            pollers = list(self.pollers.values())
            self.pollers.clear()
        for poller in pollers:
            poller._stopping.set()
        for poller in pollers:
            poller.stop(timeout=5)

    # --- for lessons and tests ---------------------------------------------------------------------
    def poller(self, uuid: str) -> MappingPoller | None:
        with self._lock:
            return self.pollers.get(uuid)

    def deliveries(self, uuid: str | None = None) -> list[Delivery]:
        """What a mapping (or every mapping) delivered since the last reset, deleted mappings included."""
        with self._lock:
            logs = [self._deliveries.get(uuid, ())] if uuid is not None else list(self._deliveries.values())
        return [d for log in logs for d in list(log)]

    def in_flight(self) -> int:
        """Batches being gathered or processed: their messages are received but not yet settled."""
        with self._lock:
            return sum(p.busy + p.holding for p in self.pollers.values())

    def wait_until_empty(self, queue_url: str, timeout: float = 60.0) -> bool:
        """Wait until the queue holds no message, visible or in flight, and no batch is being gathered or
        processed (every message deleted after success, or moved to the dead-letter queue by SQS)."""
        deadline = time.monotonic() + timeout
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        while time.monotonic() < deadline:
            attributes = self._sqs_client().get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
            if not any(int(attributes.get(n, 0)) for n in names) and self.in_flight() == 0:
                return True
            time.sleep(0.05)
        return False


def current() -> SqsTrigger:
    """The running sandbox's SQS trigger (``lambdalab.sandbox()`` starts it)."""
    from lambdalab.triggers import running

    return running(SqsTrigger)


def deliveries(uuid: str | None = None) -> list[Delivery]:
    """Every delivery the mapping ``uuid`` (or every mapping) made since the last sandbox reset."""
    return current().deliveries(uuid)


def wait_until_empty(queue_url: str, timeout: float = 60.0) -> bool:
    return current().wait_until_empty(queue_url, timeout)
