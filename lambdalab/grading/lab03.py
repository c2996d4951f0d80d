"""Lesson 03's lab: four situations the lessons did not show, each needing their idea.

A FIFO queue's batch where one customer's order fails (what goes back so no order overtakes it), S3
notifications that come through a queue (unwrap, decode, skip S3's test message), payments redelivered by
EventBridge with one id reused for another amount (what identifies a payment, what must match), and two
Scheduler schedules on other people's wall clocks across the changes of the clocks. Every check runs the
learner's code in real execution environments on inputs drawn fresh each time, always including the case
each rule decides, and judges what happened outside the learner's process: what process() passed on, what
the ledger holds, when the sandbox clock fired.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from pathlib import Path
from typing import Any

from lambdalab.aws_facts import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from lambdalab.grading import checker, exercise, failed, passed
from lambdalab.grading.fixtures import check_name, deploy_answer, deploy_with_probe, describe_failure
from lambdalab.grading.results import CheckResult

check = checker("03")

BATCH_FILE = "lab03/ex1/app.py"
KEYS_FILE = "lab03/ex2/app.py"
IDEMPOTENT_FILE = "lab03/ex3/app.py"
SCHEDULE_FILE = "lab03/ex4/schedule.py"


_name = check_name


def _deploy_answer(answer: Path, relative: str, **options: Any):
    """The learner's file, deployed as the function's ``app`` module (handler ``app.handler``)."""
    return deploy_answer(answer, relative, module="app", **options)


# --- exercise 1: report exactly the failed records -------------------------------------------------------
def _order_body(rng: random.Random, ok: bool) -> str:
    """A body process() accepts (an order with a unique id), or one of the ways an order can be bad."""
    if ok:
        return json.dumps({"order_id": f"o-{uuid.uuid4().hex[:6]}", "quantity": rng.randrange(1, 20)})
    bad = [
        lambda: "{not json",
        lambda: json.dumps({"order_id": f"o-{uuid.uuid4().hex[:6]}", "quantity": 0}),
        lambda: json.dumps({"order_id": f"o-{uuid.uuid4().hex[:6]}", "quantity": -rng.randrange(1, 9)}),
        lambda: json.dumps({"order_id": f"o-{uuid.uuid4().hex[:6]}"}),
        lambda: json.dumps({"order_id": f"o-{uuid.uuid4().hex[:6]}", "quantity": str(rng.randrange(1, 9))}),
        lambda: json.dumps([1, 2, 3]),
    ]
    return rng.choice(bad)()


def _reported_ids(payload: Any) -> list[str] | str:
    """The ids a response reports, or why Lambda could not read it."""
    if not isinstance(payload, dict):
        return f"a response of type {type(payload).__name__}, not a dict"
    failures = payload.get("batchItemFailures")
    if failures is None:
        return "no batchItemFailures key in the response"
    if not isinstance(failures, list) or not all(isinstance(f, dict) and "itemIdentifier" in f for f in failures):
        return f"batchItemFailures = {json.dumps(failures)[:200]} (entries must be {{'itemIdentifier': id}})"
    return [f["itemIdentifier"] for f in failures]


def _fifo_batches(rng: random.Random) -> list[list[tuple[str, str, bool]]]:
    """Batches of (customer, body, process() accepts it), values random; one batch always has a customer
    whose bad order is followed by a good one of theirs and by another customer's good order, and a customer
    with no bad order at all — every case the rule decides."""
    batches = []
    for _ in range(5):
        customers = [f"customer-{uuid.uuid4().hex[:4]}" for _ in range(rng.randrange(2, 5))]
        batch = []
        for _ in range(rng.randrange(3, 11)):
            ok = rng.random() > 0.35
            batch.append((rng.choice(customers), _order_body(rng, ok), ok))
        batches.append(batch)
    stuck, free, calm = (f"customer-{uuid.uuid4().hex[:4]}" for _ in range(3))
    covering = [
        (stuck, _order_body(rng, True), True),
        (calm, _order_body(rng, True), True),
        (stuck, _order_body(rng, False), False),
        (free, _order_body(rng, False), False),
        (stuck, _order_body(rng, True), True),
        (calm, _order_body(rng, True), True),
        (free, _order_body(rng, True), True),
    ]
    batches.insert(rng.randrange(len(batches) + 1), covering)
    return batches


def _fifo_expected(batch: list[tuple[str, str, bool]]) -> tuple[list[int], list[int]]:
    """(indexes to report, indexes process() must have run on): from a customer's first failure on, every
    record of theirs is reported and left unprocessed, so the queue redelivers them in order."""
    stuck: set[str] = set()
    report, processed = [], []
    for i, (customer, _, ok) in enumerate(batch):
        if customer in stuck:
            report.append(i)
            continue
        processed.append(i)
        if not ok:
            stuck.add(customer)
            report.append(i)
    return report, processed


@exercise(lab="03", number=1, title="Keep each customer's orders in order when one fails", files=[BATCH_FILE])
def partial_batch(answer: Path) -> CheckResult:
    import lambdalab
    from lambdalab.events.sqs import sqs_event, sqs_record

    rng = random.Random()
    box = lambdalab.sandbox()
    sqs = box.client("sqs")
    processed_queue = sqs.create_queue(QueueName=_name("processed"))["QueueUrl"]
    fn = _deploy_answer(answer, BATCH_FILE, timeout=30, environment={"PROCESSED_QUEUE": processed_queue})
    try:
        batches = _fifo_batches(rng)
        for batch in batches:
            records = [
                sqs_record(
                    body,
                    message_group_id=customer,
                    queue_name="orders.fifo",
                    message_deduplication_id=uuid.uuid4().hex,
                    sequence_number=str(10**19 + i),
                )
                for i, (customer, body, _) in enumerate(batch)
            ]
            shown = ", ".join(f"#{i} {customer}: {body}" for i, (customer, body, _) in enumerate(batch))
            result = fn.invoke(sqs_event(records))
            if not result.ok:
                return failed(
                    expected=f"batchItemFailures for a batch of {len(batch)} records ({shown})",
                    got=f"{describe_failure(result)} — Lambda would return the whole batch to the queue",
                    hint="catch the exception of each record; a handler that raises fails every record",
                )
            reported = _reported_ids(result.payload)
            if isinstance(reported, str):
                return failed(
                    expected='{"batchItemFailures": [{"itemIdentifier": messageId}, ...]}',
                    got=reported,
                    hint="one entry per record to retry, naming its messageId",
                )
            want_report, want_processed = _fifo_expected(batch)
            index = {r["messageId"]: i for i, r in enumerate(records)}
            got_report = sorted(index.get(m, -1) for m in reported)
            order_index = {json.loads(body)["order_id"]: i for i, (_, body, ok) in enumerate(batch) if ok}
            shipped = sorted(
                order_index.get(json.loads(m["Body"]).get("order_id"), -1) for m in _drain(sqs, processed_queue)
            )
            want_shipped = [i for i in want_processed if batch[i][2]]
            if got_report != want_report:
                return failed(
                    expected=f"records {want_report} reported, in the batch {shown}",
                    got=f"records {got_report} reported",
                    hint="a failed record, and every later record of the same customer (MessageGroupId), go back "
                    "to the queue; other customers' records are processed as usual",
                )
            if shipped != want_shipped:
                return failed(
                    expected=f"process() to accept records {want_shipped} only, in the batch {shown}",
                    got=f"it accepted records {shipped}",
                    hint="once a customer's record has failed, do not process their later records in this batch: "
                    "they would overtake the failed one",
                )
        return passed(
            got=f"{len(batches)} unseen FIFO batches: exactly each failed record and the same customer's later ones "
            "went back to the queue, and no order overtook a failed one"
        )
    finally:
        fn.delete()


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    found = []
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages"):
        found.extend(got)
    return found


# --- exercise 2: S3 notifications through a queue ----------------------------------------------------------
_WORDS = [
    "report",
    "photo",
    "Q3 results",
    "año nuevo",
    "naïve café",
    "日本語",
    "c++ notes",
    "a+b=c",
    "tom & jerry",
    "draft (1)",
    "Übersicht",
    "price=€5",
    "100%",
    "résumé final",
    "x y  z",
]


def _unseen_keys(rng: random.Random) -> list[str]:
    keys = {
        f"{rng.choice(['in', 'uploads/2027', 'my folder'])}/{rng.choice(_WORDS)} {rng.randrange(100)}"
        f"{rng.choice(['.txt', '.csv', '.md'])}"
        for _ in range(5)
    }
    keys.add(f"plain-{rng.randrange(1000)}.txt")
    return sorted(keys)


def _test_event(bucket: str) -> dict:
    """The message S3 sends to a queue when a notification is configured ("Event message structure",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html, checked
    December 2026)."""
    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-12-01T09:00:00.000Z",
        "Bucket": bucket,
        "RequestId": uuid.uuid4().hex[:16].upper(),
        "HostId": uuid.uuid4().hex,
    }


@exercise(lab="03", number=2, title="Read S3 notifications that come through a queue", files=[KEYS_FILE])
def s3_keys(answer: Path) -> CheckResult:
    import lambdalab
    from lambdalab.events.s3 import s3_event, s3_record
    from lambdalab.events.sqs import sqs_event, sqs_record

    rng = random.Random()
    box = lambdalab.sandbox()
    s3 = box.client("s3")
    bucket = f"check-uploads-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    fn = _deploy_answer(answer, KEYS_FILE, timeout=30)
    try:
        keys = _unseen_keys(rng)
        lines = {key: f"line for {uuid.uuid4().hex[:6]}" for key in keys}
        for key, line in lines.items():
            s3.put_object(Bucket=bucket, Key=key, Body=f"{line}\nmore\n".encode())
        # Every batch carries S3's notifications as SQS message bodies; one also carries S3's test message.
        rng.shuffle(keys)
        cut = rng.randrange(1, len(keys))
        batches = [keys[:cut], keys[cut:]]
        with_test = rng.randrange(2)
        for number, batch in enumerate(batches):
            bodies = [json.dumps(s3_event(s3_record(bucket, key, size=len(lines[key]) + 6))) for key in batch]
            if number == with_test:
                bodies.insert(rng.randrange(len(bodies) + 1), json.dumps(_test_event(bucket)))
            result = fn.invoke(sqs_event(sqs_record(body, queue_name="uploads") for body in bodies))
            wanted = {key: lines[key] for key in batch}
            if not result.ok:
                test = " (one of them S3's s3:TestEvent)" if number == with_test else ""
                return failed(
                    expected=f"the first line of each of {len(batch)} uploaded objects, from a batch of "
                    f"{len(bodies)} SQS records{test}",
                    got=describe_failure(result),
                    hint="each record's body is a JSON string: json.loads it to find S3's Records; S3's test "
                    "message has no Records; keys arrive URL-encoded (urllib.parse.unquote_plus)",
                )
            got = result.payload.get("objects") if isinstance(result.payload, dict) else None
            if not isinstance(got, dict):
                return failed(
                    expected='{"objects": {key: first line}}',
                    got=repr(result.payload)[:200],
                    hint="return a dict with one key, 'objects'",
                )
            if got != wanted:
                missing = next((k for k in wanted if got.get(k) != wanted[k]), None)
                near = next((k for k in got if k not in wanted), None)
                return failed(
                    expected=f"objects[{missing!r}] == {wanted.get(missing)!r}"
                    if missing
                    else f"only the {len(wanted)} objects of the batch",
                    got=f"{got.get(missing)!r}" + (f"; the answer used the key {near!r}" if near else "")
                    if missing
                    else f"extra keys {sorted(set(got) - set(wanted))[:3]}",
                    hint="decode each key with unquote_plus ('+' is a space, %2B a '+') and use the decoded key "
                    "in the result too",
                )
        return passed(
            got="read every unseen object (spaces, '+', '=', '&', non-ASCII letters) from S3 "
            "notifications delivered through a queue, S3's test message skipped"
        )
    finally:
        fn.delete()


# --- exercise 3: charge once -------------------------------------------------------------------------------
def _tables(box: Any) -> tuple[str, str]:
    dynamodb = box.client("dynamodb")
    ledger, idempotency = _name("ledger"), _name("idempotency")
    dynamodb.create_table(
        TableName=ledger,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "entry", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "entry", "KeyType": "HASH"}],
    )
    dynamodb.create_table(
        TableName=idempotency,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    return ledger, idempotency


def _payment_event(payment: dict) -> dict:
    """One delivery of a payment as EventBridge sends it: every delivery has its own event id and time."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "PaymentRequested",
        "source": "shop.checkout",
        "account": DEFAULT_ACCOUNT_ID,
        "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": DEFAULT_REGION,
        "resources": [],
        "detail": dict(payment),
    }


