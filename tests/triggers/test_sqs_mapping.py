"""SQS → Lambda through event source mappings: batches, partial failures, visibility, DLQ, scaling, throttles.

Every test drives the real path: a queue in the sandbox's SQS, a mapping created with boto3 (or the AWS
CLI), a function on real execution environments, and the trigger's pollers in between.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from botocore.config import Config
from sqs_helpers import HANDLER, drain, make_queue, send_all

import lambdalab
from lambdalab.triggers import sqs as sqs_trigger

pytestmark = pytest.mark.runs_long  # about 48 s together: collected first (tests/conftest.py)

AWS = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture(scope="module")
def sqs(box):
    return box.client("sqs")


@pytest.fixture(scope="module")
def lam(box):
    return box.client("lambda", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))


@pytest.fixture(scope="module")
def partial_fn(box):
    lambdalab.deploy("sqs-partial", code=HANDLER, environment={"MODE": "partial"}, timeout=10)
    return "sqs-partial"


@pytest.fixture(scope="module")
def quick_fn(box):
    """For queues with a 1 s visibility timeout: Lambda refuses a function whose timeout is longer."""
    lambdalab.deploy("sqs-partial-quick", code=HANDLER, environment={"MODE": "partial"}, timeout=1)
    return "sqs-partial-quick"


@pytest.fixture(scope="module")
def raising_fn(box):
    lambdalab.deploy("sqs-raise", code=HANDLER, environment={"MODE": "raise"}, timeout=2)
    return "sqs-raise"


@pytest.fixture
def mappings(lam):
    created: list[str] = []
    yield created
    for uuid in created:
        lam.delete_event_source_mapping(UUID=uuid)


def mapping(lam, created, queue, function, **options):
    response = lam.create_event_source_mapping(EventSourceArn=queue["arn"], FunctionName=function, **options)
    created.append(response["UUID"])
    return response["UUID"]


def state_after_transition(lam, uuid, timeout=10.0):
    """The mapping once it no longer reports a transition (Updating, Enabling, Disabling), as a script
    on AWS would wait for it."""
    deadline = time.monotonic() + timeout
    while (got := lam.get_event_source_mapping(UUID=uuid))["State"] in ("Updating", "Enabling", "Disabling"):
        assert time.monotonic() < deadline, f"still {got['State']} after {timeout} s"
        time.sleep(0.05)
    return got


def outcomes(uuid):
    by_id: dict[str, list] = {}
    for delivery in sorted(sqs_trigger.deliveries(uuid), key=lambda d: d.received_at):
        by_id.setdefault(delivery.message_id, []).append(delivery)
    return by_id


def test_mappings_are_created_listed_read_updated_and_deleted_through_the_lambda_api(lam, sqs, partial_fn):
    queue = make_queue(sqs)
    created = lam.create_event_source_mapping(
        EventSourceArn=queue["arn"],
        FunctionName=partial_fn,
        BatchSize=5,
        MaximumBatchingWindowInSeconds=2,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": 3},
    )
    uuid = created["UUID"]
    listed = lam.list_event_source_mappings(FunctionName=partial_fn)["EventSourceMappings"]
    assert uuid in [m["UUID"] for m in listed]
    got = lam.get_event_source_mapping(UUID=uuid)
    assert (got["BatchSize"], got["MaximumBatchingWindowInSeconds"], got["ScalingConfig"]) == (
        5,
        2,
        {"MaximumConcurrency": 3},
    )
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False, BatchSize=7)["State"] == "Disabling"
    got = state_after_transition(lam, uuid)
    assert (got["State"], got["BatchSize"]) == ("Disabled", 7)
    lam.delete_event_source_mapping(UUID=uuid)
    assert uuid not in [m["UUID"] for m in lam.list_event_source_mappings()["EventSourceMappings"]]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"BatchSize": 50}, "Maximum batch window in seconds must be greater than 0"),
        (
            {"BatchSize": 10_001, "MaximumBatchingWindowInSeconds": 1},
            "Value '10001' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal "
            "to 10000",
        ),
        ({"MaximumBatchingWindowInSeconds": 301}, "maximumBatchingWindowInSeconds"),
        ({"ScalingConfig": {"MaximumConcurrency": 1}}, "greater than or equal to 2"),
        ({"FunctionResponseTypes": ["Everything"]}, "ReportBatchItemFailures"),
    ],
)
def test_mapping_settings_aws_refuses_are_refused_with_its_words(lam, sqs, partial_fn, options, message):
    queue = make_queue(sqs)
    with pytest.raises(lam.exceptions.ClientError, match=message):
        lam.create_event_source_mapping(EventSourceArn=queue["arn"], FunctionName=partial_fn, **options)


@pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")
def test_a_mapping_created_with_the_aws_cli_delivers(box, sqs, partial_fn):
    queue = make_queue(sqs)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **box.environment}

    def aws(*args: str) -> dict:
        done = subprocess.run(
            [AWS, "lambda", *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    created = aws(
        "create-event-source-mapping",
        "--function-name",
        partial_fn,
        "--batch-size",
        "5",
        "--event-source-arn",
        queue["arn"],
    )
    try:
        assert (created["BatchSize"], created["EventSourceArn"]) == (5, queue["arn"])
        [message_id] = send_all(sqs, queue["url"], [{"n": 1}])
        assert sqs_trigger.wait_until_empty(queue["url"], 20)
        assert [(d.message_id, d.outcome) for d in sqs_trigger.deliveries(created["UUID"])] == [(message_id, "deleted")]
    finally:
        box.client("lambda").delete_event_source_mapping(UUID=created["UUID"])


def test_send_message_returns_before_the_function_runs_instead_of_running_it_inside(lam, sqs, partial_fn, mappings):
    queue = make_queue(sqs)
    uuid = mapping(lam, mappings, queue, partial_fn)
    send_all(sqs, queue["url"], [{"sleep": 3}])
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    waiting = sqs.get_queue_attributes(QueueUrl=queue["url"], AttributeNames=names)["Attributes"]
    assert sum(int(waiting[n]) for n in names) == 1, "moto's mapping would have processed and deleted it already"
    assert sqs_trigger.deliveries(uuid) == []
    assert sqs_trigger.wait_until_empty(queue["url"], 20)
    assert [d.outcome for d in sqs_trigger.deliveries(uuid)] == ["deleted"]


def test_batches_never_exceed_the_batch_size_and_every_message_is_deleted_once(lam, sqs, partial_fn, mappings):
    queue = make_queue(sqs)
    uuid = mapping(lam, mappings, queue, partial_fn, BatchSize=4)
    ids = send_all(sqs, queue["url"], [{"n": i} for i in range(23)])
    assert sqs_trigger.wait_until_empty(queue["url"], 20)
    by_id = outcomes(uuid)
    assert set(by_id) == set(ids)
    assert all([d.outcome for d in ds] == ["deleted"] and ds[0].receive_count == 1 for ds in by_id.values())
    batch_sizes: dict[str, int] = {}
    for delivery in sqs_trigger.deliveries(uuid):
        batch_sizes[delivery.request_id] = batch_sizes.get(delivery.request_id, 0) + 1
    assert max(batch_sizes.values()) <= 4


def test_with_report_batch_item_failures_only_the_reported_messages_come_back(lam, sqs, quick_fn, mappings):
    queue = make_queue(sqs, visibility=1)
    uuid = mapping(lam, mappings, queue, quick_fn, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    bodies = [{"n": i, "fail_times": 1 if i % 3 == 0 else 0} for i in range(9)]
    ids = send_all(sqs, queue["url"], bodies)
    assert sqs_trigger.wait_until_empty(queue["url"], 20)
    by_id = outcomes(uuid)
    for message_id, body in zip(ids, bodies, strict=True):
        trips = [(d.receive_count, d.outcome) for d in by_id[message_id]]
        if body["fail_times"]:
            assert trips == [(1, "failed"), (2, "deleted")]
        else:
            assert trips == [(1, "deleted")]


def test_without_it_a_function_error_returns_the_whole_batch(lam, sqs, raising_fn, mappings):
    queue = make_queue(sqs, visibility=2)
    uuid = mapping(lam, mappings, queue, raising_fn, BatchSize=10, Enabled=False)
    ids = send_all(sqs, queue["url"], [{"n": 0, "fail_times": 1}] + [{"n": i} for i in range(1, 6)])
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)  # all six are waiting: one batch
    assert sqs_trigger.wait_until_empty(queue["url"], 20)
    by_id = outcomes(uuid)
    first_try = {by_id[i][0].request_id for i in ids}
    assert len(first_try) == 1, "the six messages were meant to arrive in one batch"
    assert all([d.outcome for d in by_id[i]] == ["failed", "deleted"] for i in ids)
    assert all(by_id[i][0].reason == "function error" for i in ids)


def test_a_response_naming_a_message_outside_the_batch_fails_the_whole_batch(box, lam, sqs, mappings):
    lambdalab.deploy("sqs-bogus", code=HANDLER, environment={"MODE": "bogus"}, timeout=1)
    queue = make_queue(sqs, visibility=1, max_receive_count=1)
    uuid = mapping(lam, mappings, queue, "sqs-bogus", FunctionResponseTypes=["ReportBatchItemFailures"])
    ids = send_all(sqs, queue["url"], [{"n": 1}, {"n": 2}])
    assert sqs_trigger.wait_until_empty(queue["url"], 20)
    assert {m["MessageId"] for m in drain(sqs, queue["dlq_url"])} == set(ids)
    assert all("not in the batch" in d.reason for d in sqs_trigger.deliveries(uuid))


def test_a_message_that_keeps_failing_moves_to_the_dead_letter_queue_after_max_receive_count(
    lam, sqs, quick_fn, mappings
):
    queue = make_queue(sqs, visibility=1, max_receive_count=2)
    uuid = mapping(lam, mappings, queue, quick_fn, FunctionResponseTypes=["ReportBatchItemFailures"])
    poison, fine = send_all(sqs, queue["url"], [{"poison": True, "fail_times": 99}, {"fine": True}])
    assert sqs_trigger.wait_until_empty(queue["url"], 20)
    [dead] = drain(sqs, queue["dlq_url"])
    assert dead["MessageId"] == poison and json.loads(dead["Body"]) == {"poison": True, "fail_times": 99}
    assert [d.receive_count for d in outcomes(uuid)[poison]] == [1, 2]
    assert [d.outcome for d in outcomes(uuid)[fine]] == ["deleted"]


def test_a_queue_whose_visibility_timeout_is_below_the_function_timeout_is_refused_with_aws_words(
    box, lam, sqs, mappings
):
    lambdalab.deploy("sqs-three-minutes", code=HANDLER, timeout=180)
    queue = make_queue(sqs, visibility=60)
    with pytest.raises(lam.exceptions.ClientError) as refused:
        lam.create_event_source_mapping(EventSourceArn=queue["arn"], FunctionName="sqs-three-minutes")
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (
        "InvalidParameterValueException",
        "Queue visibility timeout: 60 seconds is less than Function timeout: 180 seconds",
    )
    assert lam.list_event_source_mappings(FunctionName="sqs-three-minutes")["EventSourceMappings"] == []
    equal = make_queue(sqs, visibility=180)
    assert mapping(lam, mappings, equal, "sqs-three-minutes")  # equal is enough


def test_raising_the_function_timeout_after_the_mapping_exists_is_accepted_and_delivers_the_message_twice(
    box, lam, sqs, mappings
):
    lambdalab.deploy("sqs-grows-slow", code=HANDLER, environment={"MODE": "partial"}, timeout=1)
    queue = make_queue(sqs, visibility=1)
    uuid = mapping(lam, mappings, queue, "sqs-grows-slow", BatchSize=1)
    lam.update_function_configuration(FunctionName="sqs-grows-slow", Timeout=3)  # accepted, as on AWS
    [message_id] = send_all(sqs, queue["url"], [{"sleep": 1.4}])
    assert sqs_trigger.wait_until_empty(queue["url"], 20)
    first, second, *_ = outcomes(uuid)[message_id]
    assert (first.receive_count, second.receive_count) == (1, 2)
    assert second.received_at < first.settled_at, "the second delivery began while the first still ran"


def test_a_batching_window_and_a_slow_batch_deliver_messages_again_in_flight_though_visibility_equals_timeout(
    box, lam, sqs, mappings
):
    """AWS accepts visibility == timeout; the window's wait and the batch's work still outlast the visibility."""
    lambdalab.deploy("sqs-slow-batch", code=HANDLER, environment={"MODE": "partial"}, timeout=3)
    queue = make_queue(sqs, visibility=3)
    uuid = mapping(lam, mappings, queue, "sqs-slow-batch", BatchSize=10, MaximumBatchingWindowInSeconds=2)
    ids = send_all(sqs, queue["url"], [{"sleep": 2, "n": i} for i in range(3)])
    assert sqs_trigger.wait_until_empty(queue["url"], 30)
    by_id = outcomes(uuid)
    assert set(by_id) == set(ids)
    for trips in by_id.values():  # read after wait_until_empty: it waits for batches still being gathered too
        first, second, *_ = trips  # every message came back while its first batch was still being processed
        assert (first.receive_count, second.receive_count) == (1, 2)
        assert second.received_at < first.settled_at


def test_throttle_retries_keep_a_batch_in_flight_past_the_visibility_timeout_and_messages_are_delivered_again(
    box, lam, sqs, mappings
):
    """Visibility 4 s ≥ timeout 3 s, no batching window: the retries of a throttled invoke eat the margin."""
    fn = lambdalab.deploy("sqs-one-at-a-time", code=HANDLER, environment={"MODE": "partial"}, timeout=3)
    fn.invoke({"Records": []})  # warm: the first batch's cold start is not the point here
    lam.put_function_concurrency(FunctionName="sqs-one-at-a-time", ReservedConcurrentExecutions=1)
    queue = make_queue(sqs, visibility=4)
    uuid = mapping(lam, mappings, queue, "sqs-one-at-a-time", BatchSize=1)
    # Four messages, one environment: each waits, retrying, for the ones before it, so the later ones stay
    # in flight for seconds past the visibility timeout, or give up at it, and SQS hands messages out again.
    send_all(sqs, queue["url"], [{"sleep": 2.5, "n": i} for i in range(4)])
    assert sqs_trigger.wait_until_empty(queue["url"], 60)
    assert sqs_trigger.current().poller(uuid).throttles > 0
    trips = sqs_trigger.deliveries(uuid)
    held_too_long = {d.message_id for d in trips if d.seconds_in_flight > 4}
    assert held_too_long, "a batch that waited for the function held its message past the visibility timeout"
    again = [d for d in trips if d.receive_count > 1]
    assert again, "messages whose batches waited past the visibility timeout were received again"
    # Which ones come back depends on when a poller is free (a held message deleted just after it turned
    # visible may not be); what holds for every one is SQS's rule: not before the visibility timeout has
    # run out since its previous receipt.
    for second in again:
        previous = max((d for d in trips if d.message_id == second.message_id
                        and d.receive_count == second.receive_count - 1), key=lambda d: d.received_at)
        assert second.received_at - previous.received_at >= 4 - 0.1, f"{second.message_id} came back early"


def test_updating_a_mapping_checks_the_visibility_timeout_again(box, lam, sqs, mappings):
    lambdalab.deploy("sqs-recheck", code=HANDLER, timeout=2)
    queue = make_queue(sqs, visibility=2)
    uuid = mapping(lam, mappings, queue, "sqs-recheck", BatchSize=1)
    lam.update_function_configuration(FunctionName="sqs-recheck", Timeout=5)
    with pytest.raises(
        lam.exceptions.ClientError, match="Queue visibility timeout: 2 seconds is less than Function timeout: 5 seconds"
    ):
        lam.update_event_source_mapping(UUID=uuid, BatchSize=2)
    sqs.set_queue_attributes(QueueUrl=queue["url"], Attributes={"VisibilityTimeout": "30"})
    assert lam.update_event_source_mapping(UUID=uuid, BatchSize=2)["BatchSize"] == 2


def test_a_visibility_timeout_longer_than_the_processing_delivers_it_once(lam, sqs, partial_fn, mappings):
    queue = make_queue(sqs, visibility=6 * 3)
    uuid = mapping(lam, mappings, queue, partial_fn, BatchSize=1)
    [message_id] = send_all(sqs, queue["url"], [{"sleep": 1.2}])
    assert sqs_trigger.wait_until_empty(queue["url"], 20)
    assert [(d.receive_count, d.outcome) for d in outcomes(uuid)[message_id]] == [(1, "deleted")]


def test_the_batching_window_gathers_more_than_ten_messages_into_one_batch(lam, sqs, partial_fn, mappings):
    queue = make_queue(sqs)
    uuid = mapping(
        lam,
        mappings,
        queue,
        partial_fn,
        BatchSize=25,
        MaximumBatchingWindowInSeconds=2,
        ScalingConfig={"MaximumConcurrency": 2},
    )
    send_all(sqs, queue["url"], [{"n": i} for i in range(25)])
    assert sqs_trigger.wait_until_empty(queue["url"], 20)
    sizes: dict[str, int] = {}
    for delivery in sqs_trigger.deliveries(uuid):
        sizes[delivery.request_id] = sizes.get(delivery.request_id, 0) + 1
    assert max(sizes.values()) > 10


def test_concurrent_batches_start_at_five_and_maximum_concurrency_caps_them(box, lam, sqs, partial_fn, mappings):
    capped, free = make_queue(sqs), make_queue(sqs)
    capped_uuid = mapping(lam, mappings, capped, partial_fn, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2})
    free_uuid = mapping(lam, mappings, free, partial_fn, BatchSize=1)
    send_all(sqs, capped["url"], [{"sleep": 0.4}] * 8)
    send_all(sqs, free["url"], [{"sleep": 0.4}] * 8)
    assert sqs_trigger.wait_until_empty(capped["url"], 30)
    assert sqs_trigger.wait_until_empty(free["url"], 30)
    trigger = sqs_trigger.current()
    assert trigger.poller(capped_uuid).peak_concurrency == 2
    assert 5 <= trigger.poller(free_uuid).peak_concurrency <= 8  # five, plus what 300 a minute adds meanwhile


def test_throttled_invokes_are_retried_and_no_message_is_lost(box, lam, sqs, mappings):
    lambdalab.deploy("sqs-narrow", code=HANDLER, environment={"MODE": "partial"})
    lam.put_function_concurrency(FunctionName="sqs-narrow", ReservedConcurrentExecutions=1)
    queue = make_queue(sqs, visibility=30, max_receive_count=5)
    uuid = mapping(lam, mappings, queue, "sqs-narrow", BatchSize=1)
    ids = send_all(sqs, queue["url"], [{"sleep": 0.2, "n": i} for i in range(8)])
    assert sqs_trigger.wait_until_empty(queue["url"], 30)
    assert sqs_trigger.current().poller(uuid).throttles > 0
    assert {i for i, ds in outcomes(uuid).items() if ds[-1].outcome == "deleted"} == set(ids)
    assert drain(sqs, queue["dlq_url"]) == []


def test_an_update_reports_updating_until_the_pollers_run_to_the_new_configuration(lam, sqs, partial_fn, mappings):
    queue = make_queue(sqs)
    uuid = mapping(lam, mappings, queue, partial_fn, BatchSize=1)
    poller = sqs_trigger.current().poller
    deadline = time.monotonic() + 10
    while (poller(uuid) is None or poller(uuid).workers < 5) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert poller(uuid).workers == 5, "a new mapping starts five pollers"

    assert lam.update_event_source_mapping(UUID=uuid, ScalingConfig={"MaximumConcurrency": 2})["State"] == "Updating"
    assert state_after_transition(lam, uuid)["State"] == "Enabled"
    # Enabled means in effect: the surplus pollers have ended (their long polls cut short, not sat out).
    assert poller(uuid).workers == 2

    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    assert state_after_transition(lam, uuid)["State"] == "Disabled"
    assert poller(uuid).workers == 0
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    assert state_after_transition(lam, uuid)["State"] == "Enabled"
    assert poller(uuid).workers == 2


def test_a_disabled_mapping_leaves_messages_until_it_is_enabled_again(lam, sqs, partial_fn, mappings):
    queue = make_queue(sqs)
    uuid = mapping(lam, mappings, queue, partial_fn, Enabled=False)
    send_all(sqs, queue["url"], [{"n": 1}])
    time.sleep(1.0)
    visible = sqs.get_queue_attributes(QueueUrl=queue["url"], AttributeNames=["ApproximateNumberOfMessages"])
    assert visible["Attributes"]["ApproximateNumberOfMessages"] == "1"
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    assert sqs_trigger.wait_until_empty(queue["url"], 20)


def test_concurrent_receivers_never_get_the_same_message(sqs):
    queue = make_queue(sqs, visibility=60)
    send_all(sqs, queue["url"], [{"n": i} for i in range(100)])
    seen: list[str] = []
    lock = threading.Lock()

    def consume() -> None:
        while True:
            got = sqs.receive_message(QueueUrl=queue["url"], MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return
            with lock:
                seen.extend(m["MessageId"] for m in got)

    workers = [threading.Thread(target=consume) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(seen) == len(set(seen)) == 100
