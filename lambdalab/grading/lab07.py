"""Lesson 07's lab: on call. Diagnose failures from evidence, then fix two of them and prove it with traffic.

1. ``diagnose(evidence)`` names the failure case behind evidence in AWS's own formats (log lines, CloudWatch
   statistics, configuration) that the check draws fresh each time: eight incidents, each one of the four
   cases with its noise and distractors, so a guess passes with probability 4^-8.
2. ``fix(queue_url, function_name, mapping_uuid)`` repairs a queue behind a mapping whose function timeout
   was raised after the mapping was made. The check builds that system with a random timeout and batching
   window, runs the learner's ``fix`` inside an execution environment, then replays slow messages and
   requires each to be processed exactly once, AWS's visibility rule and a redrive of at least 5 receives.
3. ``apply_budget(function_name, db_instance_identifier, other_connections)`` caps a function's connections
   to a real PostgreSQL with reserved concurrency. The check creates the instance with a random
   ``max_connections``, runs ``apply_budget``, then replays a burst larger than the database allows and
   requires no refused connection and not more environments than the budget.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

from lambdalab.grading import checker, exercise, failed, passed
from lambdalab.grading.probes import FUNCTION_PROBE, deploy_with_probe, describe_failure
from lambdalab.grading.results import CheckResult

check = checker("07")

DIAGNOSE_FILE = "lab07/ex1/diagnose.py"
QUEUE_FILE = "lab07/ex2/fix.py"
BUDGET_FILE = "lab07/ex3/budget.py"

CASES = ("throttling", "cold-starts", "duplicates", "connection-exhaustion")
#: Connection slots RDS for PostgreSQL keeps from an application role: superuser_reserved_connections (3)
#: and rds.rds_superuser_reserved_connections (2).
RESERVED_SLOTS = 5
_PASSWORD = "lab-07-password"


def _name(prefix: str) -> str:
    return f"check-{prefix}-{uuid.uuid4().hex[:8]}"


# --- exercise 1: name the failure from its evidence -------------------------------------------------------
def _request_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _report(rng: random.Random, duration_ms: float, init_ms: float | None = None, memory: int = 512) -> str:
    line = (
        f"REPORT RequestId: {_request_id(rng)}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {int(duration_ms + (init_ms or 0)) + 1} ms\tMemory Size: {memory} MB\t"
        f"Max Memory Used: {rng.randrange(60, 200)} MB"
    )
    return line + (f"\tInit Duration: {init_ms:.2f} ms" if init_ms is not None else "")


def _evidence(case: str, rng: random.Random) -> dict[str, Any]:
    """One incident's evidence, in the formats production shows it."""
    function = rng.choice(["orders-api", "checkout", "ingest", "billing-worker", "search"])
    invocations = rng.randrange(2_000, 50_000)
    logs = [_report(rng, rng.uniform(20, 180)) for _ in range(rng.randrange(3, 7))]
    metrics: dict[str, Any] = {
        "AWS/Lambda": {
            "Invocations": {"Sum": invocations},
            "Errors": {"Sum": rng.randrange(0, 4)},
            "Throttles": {"Sum": 0},
            "Duration": {"p50": rng.uniform(30, 120), "p99": rng.uniform(150, 400), "Maximum": rng.uniform(400, 900)},
            "ConcurrentExecutions": {"Maximum": rng.randrange(5, 60)},
        }
    }
    config: dict[str, Any] = {"FunctionName": function, "Timeout": rng.choice([3, 10, 30]), "MemorySize": 512}
    lam = metrics["AWS/Lambda"]
    if case == "throttling":
        limit = rng.choice([10, 50, 100])
        config["ReservedConcurrentExecutions"] = limit
        lam["ConcurrentExecutions"]["Maximum"] = limit
        lam["Throttles"]["Sum"] = rng.randrange(invocations // 20, invocations // 3)
        logs.append(
            "An error occurred (TooManyRequestsException) when calling the Invoke operation (reached max retries: "
            "4): Rate Exceeded."
        )
    elif case == "cold-starts":
        slow_init = rng.uniform(1_200, 3_500)
        logs += [_report(rng, rng.uniform(40, 150), init_ms=slow_init * rng.uniform(0.9, 1.1)) for _ in range(3)]
        lam["Duration"]["p99"] = rng.uniform(1_500, 4_000)
        config["Timeout"] = 30
    elif case == "duplicates":
        visibility = rng.choice([5, 10, 20])
        config.update({"Timeout": visibility * rng.choice([2, 3, 6]), "EventSource": "SQS"})
        config["Queue"] = {"VisibilityTimeout": visibility, "MaximumBatchingWindowInSeconds": 0}
        lam["Duration"]["Maximum"] = (visibility + rng.uniform(1, visibility)) * 1000
        message_id = _request_id(rng)
        for count in (1, 2):
            logs.append(
                json.dumps(
                    {
                        "level": "INFO",
                        "message": "processed",
                        "messageId": message_id,
                        "ApproximateReceiveCount": str(count),
                        "order": rng.randrange(10_000),
                    }
                )
            )
        lam["Errors"]["Sum"] = 0
    elif case == "connection-exhaustion":
        max_connections = rng.choice([87, 198, 413])
        config["Database"] = {"Engine": "postgres", "max_connections": max_connections}
        metrics["AWS/RDS"] = {"DatabaseConnections": {"Maximum": max_connections - RESERVED_SLOTS}}
        lam["Errors"]["Sum"] = rng.randrange(50, 900)
        message = rng.choice(
            [
                "remaining connection slots are reserved for non-replication superuser, rds_reserved, and "
                "rds_superuser connections",
                "sorry, too many clients already",
            ]
        )
        logs.append(f"[ERROR] DatabaseError: {{'S': 'FATAL', 'V': 'FATAL', 'C': '53300', 'M': '{message}'}}")
    else:  # pragma: no cover - CASES is closed
        raise ValueError(case)
    rng.shuffle(logs)
    return {"logs": logs, "metrics": metrics, "config": config}


@exercise(lab="07", number=1, title="Name the failure from its evidence", files=[DIAGNOSE_FILE])
def diagnose(answer: Path) -> CheckResult:
    rng = random.Random()
    incidents = [rng.choice(CASES) for _ in range(8)]
    for case in CASES:  # each case at least once
        if case not in incidents:
            incidents[rng.randrange(len(incidents))] = case
    while len(set(incidents)) < len(CASES):
        incidents = [rng.choice(CASES) for _ in range(8)]
    evidence = [_evidence(case, rng) for case in incidents]
    fn = deploy_with_probe(answer, DIAGNOSE_FILE, FUNCTION_PROBE, function="diagnose", timeout=10)
    try:
        result = fn.invoke({"calls": [{"evidence": e} for e in evidence]})
    finally:
        fn.delete()
    if not result.ok:
        return failed(
            expected="diagnose(evidence) to return one of " + ", ".join(repr(c) for c in CASES),
            got=describe_failure(result),
            hint="read evidence['logs'] (a list of strings), evidence['metrics'] and evidence['config'] "
            "(dicts); a key may be missing",
        )
    for case, given, got in zip(incidents, evidence, result.payload, strict=True):
        if got != case:
            return failed(
                expected=f"{case!r} for an incident of {given['config']['FunctionName']}",
                got=f"{got!r}",
                hint=_diagnosis_hint(case),
            )
    return passed(got=f"named all {len(incidents)} unseen incidents correctly")


def _diagnosis_hint(case: str) -> str:
    return {
        "throttling": "Throttles above zero and ConcurrentExecutions at the reserved concurrency, or "
        "TooManyRequestsException in a caller's log, is throttling",
        "cold-starts": "look at the REPORT lines: an Init Duration of seconds, and a p99 Duration far above p50",
        "duplicates": "the same messageId processed with ApproximateReceiveCount above 1, and a Duration Maximum "
        "longer than the queue's VisibilityTimeout",
        "connection-exhaustion": "SQLSTATE 53300 from PostgreSQL in the logs, and DatabaseConnections at the "
        "database's limit",
    }[case]


# --- exercise 2: a queue that hides messages long enough ---------------------------------------------------
_SLOW = """
import json, time

def handler(event, context):
    for record in event["Records"]:
        time.sleep(json.loads(record["body"])["seconds"])
"""


def _queue_attributes(sqs: Any, url: str) -> dict[str, str]:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


@exercise(lab="07", number=2, title="Fix the queue behind the duplicates", files=[QUEUE_FILE])
def queue_fix(answer: Path) -> CheckResult:
    import lambdalab
    from lambdalab.triggers import sqs as sqs_trigger

    rng = random.Random()
    box = lambdalab.sandbox()
    sqs, lam = box.client("sqs"), box.client("lambda")
    old_timeout, timeout, window = 1, rng.randrange(2, 16), rng.randrange(1, 4)
    worker = lambdalab.deploy(_name("worker"), code=_SLOW, timeout=old_timeout)
    dlq = sqs.create_queue(QueueName=_name("dlq"))["QueueUrl"]
    dlq_arn = _queue_attributes(sqs, dlq)["QueueArn"]
    url = sqs.create_queue(
        QueueName=_name("jobs"),
        Attributes={
            "VisibilityTimeout": str(old_timeout),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )["QueueUrl"]
    mapping = lam.create_event_source_mapping(
        EventSourceArn=_queue_attributes(sqs, url)["QueueArn"],
        FunctionName=worker.name,
        BatchSize=1,
        MaximumBatchingWindowInSeconds=window,
    )["UUID"]
    lam.update_function_configuration(FunctionName=worker.name, Timeout=timeout)  # the change that broke it
    fixer = deploy_with_probe(answer, QUEUE_FILE, FUNCTION_PROBE, function="fix", timeout=20)
    try:
        result = fixer.invoke({"calls": [{"queue_url": url, "function_name": worker.name, "mapping_uuid": mapping}]})
        if not result.ok:
            return failed(
                expected="fix(queue_url, function_name, mapping_uuid) to change the queue and return",
                got=describe_failure(result),
                hint="boto3.client('sqs').set_queue_attributes(QueueUrl=..., Attributes={...}); read the timeout "
                "with get_function_configuration and the window with get_event_source_mapping",
            )
        attributes = _queue_attributes(sqs, url)
        visibility = int(attributes["VisibilityTimeout"])
        wanted = 6 * timeout + window
        if visibility < wanted:
            return failed(
                expected=f"VisibilityTimeout of at least 6 × {timeout} s (the function's timeout now) + {window} s "
                f"(the mapping's batching window) = {wanted} s",
                got=f"VisibilityTimeout {visibility} s",
                hint="read both numbers from AWS at the time fix() runs; never hard-code them",
            )
        redrive = json.loads(attributes.get("RedrivePolicy") or "{}")
        if redrive.get("deadLetterTargetArn") != dlq_arn or int(redrive.get("maxReceiveCount", 0)) < 5:
            return failed(
                expected="the redrive policy kept (same dead-letter queue) with maxReceiveCount of at least 5",
                got=f"RedrivePolicy {json.dumps(redrive)}",
                hint="AWS's guidance for queues behind Lambda: maxReceiveCount >= 5, so throttled receives do not "
                "send good messages to the dead-letter queue",
            )
        try:
            lam.update_event_source_mapping(UUID=mapping, BatchSize=1)
        except lam.exceptions.InvalidParameterValueException as refused:
            return failed(
                expected="Lambda to accept an update of the mapping after the fix",
                got=refused.response["Error"]["Message"],
                hint="the queue's visibility timeout must be at least the function's timeout",
            )
        # Replay: slow messages (longer than the old visibility timeout) must each be processed once.
        seconds = old_timeout + 0.8
        for n in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"seconds": seconds, "n": n}))
        sqs_trigger.wait_until_empty(url, timeout=30 + window + 10 * seconds)
        trips: dict[str, int] = {}
        for delivery in sqs_trigger.deliveries(mapping):
            trips[delivery.message_id] = trips.get(delivery.message_id, 0) + 1
        twice = sum(count > 1 for count in trips.values())
        if len(trips) != 3 or twice:
            return failed(
                expected="3 slow messages, each processed exactly once",
                got=f"{len(trips)} messages processed, {twice} of them more than once",
                hint="the visibility timeout must outlast the batching window plus the longest invocation",
            )
    finally:
        lam.delete_event_source_mapping(UUID=mapping)
        fixer.delete()
        worker.delete()
    return passed(
        got=f"VisibilityTimeout {visibility} s for timeout {timeout} s and window {window} s, maxReceiveCount "
        f"{redrive['maxReceiveCount']}; 3 slow messages each processed once"
    )


