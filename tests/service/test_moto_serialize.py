"""moto's replies, rendered with each field's possible names remembered, are byte for byte moto's own.

Each request is signed by boto3 for the sandbox and served twice over the same moto state, once with moto's
``AttributePicker`` and once with lambdalab's (``lambdalab.service.moto_serialize``). The calls cover the
protocols the course's services speak (JSON, query XML, REST-XML), model objects and plain dicts, members
nested in lists of structures, fields absent from the object, and an error. Which alias rule finds which
field is moto's business; what is checked is that the answer does not change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto.core import serialize

from lambdalab.service import moto_serialize
from lambdalab.service.moto_patching import original
from tests.service.test_moto_dispatch import serve, signed


@pytest.fixture(scope="module")
def state() -> Iterator[Any]:
    import lambdalab

    box = lambdalab.sandbox()
    sqs = box.client("sqs")
    url = sqs.create_queue(QueueName="serialize-orders", Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="one", MessageAttributes={"kind": {"DataType": "String",
                                                                                 "StringValue": "book"}})
    box.client("s3").create_bucket(Bucket="serialize-bucket")
    box.client("s3").put_object(Bucket="serialize-bucket", Key="a.txt", Body=b"hello")
    iam = box.client("iam")
    iam.create_role(RoleName="serialize-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                                                                                   "Statement": []}))
    ec2 = box.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{n}.0/24", AvailabilityZone=f"us-east-1{zone}")
               ["Subnet"]["SubnetId"] for n, zone in ((1, "a"), (2, "b"))]
    box.client("rds").create_db_subnet_group(DBSubnetGroupName="serialize-subnets",
                                             DBSubnetGroupDescription="two zones", SubnetIds=subnets)
    box.client("logs").create_log_group(logGroupName="/aws/lambda/serialize")
    yield box, url
    box.reset()


CALLS = [
    ("sqs", "list_queues", {}),
    ("sqs", "get_queue_attributes", {"QueueUrl": "{url}", "AttributeNames": ["VisibilityTimeout", "QueueArn"]}),
    ("sqs", "get_queue_url", {"QueueName": "no-such-queue"}),
    ("s3", "list_objects_v2", {"Bucket": "serialize-bucket"}),
    ("iam", "get_role", {"RoleName": "serialize-role"}),
    ("iam", "list_roles", {}),
    ("ec2", "describe_subnets", {}),
    ("rds", "describe_db_subnet_groups", {"DBSubnetGroupName": "serialize-subnets"}),
    ("logs", "describe_log_groups", {"logGroupNamePrefix": "/aws/lambda/"}),
    ("sts", "get_caller_identity", {}),
]


@pytest.fixture
def pickers() -> dict[str, Any]:
    moto_serialize.install()
    return {"moto": original(serialize.AttributePicker, "__call__"), "lambdalab": moto_serialize.remembering_call}


def _answer(box: Any, picker: Any, monkeypatch: Any, request: Any) -> tuple[int, list, bytes]:
    monkeypatch.setattr(serialize.AttributePicker, "__call__", picker)
    return serve(box._server.gateway, request)


@pytest.mark.parametrize(("service", "operation", "params"), CALLS, ids=[f"{c[0]}-{c[1]}" for c in CALLS])
def test_a_reply_is_moto_own_byte_for_byte(state, pickers, monkeypatch, service, operation, params):
    box, url = state
    request = signed(box, service, operation, **{k: v.format(url=url) if isinstance(v, str) else v
                                                 for k, v in params.items()})
    # twice each way: the second lambdalab answer comes from names remembered by the first
    answers = [_answer(box, pickers[name], monkeypatch, request) for name in ("moto", "lambdalab") * 2]

    assert answers[1] == answers[3] == answers[0] == answers[2]
    assert answers[0][2], "an empty body would prove nothing"


def test_send_message_batch_replies_as_moto_does_apart_from_the_new_message_ids(state, pickers, monkeypatch):
    box, url = state
    request = signed(box, "sqs", "send_message_batch", QueueUrl=url, Entries=[
        {"Id": str(n), "MessageBody": f"order {n}",
         "MessageAttributes": {"n": {"DataType": "Number", "StringValue": str(n)}}} for n in range(3)
    ])
    replies = []
    for name in ("moto", "lambdalab", "lambdalab"):
        status, headers, body = _answer(box, pickers[name], monkeypatch, request)
        reply = json.loads(body)
        ids = [entry.pop("MessageId") for entry in reply["Successful"]]
        assert len(set(ids)) == 3
        replies.append((status, [h for h in headers if h[0] != "content-length"], reply))

    assert replies[0] == replies[1] == replies[2]
    assert {"Id", "MD5OfMessageBody", "MD5OfMessageAttributes"} <= set(replies[0][2]["Successful"][0])


def test_names_are_remembered_per_shape_and_class_and_stay_bounded(state, pickers, monkeypatch):
    box, _ = state
    monkeypatch.setattr(moto_serialize, "MAX_ENTRIES", 5)
    monkeypatch.setattr(moto_serialize, "_names", {})
    _answer(box, pickers["lambdalab"], monkeypatch, signed(box, "iam", "list_roles"))

    assert 0 < len(moto_serialize._names) <= 5


def test_a_picker_with_providers_of_its_own_is_left_to_moto(state, pickers, monkeypatch):
    asked = []

    class Upper(serialize.AttributeAliasProvider):
        def has_alias(self, key: str) -> bool:
            asked.append(key)
            return True

        def get_alias(self, key: str) -> str:
            return key.upper()

    monkeypatch.setattr(serialize.AttributePicker, "__call__", pickers["lambdalab"])
    picker = serialize.AttributePicker(alias_providers=[Upper])
    context = serialize.AttributePickerContext(obj={"NAME": "x"}, key="name", shape=None)

    assert picker(context) == "x"
    assert picker(context) == "x"
    assert asked == ["name", "name"]  # asked every time: nothing remembered for it