def _ledger_counts(box: Any, ledger: str) -> dict[str, int]:
    """How many ledger entries each payment_id has."""
    charged: dict[str, int] = {}
    for item in box.client("dynamodb").scan(TableName=ledger)["Items"]:
        charged[item["payment_id"]["S"]] = charged.get(item["payment_id"]["S"], 0) + 1
    return charged


@exercise(lab="03", number=3, title="Charge each payment once, and never a reused id", files=[IDEMPOTENT_FILE])
def charge_once(answer: Path) -> CheckResult:
    import lambdalab

    rng = random.Random()
    box = lambdalab.sandbox()
    ledger, idempotency = _tables(box)
    # Powertools is not in Lambda's runtime: the function is deployed with AWS's public layer, as on AWS.
    fn = _deploy_answer(
        answer,
        IDEMPOTENT_FILE,
        timeout=30,
        environment={"LEDGER_TABLE": ledger, "IDEMPOTENCY_TABLE": idempotency},
        layers=(lambdalab.POWERTOOLS_LAYER_ARN,),
    )
    try:
        amount = rng.randrange(5, 500)
        payments = [
            {"payment_id": f"pay-{uuid.uuid4().hex[:10]}", "amount": amount, "currency": rng.choice(["EUR", "USD"])}
            for _ in range(3)
        ]  # equal amounts: only payment_id tells them apart
        answers: dict[str, list[Any]] = {}
        for payment in payments + payments:  # each delivered twice, as two EventBridge events
            event = _payment_event(payment)
            result = fn.invoke(event)
            if not result.ok:
                return failed(
                    expected=f"the charge for a delivery of {payment}",
                    got=describe_failure(result),
                    hint="the idempotency table's name is in os.environ['IDEMPOTENCY_TABLE']; the payment is "
                    "event['detail']",
                )
            answers.setdefault(payment["payment_id"], []).append(result.payload)
        # A client bug: an old payment_id sent again with a different amount. Charging it, or answering with the
        # old charge as if it were this one, would both be wrong.
        charged = _ledger_counts(box, ledger)  # judged before the reused id is sent
        for payment in payments:
            times = charged.get(payment["payment_id"], 0)
            if times != 1:
                return failed(
                    expected=f"one ledger entry for {payment['payment_id']}, delivered twice (two events with "
                    "different ids and times)",
                    got=f"{times} entries",
                    hint="key the idempotency record on the payment's id alone (event_key_jmespath): each "
                    "delivery is a new event"
                    if times > 1
                    else "every distinct payment_id must still be charged once, even with equal amounts",
                )
            first, second = answers[payment["payment_id"]]
            if first != second:
                return failed(
                    expected="the second delivery to return the first delivery's result",
                    got=f"{first!r} then {second!r}",
                    hint="let the idempotency utility return the stored result instead of recomputing it",
                )
        reused = dict(rng.choice(payments))
        reused["amount"] += rng.randrange(1, 50)
        misuse = fn.invoke(_payment_event(reused))
        charged_again = _ledger_counts(box, ledger).get(reused["payment_id"], 0) > 1
        if charged_again or misuse.ok:
            got = (
                "it was charged a second time"
                if charged_again
                else f"it returned {misuse.payload!r}, the first payment's charge, as if it were this one"
            )
            return failed(
                expected=f"a delivery reusing {reused['payment_id']} with amount {reused['amount']} (first charged "
                f"{amount}) refused with an error, and not charged",
                got=got,
                hint="tell Powertools which fields must match for a repeat to count as the same payment "
                "(payload_validation_jmespath): then a different amount raises IdempotencyValidationError",
            )
        return passed(
            got=f"{len(payments)} unseen payments delivered twice each: charged once each, same answer both times; "
            "a reused id with another amount refused"
        )
    finally:
        fn.delete()


