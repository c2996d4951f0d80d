"""moto's SQS, made safe for concurrent pollers, and its synchronous Lambda mapping switched off.

Four differences from AWS matter to an event source mapping:

1. moto invokes a mapped function *inside* ``SendMessage``, one record at a time, and ignores
   ``ReportBatchItemFailures`` and the batching window. lambdalab's pollers do that job instead, so a queue
   here never holds mappings: ``Queue.lambda_event_source_mappings`` is always empty (the mappings
   themselves stay in the Lambda backend, where ``list_event_source_mappings`` finds them).
2. ``ReceiveMessage`` checks a message's visibility and marks it received without a lock, so two pollers
   could both receive the same message; ``DeleteMessage`` rebuilds the message list without a lock, so a
   message sent meanwhile could vanish. Both now run under the queue's own lock, and a long poll waits
   *outside* it (woken by new messages, and re-checking often enough to see messages whose visibility
   timeout ran out).
3. ``CreateEventSourceMapping`` / ``UpdateEventSourceMapping`` accept values AWS refuses for SQS; they are
   checked here with AWS's limits and wording — a queue whose visibility timeout is shorter than the
   function's timeout included ("Lambda validates this requirement when you create or update an event
   source mapping", https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). Raising the
   function's timeout afterwards (``UpdateFunctionConfiguration``) is not checked, on AWS or here.
4. moto reports an updated mapping ``Enabled`` (or ``Disabled``) at once. AWS reports ``Updating``
   (``Enabling``, ``Disabling``) until the change is in effect; here, until no poller working to the old
   configuration is left, so a script waits for the state as it would on AWS.

The patches also report each SendMessage, ReceiveMessage and DeleteMessage to
:mod:`.request_metrics`, which publishes SQS's request metrics (``NumberOfMessagesSent`` …), as moto does not.

And one of speed, without which a poller cannot keep up with a few thousand messages: for every message it
returns, moto's ``ReceiveMessage`` recomputes *all* the queue's attributes (three scans of every message)
to read the retention period, every visibility check converts the time through ``datetime``, and every
``DeleteMessage`` builds a list per message twice over. The same rules now run in one pass: the retention
check reads the attribute, ``moto.sqs.models`` reads the wall clock with ``time.time()``, the visible and
in-flight scans read it once per scan, and a delete stops at the message it deletes. ``SendMessage`` also
recomputes every queue attribute per message (to read ``ContentBasedDeduplication``), spelling each
attribute's name from CamelCase character by character: that pure function now remembers its ~20 answers,
which took a third of the CPU of a ``SendMessageBatch``. And each received message's receipt handle (185
random lowercase letters) is drawn in one call from moto's random generator, not with 185 calls. Finally,
``ReceiveMessage`` deep-copies each message it returns, so that filtering the copy's message attributes
leaves the queue's message alone. The filter gives the copy a new dict, and every other field a reply reads
is a string or a number (the list of old receipt handles stays shared, and only the queue's own message is
ever changed or deleted through it), so a shallow copy isolates the reply the same way, for a sixth of the
CPU (22 µs against 3.5 µs a message).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import string
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from lambdalab.service.moto_patching import original, replace
from lambdalab.triggers.sqs import request_metrics

#: How often a waiting long poll looks again for messages whose visibility timeout has run out.
_RECHECK_S = 0.1
MAX_BATCH_WINDOW_S = 300
MAX_STANDARD_BATCH = 10_000
MAX_FIFO_BATCH = 10
_RECEIPT_HANDLE_LENGTH = 185  # moto.sqs.utils.generate_receipt_handle's


def install() -> None:
    """Install the SQS patches (idempotent)."""
    from moto.awslambda.models import EventSourceMapping, LambdaBackend
    from moto.sqs import models as sqs_models
    from moto.sqs.models import Queue, SQSBackend
    from moto.sqs.responses import SQSResponse

    replace(Queue, "lambda_event_source_mappings", property(_no_mappings, _ignore_mappings))
    replace(Queue, "delete_message", _delete_message)
    replace(Queue, "messages", property(_visible_messages))
    replace(Queue, "approximate_number_of_messages", property(_count_visible))
    replace(Queue, "approximate_number_of_messages_not_visible", property(_count_not_visible))
    replace(Queue, "approximate_number_of_messages_delayed", property(_count_delayed))
    replace(SQSBackend, "receive_message", _receive_message)
    replace(SQSBackend, "send_message", _counted_send_message)
    replace(SQSBackend, "delete_message", _counted_delete_message)
    replace(SQSResponse, "receive_message", _receive_message_request)
    replace(SQSBackend, "change_message_visibility", _locked_change_message_visibility)
    replace(SQSBackend, "purge_queue", _locked_purge_queue)
    replace(SQSBackend, "is_message_valid_based_on_retention_period", _within_retention_period)
    replace(sqs_models, "unix_time", _unix_time)
    replace(sqs_models, "unix_time_millis", _unix_time_millis)
    replace(sqs_models, "camelcase_to_underscores", functools.cache(original(sqs_models, "camelcase_to_underscores")))
    replace(sqs_models, "generate_receipt_handle", _generate_receipt_handle)
    replace(sqs_models, "deepcopy", functools.partial(_copy_for_receipt, sqs_models.Message))
    replace(LambdaBackend, "create_event_source_mapping", _create_event_source_mapping)
    replace(LambdaBackend, "update_event_source_mapping", _update_event_source_mapping)
    replace(EventSourceMapping, "get_configuration", _configuration)


# --- 1. no synchronous invocation inside SendMessage ---------------------------------------------------
def _no_mappings(queue: Any) -> dict[str, Any]:
    return {}


def _ignore_mappings(queue: Any, value: Any) -> None:
    return None


# --- 2. a queue that concurrent consumers can share -----------------------------------------------------
def _queue_lock(backend: Any, queue_name: str) -> Any:
    return backend.get_queue(queue_name)._messages_lock


def _delete_message(queue: Any, receipt_handle: str) -> None:
    """moto's DeleteMessage (any receipt handle the message ever had deletes it; deleting twice is fine),
    under the queue's lock, stopping at the message it deletes."""
    from moto.sqs.exceptions import ReceiptHandleIsInvalid

    with queue._messages_lock:
        if receipt_handle in queue.deleted_messages:
            return
        for index, message in enumerate(queue._messages):
            if message.receipt_handle == receipt_handle or receipt_handle in message._old_receipt_handles:
                del queue._messages[index]
                queue.pending_messages.discard(message)
                queue.deleted_messages.update(message.all_receipt_handles)
                return
        raise ReceiptHandleIsInvalid()


