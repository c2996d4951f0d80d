"""Lab 03's checks judge real runs through real event sources: right answers pass, wrong ones are told why."""

from __future__ import annotations

import pytest
from answers import write

import lambdalab
from lambdalab.grading import Status
from lambdalab.grading.lab03 import check

PROCESS = """
import json
import os

import boto3

sqs = boto3.client("sqs")


def process(order):
    if not isinstance(order, dict):
        raise ValueError("an order is a JSON object")
    quantity = order.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ValueError(f"bad quantity: {quantity!r}")
    sqs.send_message(QueueUrl=os.environ["PROCESSED_QUEUE"], MessageBody=json.dumps(order))
    return order
"""
BATCH_RIGHT = (
    PROCESS
    + """

def handler(event, context):
    failures, stuck = [], set()
    for record in event["Records"]:
        customer = record["attributes"]["MessageGroupId"]
        if customer in stuck:
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        try:
            process(json.loads(record["body"]))
        except Exception:
            stuck.add(customer)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""
)
BATCH_IGNORES_GROUPS = (
    PROCESS
    + """

def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            process(json.loads(record["body"]))
        except Exception:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""
)
BATCH_STOPS_EVERYONE = BATCH_RIGHT.replace("if customer in stuck:", "if stuck:")
BATCH_RAISES = (
    PROCESS
    + """

def handler(event, context):
    for record in event["Records"]:
        process(json.loads(record["body"]))
    return {"batchItemFailures": []}
"""
)
KEYS_RIGHT = """
import json
import urllib.parse

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    objects = {}
    for message in event["Records"]:
        notification = json.loads(message["body"])
        for record in notification.get("Records", []):  # S3's test message has none
            bucket = record["s3"]["bucket"]["name"]
            key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
            objects[key] = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()[0]
    return {"objects": objects}
"""
IDEMPOTENT_RIGHT = """
import os
import uuid

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer, IdempotencyConfig, idempotent_function)

ledger = boto3.resource("dynamodb").Table(os.environ["LEDGER_TABLE"])


def charge(payment):
    ledger.put_item(Item={"entry": str(uuid.uuid4()), "payment_id": payment["payment_id"],
                          "amount": payment["amount"]})
    return {"charged": payment["amount"], "payment_id": payment["payment_id"]}


persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])
config = IdempotencyConfig(event_key_jmespath="detail.payment_id",
                           payload_validation_jmespath="detail.[amount, currency]")


@idempotent_function(data_keyword_argument="payment", config=config, persistence_store=persistence)
def charge_once(payment):
    return charge(payment["detail"])


def handler(event, context):
    config.register_lambda_context(context)
    return charge_once(payment=event)
"""
SCHEDULE_RIGHT = """
NIGHTLY_MAINTENANCE = {"ScheduleExpression": "cron(30 1 * * ? *)", "ScheduleExpressionTimezone": "Europe/Berlin"}
MONTH_END_PAYROLL = {"ScheduleExpression": "cron(30 17 L * ? *)", "ScheduleExpressionTimezone": "America/New_York"}
"""


@pytest.fixture(autouse=True, scope="module")
def clean_sandbox():
    box = lambdalab.sandbox()
    yield
    box.reset()


def test_ex1_when_a_failed_customer_s_later_orders_go_back_too_then_it_passes(tmp_path):
    assert check(1, write(tmp_path, "lab03/ex1/app.py", BATCH_RIGHT)).status is Status.PASSED


def test_ex1_when_only_the_failed_record_goes_back_then_a_later_order_overtakes_it_and_it_fails(tmp_path):
    """Every run meets a customer whose bad order is followed by a good one: the rule is always exercised."""
    result = check(1, write(tmp_path, "lab03/ex1/app.py", BATCH_IGNORES_GROUPS))
    assert result.status is Status.FAILED
    assert "same customer" in result.hint


def test_ex1_when_every_customer_stops_at_the_first_failure_then_it_fails(tmp_path):
    result = check(1, write(tmp_path, "lab03/ex1/app.py", BATCH_STOPS_EVERYONE))
    assert result.status is Status.FAILED
    assert "other customers" in result.hint


def test_ex1_when_the_handler_raises_on_a_bad_record_then_it_says_the_whole_batch_returns(tmp_path):
    result = check(1, write(tmp_path, "lab03/ex1/app.py", BATCH_RAISES))
    assert result.status is Status.FAILED
    assert "whole batch" in result.got and "catch" in result.hint