# --- exercise 4: schedules on a local wall clock ------------------------------------------------------------
SCHEDULE_PROBE = "lab03_schedule"
NIGHTLY = "NIGHTLY_MAINTENANCE"
PAYROLL = "MONTH_END_PAYROLL"
_DESCRIPTION = {
    NIGHTLY: "once every night between 01:00 and 04:00 Berlin time, the nights the clocks change included",
    PAYROLL: "17:30 New York time on the last day of every month",
}
_ROLE = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/lab03-scheduler"


def _last_days_at(start: dt.datetime, end: dt.datetime, hour: int, minute: int, tz: Any) -> list[dt.datetime]:
    """Each month's last day at hour:minute on the wall clock of ``tz``, as UTC instants in [start, end)."""
    wanted, month = [], dt.date(start.year, start.month, 1)
    while month <= end.date():
        following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        local = dt.datetime.combine(following - dt.timedelta(days=1), dt.time(hour, minute), tzinfo=tz)
        if start <= local.astimezone(dt.UTC) < end:
            wanted.append(local.astimezone(dt.UTC))
        month = following
    return wanted


def _dst_windows(rng: random.Random, tz: Any) -> list[tuple[dt.datetime, dt.datetime]]:
    """Two spans of ten days, one around the spring change of the clocks and one around the autumn change, in a
    year drawn now (each starts at a random local midnight a few days before the change)."""
    year = rng.randrange(2027, 2032)
    windows = []
    for month in (3, 10):
        last_sunday = max(dt.date(year, month, d) for d in range(25, 32) if dt.date(year, month, d).weekday() == 6)
        first = last_sunday - dt.timedelta(days=rng.randrange(3, 7))
        start = dt.datetime.combine(first, dt.time(), tzinfo=tz).astimezone(dt.UTC)
        windows.append((start, start + dt.timedelta(days=10)))
    return windows


