"""Counts the SDK clients created during init and during each invocation, around the learner's handler.

boto3.client, boto3.resource and Session.client all end in botocore's Session.create_client. These counts
live in the learner's process, so a check may use them to explain a failure, never to pass an answer.
"""

import botocore.session
import lambdalab_answer

_created = {"init": 0, "invoke": 0}
_phase = ["init"]
_create_client = botocore.session.Session.create_client


def _counting_create_client(self, *args, **kwargs):
    _created[_phase[0]] += 1
    return _create_client(self, *args, **kwargs)


botocore.session.Session.create_client = _counting_create_client

_answer = lambdalab_answer.load_module()

_phase[0] = "invoke"


def handler(event, context):
    before = _created["invoke"]
    result = getattr(_answer, lambdalab_answer.FUNCTION)(event, context)
    return {"result": result, "clients_in_call": _created["invoke"] - before, "clients_at_init": _created["init"]}
