"""Asynchronous invocation (``InvocationType=Event``): Lambda's internal queue, retries and destinations.

The caller gets 202 at once; the event waits in a queue and is invoked when a worker takes it. As on AWS,
a throttled event goes back to the queue and is tried again later (until ``MaximumEventAgeInSeconds``),
a function error is retried ``MaximumRetryAttempts`` times (2 by default) after a delay, and an event that
still fails goes to the on-failure destination (or the dead-letter queue), one that succeeds to the
on-success destination — each with AWS's invocation record. Lambda's asynchronous metrics are published:
``AsyncEventsReceived`` for each queued event, ``AsyncEventAge`` (ms in the queue) at each invocation, and
``AsyncEventsDropped`` for each event discarded after its retries or maximum age, a destination or DLQ
notwithstanding (https://aws.amazon.com/blogs/compute/introducing-new-asynchronous-invocation-metrics-for-aws-lambda/,
checked December 2026). AWS waits about one and then two minutes
between retries; the sandbox waits ``service.async_retry_delays`` seconds so a lesson can watch it happen.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field

from lambdalab.runtime.results import Invocation
from lambdalab.service.concurrency import TooManyRequests
from lambdalab.service.lambda_service import LambdaService, ResourceNotFound

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
        for i in range(_WORKERS):
            threading.Thread(target=self._work, name=f"lambdalab-async-{i}", daemon=True).start()

    def enqueue(self, function_name: str, payload: bytes, qualifier: str | None = None) -> str:
        self.service.resolve(function_name, qualifier)  # unknown functions fail now, as on AWS
        self.service.metrics.put("AsyncEventsReceived", 1, "Count", function_name, _resource(function_name, qualifier))
        request_id = str(uuid.uuid4())
        now = time.monotonic()
        with self._cv:
            heapq.heappush(self._heap, _Queued(now, next(self._seq), function_name, payload, qualifier,
                                               request_id, now))
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

    def clear(self) -> None:
        with self._cv:
            self._heap.clear()
            self.records.clear()

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
        if time.monotonic() - item.enqueued_at > max_age:
            self._deliver(item, config, None, "EventAgeExceeded")
            return
        age_ms = (time.monotonic() - item.enqueued_at) * 1000
        try:
            invocation = self.service.invoke(item.function_name, item.payload, qualifier=item.qualifier)
        except TooManyRequests:
            delay = _THROTTLE_BACKOFF_S[min(item.throttles, len(_THROTTLE_BACKOFF_S) - 1)]
            item.throttles += 1
            self._requeue(item, delay)
            return
        except ResourceNotFound:
            return
        item.attempts += 1
        resource = _resource(item.function_name, item.qualifier)
        self.service.metrics.put("AsyncEventAge", age_ms, "Milliseconds", item.function_name, resource)
        if invocation.ok:
            self._deliver(item, config, invocation, "Success")
        elif item.attempts <= max_retries:
            delays = self.service.async_retry_delays or (0.0,)
            self._requeue(item, delays[min(item.attempts - 1, len(delays) - 1)])
        else:
            self._deliver(item, config, invocation, "RetriesExhausted")

    def _requeue(self, item: _Queued, delay: float) -> None:
        with self._cv:
            item.due = time.monotonic() + delay
            item.seq = next(self._seq)
            heapq.heappush(self._heap, item)
            self._cv.notify()

    def _deliver(self, item: _Queued, config: dict[str, object], invocation: Invocation | None,
                 condition: str) -> None:
        destinations = config.get("DestinationConfig") or {}
        success = condition == "Success"
        if not success:  # dropped from Lambda's queue, whether or not a destination or DLQ keeps a copy
            resource = _resource(item.function_name, item.qualifier)
            self.service.metrics.put("AsyncEventsDropped", 1, "Count", item.function_name, resource)
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
                self._send(dlq, item.payload.decode(errors="replace"), attributes={
                    "RequestID": item.request_id, "ErrorCode": "200",
                    "ErrorMessage": str(error.get("errorMessage", condition))[:256]})

    def _record(self, item: _Queued, invocation: Invocation | None, condition: str) -> dict[str, object]:
        """AWS's invocation record, as destinations receive it."""
        fn_arn = (f"arn:aws:lambda:{self.service.region}:{self.service.account_id}:function:"
                  f"{item.function_name}:{item.qualifier or '$LATEST'}")
        try:
            request_payload = json.loads(item.payload or b"null")
        except ValueError:
            request_payload = item.payload.decode(errors="replace")
        record: dict[str, object] = {
            "version": "1.0",
            "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "requestContext": {"requestId": item.request_id, "functionArn": fn_arn, "condition": condition,
                               "approximateInvokeCount": item.attempts},
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
                    kwargs["MessageAttributes"] = {k: {"DataType": "String", "StringValue": v}
                                                   for k, v in attributes.items()}
                sqs.send_message(**kwargs)
            elif service == "sns":
                self.service._client_factory("sns").publish(TopicArn=arn, Message=body)
            elif service == "lambda":
                self.enqueue(arn.split(":")[6], body.encode())
            elif service == "events":
                self.service._client_factory("events").put_events(Entries=[{
                    "Source": "lambda", "DetailType": "Lambda Function Invocation Result",
                    "Detail": body, "EventBusName": arn}])
        except Exception:  # noqa: BLE001 - a missing destination loses the record, as on AWS
            return


def _resource(function_name: str, qualifier: str | None) -> str | None:
    """The ``Resource`` dimension of a version's or alias's metrics (none for $LATEST)."""
    return f"{function_name}:{qualifier}" if qualifier and qualifier != "$LATEST" else None


_invokers: dict[int, AsyncInvoker] = {}
_lock = threading.Lock()


def invoker(service: LambdaService) -> AsyncInvoker:
    with _lock:
        if id(service) not in _invokers:
            _invokers[id(service)] = AsyncInvoker(service)
        return _invokers[id(service)]


def enqueue(service: LambdaService, function_name: str, payload: bytes, qualifier: str | None = None) -> str:
    return invoker(service).enqueue(function_name, payload, qualifier)