def _visible_messages(queue: Any) -> list[Any]:
    now = time.time() * 1000.0
    return [m for m in queue._messages if now > m.visible_at and not now < m.delayed_until]


# moto's SendMessage reads the queue's whole attribute map (for ContentBasedDeduplication alone), and
# building that map counts every message in the queue three times: O(queue) work per message sent, which
# made filling a queue of 2,000 messages quadratic. Nothing on that path reads the counts, so a thread that
# is sending skips them (see _counted_send_message); GetQueueAttributes and everything else count.
_sending = threading.local()


def _count(queue: Any, counted: Callable[[Any, float], bool]) -> int:
    """How many of the queue's messages ``counted(message, now_ms)`` picks (0 while this thread sends)."""
    if getattr(_sending, "active", False):
        return 0
    now = time.time() * 1000.0
    return sum(1 for m in queue._messages if counted(m, now))


def _count_visible(queue: Any) -> int:
    return _count(queue, lambda m, now: now > m.visible_at and not now < m.delayed_until)


def _count_not_visible(queue: Any) -> int:
    return _count(queue, lambda m, now: not now > m.visible_at)


def _count_delayed(queue: Any) -> int:
    return _count(queue, lambda m, now: now < m.delayed_until)


_request = threading.local()


def _receive_message_request(response: Any) -> Any:
    """moto's ReceiveMessage request, noting whether it named a ``VisibilityTimeout``.

    Without one, each message takes the queue's visibility timeout *when it is received*: moto reads the
    queue's value once, before a long poll that may wait 20 s, so a ``SetQueueAttributes`` made meanwhile
    would not reach the messages that poll hands out.
    """
    from moto.sqs.responses import SQSResponse

    if response._get_param("VisibilityTimeout") is not None:
        return original(SQSResponse, "receive_message")(response)
    with visibility_read_at_receipt():
        return original(SQSResponse, "receive_message")(response)


