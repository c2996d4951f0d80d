"""The SQS mapping never loses a message, and delivers one twice only for a reason.

Over random failure patterns, batch sizes, function timeouts, visibility timeouts, redrive settings and
both response modes, every message sent ends either deleted after a successful processing or in the
dead-letter queue; and a message is delivered again only when an earlier delivery failed (the function
reported it, raised, timed out or was throttled) or was still being processed when the queue's visibility
timeout ran out. Kept small enough for a laptop: short visibility timeouts (SQS's clock is real), a few
examples of a few messages each.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqs_helpers import HANDLER, drain, make_queue, send_all

import lambdalab
from lambdalab.triggers import sqs as sqs_trigger

pytestmark = pytest.mark.runs_long  # about 34 s together: collected first (tests/conftest.py)

EXAMPLES = int(os.environ.get("LAMBDALAB_CONSERVATION_EXAMPLES", "12"))
TIMEOUTS = (1, 2)


@pytest.fixture(scope="module")
def world():
    box = lambdalab.sandbox()
    for mode in ("partial", "raise"):
        for timeout in TIMEOUTS:
            lambdalab.deploy(f"conserve-{mode}-{timeout}", code=HANDLER, environment={"MODE": mode}, timeout=timeout)
    yield box, box.client("sqs"), box.client("lambda")
    box.reset()


message = st.fixed_dictionaries(
    {
        "fail_times": st.sampled_from([0, 0, 0, 1, 2, 9]),  # 9: a poison message
        "sleep": st.sampled_from([0, 0, 0, 0, 0.3, 1.4]),  # 1.4 s outlives a 1 s visibility or timeout
    }
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    bodies=st.lists(message, min_size=3, max_size=12),
    batch_size=st.integers(1, 10),
    visibility=st.sampled_from([1, 2]),
    timeout=st.sampled_from(TIMEOUTS),
    report=st.booleans(),
    max_receive_count=st.integers(1, 3),
)
def test_every_message_ends_deleted_after_success_or_in_the_dlq_and_duplicates_have_a_reason(
    world, bodies, batch_size, visibility, timeout, report, max_receive_count
):
    box, sqs, lam = world
    queue = make_queue(sqs, visibility=visibility, max_receive_count=max_receive_count)
    function = f"conserve-{'partial' if report else 'raise'}-{timeout}"
    options = {"FunctionResponseTypes": ["ReportBatchItemFailures"]} if report else {}
    # Lambda refuses a mapping whose queue hides messages for less than the function's timeout; a timeout
    # raised after the mapping exists is accepted (and is how a function comes to outlive the visibility).
    lam.update_function_configuration(FunctionName=function, Timeout=min(timeout, visibility))
    uuid = lam.create_event_source_mapping(
        EventSourceArn=queue["arn"], FunctionName=function, BatchSize=batch_size, **options
    )["UUID"]
    lam.update_function_configuration(FunctionName=function, Timeout=timeout)
    try:
        ids = send_all(sqs, queue["url"], [{**body, "n": i} for i, body in enumerate(bodies)])
        assert sqs_trigger.wait_until_empty(queue["url"], timeout=60), "messages were left in the queue"
    finally:
        lam.delete_event_source_mapping(UUID=uuid)
    dead = {m["MessageId"] for m in drain(sqs, queue["dlq_url"])}
    deliveries: dict[str, list] = {}
    for delivery in sorted(sqs_trigger.deliveries(uuid), key=lambda d: d.received_at):
        deliveries.setdefault(delivery.message_id, []).append(delivery)
    processed = {i for i, trips in deliveries.items() if any(d.outcome == "deleted" for d in trips)}

    # Never lost: each message was deleted after a successful processing, or SQS moved it to the DLQ.
    assert set(ids) <= processed | dead, f"lost: {set(ids) - processed - dead}"
    assert dead <= set(ids)
    for message_id in dead:
        assert len(deliveries.get(message_id, [])) >= max_receive_count

    # Duplicates only for a reason: the earlier delivery failed, or it was still running when the next one
    # began (its processing outlived the visibility timeout).
    for trips in deliveries.values():
        for earlier, later in zip(trips, trips[1:], strict=False):
            assert earlier.outcome != "deleted" or later.received_at < earlier.settled_at, (earlier, later)

    # And with partial batch responses and nothing slow, the outcome is exactly the failure pattern's.
    for message_id, body in zip(ids, bodies, strict=True):
        trips = deliveries.get(message_id, [])
        quick = all(d.seconds_in_flight < visibility * 0.9 for d in trips)
        if report and quick and body["sleep"] == 0 and all(b["sleep"] < timeout for b in bodies):
            assert (message_id in dead) == (body["fail_times"] >= max_receive_count), (body, trips)
