"""The state an SQS event source mapping works from, and what it records about each delivery.

moto stores the mappings (so ``create_event_source_mapping`` and the CLI work unchanged); the poller reads
each one as a :class:`MappingConfig`, a frozen snapshot taken afresh as the mapping changes. Every batch it
hands to the function leaves one :class:`Delivery` per message behind — the evidence a lesson plots and
the conservation test checks (who received what, when, and how it ended).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambdalab.aws_facts import Arn

#: AWS's ceiling for the pollers of one SQS mapping, and where they start (docs/facts.md, "SQS event source").
MAX_CONCURRENT_BATCHES = 1000
INITIAL_CONCURRENT_BATCHES = 5


@dataclass(frozen=True)
class MappingConfig:
    """One SQS event source mapping as moto stores it, in AWS's vocabulary."""

    uuid: str
    function_arn: str
    event_source_arn: str
    batch_size: int = 10
    maximum_batching_window_s: int = 0
    report_batch_item_failures: bool = False
    maximum_concurrency: int | None = None
    enabled: bool = True

    @classmethod
    def from_moto(cls, esm: Any) -> MappingConfig:
        scaling = esm.scaling_config or {}
        return cls(
            uuid=esm.uuid,
            function_arn=esm.function_arn,
            event_source_arn=esm.event_source_arn,
            batch_size=int(esm.batch_size or 10),
            maximum_batching_window_s=int(esm.max_batch_window or 0),
            report_batch_item_failures="ReportBatchItemFailures" in (esm.function_response_types or []),
            maximum_concurrency=int(scaling["MaximumConcurrency"]) if scaling.get("MaximumConcurrency") else None,
            enabled=bool(esm.enabled),
        )

    @property
    def queue_name(self) -> str:
        return self.event_source_arn.split(":")[-1]

    @property
    def function_name(self) -> str:
        """The function's name from its ARN (``arn:aws:lambda:region:account:function:name[:qualifier]``)."""
        return Arn.name_and_qualifier(self.function_arn)[0]

    @property
    def qualifier(self) -> str | None:
        qualifier = Arn.name_and_qualifier(self.function_arn)[1]
        return qualifier if qualifier != "$LATEST" else None

    @property
    def concurrency_ceiling(self) -> int:
        """How many batches may be in flight at once: ``ScalingConfig.MaximumConcurrency`` or AWS's 1,000."""
        return min(MAX_CONCURRENT_BATCHES, self.maximum_concurrency or MAX_CONCURRENT_BATCHES)


@dataclass(frozen=True)
class Delivery:
    """One message's trip through one batch: received, handed to the function, and how it ended.

    ``outcome`` is ``"deleted"`` (processed, then deleted), ``"failed"`` (the function failed it: left for
    SQS to make visible again when the visibility timeout runs out), ``"throttled"`` (Lambda refused the
    invoke until the visibility timeout ran out) or ``"abandoned"`` (the mapping stopped first).
    ``received_at`` and ``settled_at`` are ``time.monotonic()`` readings.
    """

    message_id: str
    receive_count: int
    received_at: float
    settled_at: float
    outcome: str
    request_id: str = ""
    reason: str = ""

    @property
    def seconds_in_flight(self) -> float:
        return self.settled_at - self.received_at