def test_ex1_when_the_key_name_is_wrong_then_it_names_the_expected_shape(tmp_path):
    wrong = BATCH_RIGHT.replace('{"itemIdentifier": record["messageId"]}', '{"id": record["messageId"]}')
    result = check(1, write(tmp_path, "lab03/ex1/app.py", wrong))
    assert result.status is Status.FAILED and "itemIdentifier" in result.expected + result.got


def test_ex2_when_bodies_are_unwrapped_keys_decoded_and_the_test_message_skipped_then_it_passes(tmp_path):
    assert check(2, write(tmp_path, "lab03/ex2/app.py", KEYS_RIGHT)).status is Status.PASSED


def test_ex2_when_keys_are_decoded_with_unquote_then_spaces_stay_plus_signs_and_it_fails(tmp_path):
    wrong = KEYS_RIGHT.replace("unquote_plus", "unquote")
    result = check(2, write(tmp_path, "lab03/ex2/app.py", wrong))
    assert result.status is Status.FAILED
    assert "unquote_plus" in result.hint


def test_ex2_when_s3_s_test_message_is_not_expected_then_it_fails_every_time(tmp_path):
    """Every run puts S3's s3:TestEvent in one of the batches."""
    wrong = KEYS_RIGHT.replace('notification.get("Records", [])', 'notification["Records"]')
    result = check(2, write(tmp_path, "lab03/ex2/app.py", wrong))
    assert result.status is Status.FAILED
    assert "KeyError" in result.got and "test" in result.hint


def test_ex3_when_payments_are_idempotent_on_payment_id_and_validated_then_it_passes(tmp_path):
    assert check(3, write(tmp_path, "lab03/ex3/app.py", IDEMPOTENT_RIGHT)).status is Status.PASSED


def test_ex3_when_the_whole_event_is_the_key_then_a_redelivery_charges_twice(tmp_path):
    """Each EventBridge delivery has its own id and time, so the whole event never repeats."""
    wrong = IDEMPOTENT_RIGHT.replace('event_key_jmespath="detail.payment_id",\n', "")
    result = check(3, write(tmp_path, "lab03/ex3/app.py", wrong))
    assert result.status is Status.FAILED
    assert result.got == "2 entries" and "id alone" in result.hint


def test_ex3_when_a_reused_id_is_not_validated_then_it_is_answered_with_the_old_charge_and_fails(tmp_path):
    validation = ',\n                           payload_validation_jmespath="detail.[amount, currency]"'
    wrong = IDEMPOTENT_RIGHT.replace(validation, "")
    result = check(3, write(tmp_path, "lab03/ex3/app.py", wrong))
    assert result.status is Status.FAILED
    assert "as if it were this one" in result.got and "payload_validation_jmespath" in result.hint


def test_ex4_when_both_schedules_are_right_then_it_passes(tmp_path):
    assert check(4, write(tmp_path, "lab03/ex4/schedule.py", SCHEDULE_RIGHT)).status is Status.PASSED


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        # 02:30 does not exist in Berlin the night the clocks spring forward: Scheduler skips that run.
        (SCHEDULE_RIGHT.replace("cron(30 1 * * ? *)", "cron(30 2 * * ? *)"), "spring forward"),
        # 21:30 UTC is 17:30 in New York only while summer time lasts.
        (
            SCHEDULE_RIGHT.replace(
                '"cron(30 17 L * ? *)", "ScheduleExpressionTimezone": "America/New_York"',
                '"cron(30 21 L * ? *)", "ScheduleExpressionTimezone": "UTC"',
            ),
            "New York time",
        ),
        (SCHEDULE_RIGHT.replace("cron(30 17 L * ? *)", "cron(30 17 L * * *)"), "CreateSchedule refused"),
    ],
)
def test_ex4_when_a_schedule_is_wrong_then_it_shows_when_it_should_have_run(tmp_path, wrong, words):
    result = check(4, write(tmp_path, "lab03/ex4/schedule.py", wrong))
    assert result.status is Status.FAILED
    assert words in result.expected + result.got + result.hint


def test_when_the_answer_is_still_the_placeholder_then_not_yet_solved(tmp_path):
    write(
        tmp_path,
        "lab03/ex1/app.py",
        PROCESS
        + """

def handler(event, context):
    # YOUR CODE HERE
    raise NotImplementedError("exercise 1")
""",
    )
    assert check(1, tmp_path).status is Status.NOT_YET_SOLVED