def _clock_changes(year: int, tz: Any) -> list[dt.date]:
    """The days of ``year`` on which ``tz``'s offset from UTC changes (read from the tz database, not assumed)."""
    days = [dt.date(year, 1, 1) + dt.timedelta(days=n) for n in range(366 if year % 4 == 0 else 365)]
    noon = [dt.datetime.combine(d, dt.time(12), tzinfo=tz).utcoffset() for d in days]
    return [days[n] for n in range(1, len(days)) if noon[n] != noon[n - 1]]


def _month_end_windows(rng: random.Random, tz: Any) -> list[tuple[dt.datetime, dt.datetime]]:
    """For each change of the clocks in a year drawn now, a span (UTC) holding the last month-end before the change
    and the first one after it, so a month-end schedule always meets one in winter time and one in summer time;
    each span starts and ends a random few days around those month-ends."""
    year = rng.randrange(2027, 2032)
    windows = []
    for change in _clock_changes(year, tz):
        before = dt.date(change.year, change.month, 1) - dt.timedelta(days=1)
        following = dt.date(change.year + change.month // 12, change.month % 12 + 1, 1)
        after = following - dt.timedelta(days=1)
        first = before - dt.timedelta(days=rng.randrange(1, 6))
        last = after + dt.timedelta(days=rng.randrange(2, 6))
        windows.append(tuple(dt.datetime.combine(d, dt.time(), tzinfo=tz).astimezone(dt.UTC) for d in (first, last)))
    return windows


def _fired(box: Any, target_arn: str, spec: dict, start: dt.datetime, end: dt.datetime) -> list[dt.datetime] | str:
    """When a Scheduler schedule made from ``spec`` fires between start and end on the sandbox clock (UTC),
    or why CreateSchedule refused it."""
    from lambdalab import clock

    scheduler = box.client("scheduler")
    name = _name("schedule")
    clock.freeze(start)
    try:
        try:
            scheduler.create_schedule(
                Name=name,
                FlexibleTimeWindow={"Mode": "OFF"},
                Target={"Arn": target_arn, "RoleArn": _ROLE},
                **{k: spec[k] for k in ("ScheduleExpression", "ScheduleExpressionTimezone") if k in spec},
            )
        except scheduler.exceptions.ClientError as error:
            return f"CreateSchedule refused it: {error.response['Error']['Message'][:200]}"
        try:
            fired = clock.advance(end - start, wait=False)
        finally:
            scheduler.delete_schedule(Name=name)
    finally:
        clock.resume()
    return sorted({f.scheduled_time for f in fired if f.rule_name == name})


def _spec_problem(spec: object) -> str | None:
    if not isinstance(spec, dict) or not isinstance(spec.get("ScheduleExpression"), str):
        return f"{spec!r}"
    extra = set(spec) - {"ScheduleExpression", "ScheduleExpressionTimezone"}
    return f"unexpected keys {sorted(extra)}" if extra else None


@exercise(lab="03", number=4, title="Schedule on a local wall clock", files=[SCHEDULE_FILE])
def cron_expressions(answer: Path) -> CheckResult:
    from zoneinfo import ZoneInfo

    import lambdalab

    rng = random.Random()
    box = lambdalab.sandbox()
    probe = deploy_with_probe(answer, SCHEDULE_FILE, SCHEDULE_PROBE, timeout=5)
    try:
        result = probe.invoke({"names": [NIGHTLY, PAYROLL]})
    finally:
        probe.delete()
    if not result.ok:
        return failed(
            expected=f"schedule.py defining {NIGHTLY} and {PAYROLL}",
            got=describe_failure(result),
            hint='two dicts, each {"ScheduleExpression": "cron(...)", "ScheduleExpressionTimezone": "..."}',
        )
    specs = result.payload
    for name in (NIGHTLY, PAYROLL):
        problem = _spec_problem(specs.get(name))
        if problem is not None:
            return failed(
                expected=f'{name}: {{"ScheduleExpression": ..., "ScheduleExpressionTimezone": ...}} for '
                f"{_DESCRIPTION[name]}",
                got=f"{name} = {problem}",
                hint="the two parameters of CreateSchedule that say when it runs",
            )
    target = lambdalab.deploy(_name("scheduled"), code="def handler(event, context):\n    return None\n")
    try:
        berlin, new_york = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
        for start, end in _dst_windows(rng, berlin):
            fired = _fired(box, target.arn, specs[NIGHTLY], start, end)
            if isinstance(fired, str):
                return failed(
                    expected=f"{NIGHTLY}: a schedule Scheduler accepts",
                    got=fired,
                    hint="six cron fields, with '?' in one of the two day fields; an IANA time zone name",
                )
            nights: dict[dt.date, list[dt.datetime]] = {}
            for when in fired:
                local = when.astimezone(berlin)
                night = (local - dt.timedelta(hours=12)).date()  # the night that began the evening before
                nights.setdefault(night, []).append(local)
            first_night = (start.astimezone(berlin) - dt.timedelta(hours=12)).date() + dt.timedelta(days=1)
            for offset in range(9):
                night = first_night + dt.timedelta(days=offset)
                runs = nights.get(night, [])
                good = len(runs) == 1 and 1 <= runs[0].hour < 4
                if not good:
                    shown = ", ".join(f"{r:%a %d %b %H:%M}" for r in runs) or "no run"
                    return failed(
                        expected=f"{NIGHTLY}: one run between 01:00 and 04:00 Berlin time in the night after "
                        f"{night:%A %d %B %Y}",
                        got=f"{shown} (Berlin time)",
                        hint="on the night the clocks spring forward, 02:00-02:59 does not exist in Berlin and "
                        "Scheduler skips a run that falls there; a UTC cron drifts by an hour with summer time",
                    )
        start = dt.datetime(rng.randrange(2027, 2032), rng.randrange(1, 13), rng.randrange(1, 28), tzinfo=dt.UTC)
        spans = [*_month_end_windows(rng, new_york), (start, start + dt.timedelta(days=200))]
        for start, end in spans:
            fired = _fired(box, target.arn, specs[PAYROLL], start, end)
            if isinstance(fired, str):
                return failed(
                    expected=f"{PAYROLL}: a schedule Scheduler accepts",
                    got=fired,
                    hint="'L' in the day-of-month field means the month's last day; then '?' for day-of-week",
                )
            wanted = _last_days_at(start, end, 17, 30, new_york)
            if fired != wanted:
                missing = next((w for w in wanted if w not in fired), None)
                extra = next((f for f in fired if f not in wanted), None)
                days = (end - start).days
                return failed(
                    expected=f"{PAYROLL} to fire at {_DESCRIPTION[PAYROLL]}"
                    + (f", e.g. {missing.astimezone(new_york):%A %d %B %Y %H:%M} New York time" if missing else ""),
                    got=f"{len(fired)} runs over {days} days from {start:%d %B %Y}"
                    + (f", one at {extra.astimezone(new_york):%A %d %B %Y %H:%M} New York time" if extra else ""),
                    hint="let Scheduler read the cron on New York's wall clock (ScheduleExpressionTimezone) rather "
                    "than converting to UTC, which is right only half of the year",
                )
    finally:
        target.delete()
    return passed(
        got="both schedules ran when expected on the sandbox clock, across both changes of the clocks in a year "
        "and over 200 days chosen at random"
    )
