"""Lab 02a exercise 2: calls the learner's call_with_backoff with fake calls and a fake sleep (``mode`` "fake"),
or, in "live" mode, with real invokes of a function whose reserved concurrency is 1, from several threads."""

import threading
import time

import boto3
import lambdalab_answer
from botocore.config import Config
from botocore.exceptions import ClientError

_answer = lambdalab_answer.load_module()


def _throttle(n):
    return ClientError(
        {
            "Error": {"Code": "TooManyRequestsException", "Message": f"Rate Exceeded. (attempt {n})"},
            "ResponseMetadata": {"HTTPStatusCode": 429},
            "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
            "Type": "User",
        },
        "Invoke",
    )


def _scenario(params, throttles, then):
    calls, sleeps = [0], []

    def call():
        calls[0] += 1
        if calls[0] <= throttles:
            raise _throttle(calls[0])
        if then == "value":
            return {"StatusCode": 200, "token": params["token"]}
        if then == "client-error":
            raise ClientError(
                {
                    "Error": {"Code": "InvalidParameterValueException", "Message": "bad parameter"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "Invoke",
            )
        raise ValueError("a bug in the caller's own code")

    outcome = {"returned": None, "raised": None}
    try:
        outcome["returned"] = _answer.call_with_backoff(
            call, base=params["base"], cap=params["cap"], max_attempts=params["max_attempts"], sleep=sleeps.append
        )
    except Exception as exc:
        outcome["raised"] = {
            "type": type(exc).__name__,
            "message": str(exc),
            "status": getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode"),
        }
    outcome.update(calls=calls[0], sleeps=sleeps)
    return outcome


def _live(event):
    lam = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}, max_pool_connections=32))
    outcomes = [None] * event["callers"]

    def caller(i):
        calls, throttles = [0], [0]

        def call():
            calls[0] += 1
            try:
                return lam.invoke(FunctionName=event["target"], Payload=b'{"seconds": 0.25}')["StatusCode"]
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 429:
                    throttles[0] += 1
                raise

        try:
            status = _answer.call_with_backoff(
                call, base=event["base"], cap=event["cap"], max_attempts=event["max_attempts"], sleep=time.sleep
            )
            outcomes[i] = {"ok": status == 200, "error": None, "calls": calls[0], "throttles": throttles[0]}
        except Exception as exc:
            outcomes[i] = {
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}",
                "calls": calls[0],
                "throttles": throttles[0],
            }

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(event["callers"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def handler(event, context):
    if event["mode"] == "live":
        return _live(event)
    return [_scenario(s["params"], s["throttles"], s["then"]) for s in event["scenarios"]]