@contextlib.contextmanager
def visibility_read_at_receipt() -> Iterator[None]:
    """Within this block, a ``receive_message`` on this thread gives each message the queue's visibility
    timeout as it stands when the message is handed out (a request that names none; the in-process poller)."""
    _request.queue_default = True
    try:
        yield
    finally:
        _request.queue_default = False


@contextlib.contextmanager
def long_poll_ends_when(give_up: Callable[[], bool]) -> Iterator[None]:
    """Within this block, a long poll of this thread that is still waiting ends (with no messages) as soon
    as ``give_up()`` is true: a poller that is stopping, or surplus after its mapping was scaled down, does
    not sit out the rest of its long poll."""
    _request.give_up = give_up
    try:
        yield
    finally:
        _request.give_up = None


def _receive_message(
    backend: Any,
    queue_name: str,
    count: int,
    wait_seconds_timeout: int,
    visibility_timeout: int,
    message_attribute_names: list[str] | None = None,
) -> list[Any]:
    """moto's receive, one scan at a time under the queue's lock; the long poll waits outside it."""
    from moto.sqs.models import SQSBackend

    receive = original(SQSBackend, "receive_message")
    lock = _queue_lock(backend, queue_name)
    deadline = time.monotonic() + max(0, int(wait_seconds_timeout or 0))
    queue_default = getattr(_request, "queue_default", False)
    give_up = getattr(_request, "give_up", None)
    while True:
        giving_up = give_up is not None and give_up()  # asked outside the queue's lock
        with lock:
            if queue_default:
                visibility_timeout = backend.get_queue(queue_name).visibility_timeout
            found = receive(backend, queue_name, count, 0, visibility_timeout, message_attribute_names)
            remaining = deadline - time.monotonic()
            if found or remaining <= 0 or giving_up:
                recorder = request_metrics.current()
                if recorder is not None:  # one ReceiveMessage: its messages, or one empty receive
                    recorder.received(queue_name, len(found))
                return found
            lock.wait(min(remaining, _RECHECK_S))


# --- SQS's request metrics (moto publishes none) --------------------------------------------------------
def _counted_send_message(backend: Any, queue_name: str, message_body: str, *args: Any, **kwargs: Any) -> Any:
    """moto's SendMessage (SendMessageBatch sends each entry through it), counted once the message is added."""
    from moto.sqs.models import SQSBackend

    _sending.active = True
    try:
        message = original(SQSBackend, "send_message")(backend, queue_name, message_body, *args, **kwargs)
    finally:
        _sending.active = False
    recorder = request_metrics.current()
    if recorder is not None:
        recorder.sent(queue_name, request_metrics.message_size(message_body, message.message_attributes))
    return message


def _counted_delete_message(backend: Any, queue_name: str, receipt_handle: str) -> None:
    """moto's DeleteMessage (DeleteMessageBatch deletes each entry through it), counted when it succeeds."""
    from moto.sqs.models import SQSBackend

    original(SQSBackend, "delete_message")(backend, queue_name, receipt_handle)
    recorder = request_metrics.current()
    if recorder is not None:
        recorder.deleted(queue_name)


def _locked_change_message_visibility(
    backend: Any, queue_name: str, receipt_handle: str, visibility_timeout: int
) -> None:
    from moto.sqs.models import SQSBackend

    with _queue_lock(backend, queue_name):
        original(SQSBackend, "change_message_visibility")(backend, queue_name, receipt_handle, visibility_timeout)