# --- exercise 3: a connection budget enforced by reserved concurrency --------------------------------------
_DB_HANDLER = """
import os, pg8000.native

connection = None

def handler(event, context):
    global connection
    if connection is None:
        connection = pg8000.native.Connection(os.environ["DB_USER"], password=os.environ["DB_PASSWORD"],
                                              host=os.environ["DB_HOST"], port=int(os.environ["DB_PORT"]),
                                              database="orders", timeout=10)
    return connection.run("SELECT 1 FROM pg_sleep(1)")[0][0]
"""


def _burst(box: Any, function: str, n: int) -> list[dict[str, Any]]:
    import concurrent.futures

    from botocore.config import Config

    caller = box.client(
        "lambda", config=Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=n)
    )

    def one(_: int) -> dict[str, Any]:
        try:
            answer = caller.invoke(FunctionName=function, Payload=b"{}")
        except Exception as error:  # noqa: BLE001 - a caller that gave up is an outcome to report
            return {"errorType": type(error).__name__, "errorMessage": str(error)}
        payload = json.loads(answer["Payload"].read() or b"null")
        return payload if isinstance(payload, dict) else {"result": payload}

    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


@exercise(lab="07", number=3, title="Budget the database's connections", files=[BUDGET_FILE])
def connection_budget(answer: Path) -> CheckResult:
    import lambdalab
    from lambdalab.databases import driver_layer

    rng = random.Random()
    box = lambdalab.sandbox()
    rds, lam = box.client("rds"), box.client("lambda")
    max_connections, others = rng.randrange(12, 17), rng.randrange(1, 3)
    budget = max_connections - RESERVED_SLOTS - others
    group, instance = _name("pg"), _name("orders")
    rds.create_db_parameter_group(DBParameterGroupName=group, DBParameterGroupFamily="postgres18", Description="lab")
    rds.modify_db_parameter_group(
        DBParameterGroupName=group,
        Parameters=[
            {
                "ParameterName": "max_connections",
                "ParameterValue": str(max_connections),
                "ApplyMethod": "pending-reboot",
            }
        ],
    )
    rds.create_db_instance(
        DBInstanceIdentifier=instance,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        DBParameterGroupName=group,
        MasterUsername="app",
        MasterUserPassword=_PASSWORD,
        DBName="orders",
        AllocatedStorage=20,
    )
    endpoint = rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"][0]["Endpoint"]
    import pg8000.native

    master = pg8000.native.Connection(
        "app", password=_PASSWORD, host=endpoint["Address"], port=endpoint["Port"], database="orders"
    )
    master.run(f"CREATE ROLE orders_app LOGIN PASSWORD '{_PASSWORD}'")
    layer = lam.publish_layer_version(LayerName=_name("pg8000"), Content={"ZipFile": driver_layer()})["LayerVersionArn"]
    api = lambdalab.deploy(
        _name("orders-api"),
        code=_DB_HANDLER,
        layers=[layer],
        timeout=10,
        environment={
            "DB_HOST": endpoint["Address"],
            "DB_PORT": str(endpoint["Port"]),
            "DB_USER": "orders_app",
            "DB_PASSWORD": _PASSWORD,
        },
    )
    budgeter = deploy_with_probe(answer, BUDGET_FILE, FUNCTION_PROBE, function="apply_budget", timeout=20)
    try:
        result = budgeter.invoke(
            {"calls": [{"function_name": api.name, "db_instance_identifier": instance, "other_connections": others}]}
        )
        if not result.ok:
            return failed(
                expected="apply_budget(function_name, db_instance_identifier, other_connections) to set the "
                "function's reserved concurrency and return",
                got=describe_failure(result),
                hint="describe_db_instances names the parameter group; describe_db_parameters(Source='user') holds "
                "its max_connections; put_function_concurrency sets the cap",
            )
        reserved = lam.get_function_concurrency(FunctionName=api.name).get("ReservedConcurrentExecutions")
        if reserved is None:
            return failed(
                expected=f"reserved concurrency on {api.name}",
                got="no reserved concurrency",
                hint="lambda.put_function_concurrency(FunctionName=..., ReservedConcurrentExecutions=...)",
            )
        if reserved < 1 or reserved < budget - 1:
            return failed(
                expected=f"a budget close to max_connections ({max_connections}) - {RESERVED_SLOTS} reserved slots "
                f"- {others} other connections = {budget}",
                got=f"ReservedConcurrentExecutions {reserved}",
                hint="too tight a budget throttles traffic the database could serve",
            )
        answers = _burst(box, api.name, budget + 6)
        refused = [a for a in answers if "53300" in str(a.get("errorMessage", ""))]
        other_errors = [a for a in answers if "errorMessage" in a and a not in refused]
        held = master.run("SELECT count(*) FROM pg_stat_activity WHERE usename = 'orders_app'")[0][0]
        if refused or held > budget:
            return failed(
                expected=f"at most {budget} connections from the function (max_connections {max_connections}, "
                f"{RESERVED_SLOTS} reserved slots, {others} other connections), no refusal",
                got=f"ReservedConcurrentExecutions {reserved}: {len(refused)} of {len(answers)} requests refused by "
                f"PostgreSQL (53300), {held} connections held",
                hint=f"an application role gets max_connections - {RESERVED_SLOTS}; subtract the other connections "
                "too, and each environment holds one",
            )
        if other_errors:
            return failed(
                expected=f"all {len(answers)} requests of the burst to succeed (throttles are retried)",
                got=str(other_errors[0].get("errorMessage"))[:200],
                hint="leave the handler alone: only the reserved concurrency should change",
            )
    finally:
        master.close()
        budgeter.delete()
        api.delete()
        rds.delete_db_instance(DBInstanceIdentifier=instance, SkipFinalSnapshot=True)
    return passed(
        got=f"ReservedConcurrentExecutions {reserved} for max_connections {max_connections} and {others} other "
        f"connections; a burst of {len(answers)} served with {held} connections and no refusal"
    )
