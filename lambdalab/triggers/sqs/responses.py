"""What Lambda concludes from a function's answer to an SQS batch: which messages to delete.

AWS's rules ("Handling errors for an SQS event source in Lambda",
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):

- A function error fails the whole batch; nothing is deleted and every message becomes visible again when
  the queue's visibility timeout runs out.
- Without ``ReportBatchItemFailures`` a successful invocation deletes the whole batch, whatever it returned.
- With it, a null or empty response, or a null or empty ``batchItemFailures`` list, is a complete success;
  otherwise only the reported ``itemIdentifier`` values return to the queue. A response Lambda cannot read
  — not a JSON object, a ``batchItemFailures`` that is not a list, an entry without ``itemIdentifier``, an
  empty or null identifier, or one naming a message that was not in the batch — fails the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Settlement:
    """The verdict on one batch: the ids to delete, the ids left to reappear, and why."""

    delete: tuple[str, ...]
    keep: tuple[str, ...]
    reason: str

    @property
    def complete_success(self) -> bool:
        return not self.keep


def settle(message_ids: Sequence[str], *, function_error: bool, response: Any,
           report_batch_item_failures: bool) -> Settlement:
    """Split a batch into deleted and kept messages as Lambda would."""
    ids = tuple(message_ids)
    if function_error:
        return Settlement((), ids, "function error")
    if not report_batch_item_failures:
        return Settlement(ids, (), "success")
    if response is None or response == {} or response == "":
        return Settlement(ids, (), "success")
    if not isinstance(response, dict):
        return Settlement((), ids, "malformed response: not a JSON object")
    failures = response.get("batchItemFailures")
    if failures is None or failures == []:
        return Settlement(ids, (), "success")
    if not isinstance(failures, list):
        return Settlement((), ids, "malformed response: batchItemFailures is not a list")
    reported: list[str] = []
    for entry in failures:
        identifier = entry.get("itemIdentifier") if isinstance(entry, dict) else None
        if not isinstance(identifier, str) or not identifier:
            return Settlement((), ids, "malformed response: an entry without a non-empty itemIdentifier")
        if identifier not in ids:
            return Settlement((), ids, f"malformed response: itemIdentifier {identifier!r} is not in the batch")
        reported.append(identifier)
    keep = tuple(i for i in ids if i in set(reported))
    return Settlement(tuple(i for i in ids if i not in set(reported)), keep, "partial batch failure")