def _locked_purge_queue(backend: Any, queue_name: str) -> None:
    from moto.sqs.models import SQSBackend

    with _queue_lock(backend, queue_name):
        original(SQSBackend, "purge_queue")(backend, queue_name)


# --- speed: the same semantics without O(queue) work per received message ------------------------------
def _generate_receipt_handle() -> str:
    """moto's receipt handle (185 lowercase letters from its seeded generator), drawn in one call."""
    from moto.moto_api._internal import mock_random

    return "".join(mock_random.choices(string.ascii_lowercase, k=_RECEIPT_HANDLE_LENGTH))


def _copy_for_receipt(message_type: type, value: Any, memo: dict[int, Any] | None = None) -> Any:
    """What ``moto.sqs.models`` deep-copies: a received message (``message_type``, bound when the patch is
    installed: importing it here would add half the cost again) shallowly, see the module's docstring;
    anything else as before (a queue's pending message groups, a CloudFormation template's properties)."""
    if type(value) is message_type:
        return copy.copy(value)
    return copy.deepcopy(value, memo)


def _unix_time(when: Any = None) -> float:
    if when is not None:  # pragma: no cover - moto's SQS always asks for "now"
        from moto.core.utils import unix_time

        return unix_time(when)
    return time.time()


def _unix_time_millis(when: Any = None) -> float:
    return _unix_time(when) * 1000.0


def _within_retention_period(backend: Any, queue_name: str, message: Any) -> bool:
    retention = int(backend.get_queue(queue_name).message_retention_period)
    return retention + message.sent_timestamp / 1000 > time.time()


# --- 3. AWS's limits for SQS mappings -------------------------------------------------------------------
def _invalid(message: str) -> Exception:
    from moto.awslambda.exceptions import InvalidParameterValueException

    return InvalidParameterValueException(message)


def _validation(value: object, member: str, constraint: str) -> Exception:
    from moto.awslambda.exceptions import ValidationException

    return ValidationException(value, member, constraint)


def check_sqs_mapping(spec: dict[str, Any], *, fifo: bool, current: Any = None) -> None:
    """Refuse what Lambda refuses for an SQS event source (values missing from ``spec`` come from
    ``current``, the mapping being updated)."""

    def value(key: str, attribute: str) -> Any:
        if key in spec:
            return spec[key]
        return getattr(current, attribute, None) if current is not None else None

    batch = value("BatchSize", "batch_size")
    window = value("MaximumBatchingWindowInSeconds", "max_batch_window")
    if batch is not None:
        limit = MAX_FIFO_BATCH if fifo else MAX_STANDARD_BATCH
        if int(batch) < 1:
            raise _validation(batch, "batchSize", "Member must have value greater than or equal to 1")
        if int(batch) > limit:
            raise _invalid(f"BatchSize {batch} exceeds the max of {limit}")
    if window is not None and not 0 <= int(window) <= MAX_BATCH_WINDOW_S:
        raise _validation(
            window,
            "maximumBatchingWindowInSeconds",
            f"Member must have value less than or equal to {MAX_BATCH_WINDOW_S}",
        )
    if batch is not None and int(batch) > 10 and not window:
        raise _invalid(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
        )
    scaling = value("ScalingConfig", "scaling_config") or {}
    maximum = scaling.get("MaximumConcurrency") if isinstance(scaling, dict) else None
    if maximum is not None and not 2 <= int(maximum) <= 1000:
        bound = "greater than or equal to 2" if int(maximum) < 2 else "less than or equal to 1000"
        raise _validation(maximum, "scalingConfig.maximumConcurrency", f"Member must have value {bound}")
    for response_type in value("FunctionResponseTypes", "function_response_types") or []:
        if response_type != "ReportBatchItemFailures":
            raise _validation(
                response_type, "functionResponseTypes", "Member must satisfy enum value set: [ReportBatchItemFailures]"
            )


