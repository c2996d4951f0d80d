"""Asynchronous invocation (``InvocationType=Event``): Lambda's internal queue, retries and destinations.

The caller gets 202 at once; the event waits in a queue and is invoked when a worker takes it. As on AWS,
a throttled event goes back to the queue and is tried again later (until ``MaximumEventAgeInSeconds``),
a function error is retried ``MaximumRetryAttempts`` times (2 by default) after a delay, and an event that
still fails goes to the on-failure destination (or the dead-letter queue), one that succeeds to the
on-success destination — each with AWS's invocation record. AWS waits about one and then two minutes
between retries; the sandbox waits 1 and then 2 *seconds* so a lesson can watch it happen, and
:meth:`AsyncInvoker.set_retry_delays` changes that.

Each :class:`~lambdalab.service.lambda_service.LambdaService` owns one invoker,
``service.async_invocations`` (``box.async_invocations`` on the sandbox).

It publishes AWS's three asynchronous invocation metrics (docs.aws.amazon.com/lambda/latest/dg/
monitoring-metrics-types.html, checked December 2026): ``AsyncEventsReceived`` for each event queued,
``AsyncEventAge`` (milliseconds from queueing to each time the function is invoked with it, so it grows while
throttles and errors keep the event waiting) and ``AsyncEventsDropped`` for each event discarded without a
successful run (retries exhausted, or too old).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from lambdalab.aws_facts import function_arn
from lambdalab.runtime.results import Invocation
from lambdalab.service.concurrency import TooManyRequests
from lambdalab.service.lambda_service import LambdaService, ResourceNotFound

_log = logging.getLogger(__name__)

#: Seconds before the first and the second retry of a failed event (AWS: about 1 and then 2 minutes).
DEFAULT_RETRY_DELAYS_S = (1.0, 2.0)
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_EVENT_AGE_S = 21_600
_THROTTLE_BACKOFF_S = (0.1, 0.2, 0.5, 1.0, 2.0)
_WORKERS = 8


@dataclass(order=True)
class _Queued:
    due: float
    seq: int
    function_name: str = field(compare=False)
    payload: bytes = field(compare=False)
    qualifier: str | None = field(compare=False)
    request_id: str = field(compare=False)
    enqueued_at: float = field(compare=False)
    attempts: int = field(compare=False, default=0)
    throttles: int = field(compare=False, default=0)


class AsyncInvoker:
    """Lambda's event queue for one sandbox: a due-time heap served by a few worker threads."""

    def __init__(self, service: LambdaService) -> None:
        self.service = service
        self._heap: list[_Queued] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._in_progress = 0
        self.records: list[dict[str, object]] = []  # what went to destinations, for lessons and tests
        self.retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS_S
        for i in range(_WORKERS):
            threading.Thread(target=self._work, name=f"lambdalab-async-{i}", daemon=True).start()

    def enqueue(self, function_name: str, payload: bytes, qualifier: str | None = None) -> str:
        self.service.resolve(function_name, qualifier)  # unknown functions fail now, as on AWS
        request_id = str(uuid.uuid4())
        self.service.metrics.put(
            "AsyncEventsReceived", 1, "Count", self._name(function_name), _resource(function_name, qualifier)
        )
        now = time.monotonic()
        with self._cv:
            heapq.heappush(
                self._heap, _Queued(now, next(self._seq), function_name, payload, qualifier, request_id, now)
            )
            self._cv.notify()
        return request_id

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until the queue is empty and nothing is running (for lessons and tests)."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._heap or self._in_progress:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cv.wait(min(remaining, 0.05))
        return True

    def set_retry_delays(self, *seconds: float) -> None:
        """Wait ``seconds[i]`` before retry ``i + 1`` of a failed event (the last value for any later one);
        with no argument, back to the default, 1 and then 2 seconds."""
        if any(not s >= 0 for s in seconds):
            raise ValueError(f"retry delays are seconds >= 0, got {seconds!r}")
        self.retry_delays = tuple(float(s) for s in seconds) or DEFAULT_RETRY_DELAYS_S

    def clear(self) -> None:
        """Forget every queued event and destination record, and go back to the default retry delays."""
        with self._cv:
            self._heap.clear()
            self.records.clear()
        self.set_retry_delays()

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._heap or self._heap[0].due > time.monotonic():
                    wait = None if not self._heap else max(0.0, self._heap[0].due - time.monotonic())
                    self._cv.wait(wait)
                item = heapq.heappop(self._heap)
                self._in_progress += 1
            try:
                self._attempt(item)
            except Exception:  # noqa: BLE001 - a worker that died would leave every later event waiting
                _log.exception("asynchronous event %s for %s could not be attempted; it is dropped",
                               item.request_id, item.function_name)
                self._drop(item)
            finally:
                with self._cv:
                    self._in_progress -= 1
                    self._cv.notify_all()

    def _event_config(self, function_name: str) -> dict[str, object]:
        try:
            fn = self.service.resolve(function_name)
        except ResourceNotFound:
            return {}
        configs = getattr(fn, "event_invoke_config", None) or []
        return dict(configs[0].config) if configs else {}

    def _attempt(self, item: _Queued) -> None:
        config = self._event_config(item.function_name)
        max_age = float(config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S))
        max_retries = int(config.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES))
        age_s = time.monotonic() - item.enqueued_at
        if age_s > max_age:
            self._drop(item)
            self._deliver(item, config, None, "EventAgeExceeded")
            return
        try:
            invocation = self.service.invoke(item.function_name, item.payload, qualifier=item.qualifier)
        except TooManyRequests:
            delay = _THROTTLE_BACKOFF_S[min(item.throttles, len(_THROTTLE_BACKOFF_S) - 1)]
            item.throttles += 1
            self._requeue(item, delay)
            return
        except ResourceNotFound:
            return
        # The function was invoked with the event: how long it had waited in the queue until then.
        self.service.metrics.put(
            "AsyncEventAge", round(age_s * 1000), "Milliseconds", self._name(item.function_name), self._resource(item)
        )
        item.attempts += 1
        if invocation.ok:
            self._deliver(item, config, invocation, "Success")
        elif item.attempts <= max_retries:
            delays = self.retry_delays or (0.0,)
            self._requeue(item, delays[min(item.attempts - 1, len(delays) - 1)])
        else:
            self._drop(item)
            self._deliver(item, config, invocation, "RetriesExhausted")

    def _drop(self, item: _Queued) -> None:
        self.service.metrics.put("AsyncEventsDropped", 1, "Count", self._name(item.function_name), self._resource(item))

    def _resource(self, item: _Queued) -> str | None:
        return _resource(self._name(item.function_name), item.qualifier)

    @staticmethod
    def _name(function_name: str) -> str:
        """The FunctionName dimension: a name, also when the event was queued by ARN."""
        return function_name.split(":")[6] if function_name.startswith("arn:") else function_name

    def _requeue(self, item: _Queued, delay: float) -> None:
        with self._cv:
            item.due = time.monotonic() + delay
            item.seq = next(self._seq)
            heapq.heappush(self._heap, item)
            self._cv.notify()

    def _deliver(self, item: _Queued, config: dict[str, object], invocation: Invocation | None, condition: str) -> None:
        destinations = config.get("DestinationConfig") or {}
        success = condition == "Success"
        target = (destinations.get("OnSuccess") if success else destinations.get("OnFailure")) or {}
        arn = target.get("Destination") if isinstance(target, dict) else None
        if arn:
            record = self._record(item, invocation, condition)
            self.records.append(record)
            self._send(arn, json.dumps(record))
        elif not success:
            dlq = self.service.dead_letter_targets.get(item.function_name)
            if dlq:
                error = (invocation.error or {}) if invocation else {}
                self._send(
                    dlq,
                    item.payload.decode(errors="replace"),
                    attributes={
                        "RequestID": item.request_id,
                        "ErrorCode": "200",
                        "ErrorMessage": str(error.get("errorMessage", condition))[:256],
                    },
                )

    def _record(self, item: _Queued, invocation: Invocation | None, condition: str) -> dict[str, object]:
        """AWS's invocation record, as destinations receive it."""
        fn_arn = function_arn(item.function_name, item.qualifier or "$LATEST", region=self.service.region,
                              account=self.service.account_id)
        try:
            request_payload = json.loads(item.payload or b"null")
        except ValueError:
            request_payload = item.payload.decode(errors="replace")
        record: dict[str, object] = {
            "version": "1.0",
            "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "requestContext": {
                "requestId": item.request_id,
                "functionArn": fn_arn,
                "condition": condition,
                "approximateInvokeCount": item.attempts,
            },
            "requestPayload": request_payload,
        }
        if invocation is not None:
            context: dict[str, object] = {"statusCode": 200, "executedVersion": item.qualifier or "$LATEST"}
            if not invocation.ok:
                context["functionError"] = "Unhandled"
            record["responseContext"] = context
            record["responsePayload"] = invocation.response_document()
        return record

    def _send(self, arn: str, body: str, attributes: dict[str, str] | None = None) -> None:
        """Deliver to an SQS queue, SNS topic, Lambda function or EventBridge bus named by ARN."""
        service = arn.split(":")[2]
        try:
            if service == "sqs":
                sqs = self.service._client_factory("sqs")
                url = sqs.get_queue_url(QueueName=arn.split(":")[-1])["QueueUrl"]
                kwargs: dict[str, object] = {"QueueUrl": url, "MessageBody": body}
                if attributes:
                    kwargs["MessageAttributes"] = {
                        k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
                    }
                sqs.send_message(**kwargs)
            elif service == "sns":
                self.service._client_factory("sns").publish(TopicArn=arn, Message=body)
            elif service == "lambda":
                self.enqueue(arn.split(":")[6], body.encode())
            elif service == "events":
                self.service._client_factory("events").put_events(
                    Entries=[
                        {
                            "Source": "lambda",
                            "DetailType": "Lambda Function Invocation Result",
                            "Detail": body,
                            "EventBusName": arn,
                        }
                    ]
                )
        except Exception:  # noqa: BLE001 - a missing destination loses the record, as on AWS
            return


def _resource(function_name: str, qualifier: str | None) -> str | None:
    """The ``Resource`` dimension of a version's or alias's metrics (none for $LATEST)."""
    if qualifier and qualifier != "$LATEST":
        return f"{function_name.split(':')[6] if function_name.startswith('arn:') else function_name}:{qualifier}"
    return None


def invoker(service: LambdaService) -> AsyncInvoker:
    """The asynchronous invoker of ``service`` (the same as ``service.async_invocations``)."""
    return service.async_invocations


def enqueue(service: LambdaService, function_name: str, payload: bytes, qualifier: str | None = None) -> str:
    """Hand ``payload`` to ``service``'s asynchronous queue, as ``Invoke`` with ``InvocationType=Event`` does."""
    return service.async_invocations.enqueue(function_name, payload, qualifier)