def check_visibility_covers_timeout(visibility_timeout: int, function_timeout: int) -> None:
    """Lambda refuses to poll a queue that would hand a message out again while the function may still be
    running on it: the queue's visibility timeout must be at least the function's timeout."""
    if int(visibility_timeout) < int(function_timeout):
        raise _invalid(
            f"Queue visibility timeout: {int(visibility_timeout)} seconds is less than Function "
            f"timeout: {int(function_timeout)} seconds"
        )


def _is_sqs(arn: str | None) -> bool:
    return bool(arn) and arn.split(":")[2] == "sqs"


def _queue_visibility_timeout(queue_arn: str) -> int | None:
    """The visibility timeout of the queue named by ``queue_arn`` (None if SQS does not hold it: moto then
    answers with its own error)."""
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = queue_arn.split(":", 5)
    for queue in sqs_backends[account][region].queues.values():
        if queue.queue_arn == queue_arn:
            return int(queue.visibility_timeout)
    return None


def _function_timeout(backend: Any, function_name: str) -> int | None:
    try:
        return int(backend._lambdas.get_function_by_name_or_arn_with_qualifier(function_name).timeout)
    except Exception:  # noqa: BLE001 - no such function: moto refuses it with its own error
        return None


def _check_timeouts(backend: Any, queue_arn: str, function_name: str) -> None:
    visibility = _queue_visibility_timeout(queue_arn)
    timeout = _function_timeout(backend, function_name)
    if visibility is not None and timeout is not None:
        check_visibility_covers_timeout(visibility, timeout)


def _create_event_source_mapping(backend: Any, spec: dict[str, Any]) -> Any:
    from moto.awslambda.models import LambdaBackend

    arn = spec.get("EventSourceArn")
    if _is_sqs(arn):
        check_sqs_mapping(spec, fifo=str(arn).endswith(".fifo"))
        _check_timeouts(backend, str(arn), str(spec.get("FunctionName") or ""))
    return original(LambdaBackend, "create_event_source_mapping")(backend, spec)


def _update_event_source_mapping(backend: Any, uuid: str, spec: dict[str, Any]) -> Any:
    from moto.awslambda.models import LambdaBackend

    current = backend.get_event_source_mapping(uuid)
    sqs = current is not None and _is_sqs(current.event_source_arn)
    if sqs:
        check_sqs_mapping(spec, fifo=current.event_source_arn.endswith(".fifo"), current=current)
        _check_timeouts(backend, current.event_source_arn, str(spec.get("FunctionName") or current.function_arn))
    was_enabled = bool(current.enabled) if current is not None else False
    updated = original(LambdaBackend, "update_event_source_mapping")(backend, uuid, spec)
    if sqs and updated is not None:
        now_enabled = bool(updated.enabled)
        transition = "Updating" if now_enabled == was_enabled else ("Enabling" if now_enabled else "Disabling")
        setattr(updated, TRANSITION, transition)
    return updated


# --- 4. a mapping's State while its pollers take up a change ---------------------------------------------
#: Where an SQS mapping keeps the state it reports while its pollers take up an update. AWS answers
#: UpdateEventSourceMapping with ``State: "Updating"`` (``"Enabling"``/``"Disabling"`` when ``Enabled``
#: changed), and reports ``Enabled``/``Disabled`` once the change is in effect
#: (https://docs.aws.amazon.com/lambda/latest/api/API_EventSourceMappingConfiguration.html, checked
#: December 2026); moto reports the end state at once. The SQS trigger clears it when no poller of the old
#: configuration is left.
TRANSITION = "_lambdalab_transition"


def _configuration(esm: Any) -> dict[str, Any]:
    from moto.awslambda.models import EventSourceMapping

    configuration = original(EventSourceMapping, "get_configuration")(esm)
    transition = getattr(esm, TRANSITION, None)
    if transition:
        configuration["State"] = transition
    return configuration


def in_transition(esm: Any) -> bool:
    """Whether the mapping reports ``Updating``, ``Enabling`` or ``Disabling``."""
    return bool(getattr(esm, TRANSITION, None))


def settle_transition(esm: Any) -> None:
    """The mapping's change is in effect: report ``Enabled``/``Disabled`` again."""
    setattr(esm, TRANSITION, None)
