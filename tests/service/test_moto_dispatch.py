"""The sandbox calls moto's handlers without Flask around them, and answers exactly as moto's Flask app does.

Each request here is signed by boto3 for the sandbox, then served twice over the same moto state: by
moto's own ``DomainDispatcherApplication`` (a Flask app per service) and by lambdalab's
:class:`~lambdalab.service.moto_dispatch.Dispatcher`. Status, headers and body must match (request ids
masked: they are random per answer), across the four protocols the course's services speak and their
errors; requests that need Flask (a browser's, moto's own pages, a path no rule matches) still get it.

One header differs by design: Flask-CORS adds ``Access-Control-Allow-Origin: *`` to every answer of moto's
Flask apps, browser or not. The sandbox's ``BrowserGuard`` removes it from every answer to a client that
is not a page on this machine (``tests/service/test_cross_site_requests.py``), and AWS's APIs send no CORS
header to a request without an ``Origin``; so the Dispatcher, which serves only requests without one, adds
none.
"""

from __future__ import annotations

import gc
import re
import weakref
from collections.abc import Iterator
from typing import Any

import flask
import pytest
from botocore.awsrequest import AWSPreparedRequest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

from lambdalab.service.moto_dispatch import Dispatcher, FunctionsOf

#: Headers that differ on every call (request ids, the date), and Flask-CORS's (see above).
_VARYING_HEADERS = {"x-amzn-requestid", "x-amz-request-id", "x-amz-id-2", "date", "access-control-allow-origin"}
#: Parts of an answer that differ on every call: request ids (XML elements, JSON fields), S3's host id.
_VARYING = re.compile(
    rb"<(RequestId|RequestID|HostId)>[^<]*</\1>|\"(RequestId|requestId)\": ?\"[^\"]*\""
)


class _Captured(Exception):
    def __init__(self, request: AWSPreparedRequest) -> None:
        self.request = request


def signed(box: Any, service: str, operation: str, **params: Any) -> AWSPreparedRequest:
    """The request boto3 would send to the sandbox for ``operation`` (signed, not sent)."""
    client = box.client(service)

    def capture(request: AWSPreparedRequest, **_: Any) -> None:
        raise _Captured(request)

    client.meta.events.register(f"before-send.{client.meta.service_model.service_name}.*", capture)
    with pytest.raises(_Captured) as captured:
        getattr(client, operation)(**params)
    return captured.value.request


def serve(app: Any, request: AWSPreparedRequest) -> tuple[int, list[tuple[str, str]], bytes]:
    url = request.url.split("://", 1)[1]
    host, _, path = url.partition("/")
    path, _, query = ("/" + path).partition("?")
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    response = Client(app).open(
        path,
        method=request.method,
        base_url=f"http://{host}",
        query_string=query,
        headers={k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()},
        data=body,
    )
    headers = sorted((k.lower(), v) for k, v in response.headers.items() if k.lower() not in _VARYING_HEADERS)
    # Content-Length among them: a HEAD's is the object's size, not its empty body's.
    return response.status_code, headers, _VARYING.sub(b"", response.get_data())


@pytest.fixture(scope="module")
def state() -> Iterator[Any]:
    import lambdalab

    box = lambdalab.sandbox()
    box.client("sqs").create_queue(QueueName="dispatch-orders")
    s3 = box.client("s3")
    s3.create_bucket(Bucket="dispatch-bucket")
    s3.put_object(Bucket="dispatch-bucket", Key="a.txt", Body=b"hello")
    box.client("logs").create_log_group(logGroupName="/aws/lambda/dispatch")
    yield box
    box.reset()


@pytest.fixture(scope="module")
def apps() -> dict[str, Any]:
    return {"moto": DomainDispatcherApplication(create_backend_app), "lambdalab": Dispatcher(create_backend_app)}


CALLS = [
    pytest.param("sqs", "get_queue_url", {"QueueName": "dispatch-orders"}, 200, id="sqs-json"),
    pytest.param("sqs", "get_queue_url", {"QueueName": "no-such-queue"}, 400, id="sqs-json-error"),
    pytest.param("s3", "list_objects_v2", {"Bucket": "dispatch-bucket"}, 200, id="s3-rest-xml"),
    pytest.param("s3", "get_object", {"Bucket": "dispatch-bucket", "Key": "a.txt"}, 200, id="s3-object"),
    pytest.param("s3", "head_object", {"Bucket": "dispatch-bucket", "Key": "a.txt"}, 200, id="s3-head"),
    pytest.param("s3", "get_object", {"Bucket": "dispatch-bucket", "Key": "missing"}, 404, id="s3-error"),
    pytest.param("iam", "get_role", {"RoleName": "no-such-role"}, 404, id="iam-query-error"),
    pytest.param("logs", "describe_log_groups", {"logGroupNamePrefix": "/aws/lambda/"}, 200, id="logs-json"),
    pytest.param("lambda", "get_function", {"FunctionName": "no-such-function"}, 404, id="lambda-rest-json-error"),
]


@pytest.mark.parametrize(("service", "operation", "params", "status"), CALLS)
def test_an_aws_call_gets_the_answer_moto_flask_app_gives(state, apps, service, operation, params, status):
    request = signed(state, service, operation, **params)

    through_moto = serve(apps["moto"], request)
    through_lambdalab = serve(apps["lambdalab"], request)

    assert through_moto[0] == status
    assert through_lambdalab == through_moto


def test_an_aws_call_skips_flask_and_a_browser_request_still_gets_it(state, apps, monkeypatch):
    flask_calls = []
    wsgi_app = flask.Flask.wsgi_app
    monkeypatch.setattr(flask.Flask, "wsgi_app", lambda self, *a: flask_calls.append(1) or wsgi_app(self, *a))
    request = signed(state, "sqs", "get_queue_url", QueueName="dispatch-orders")

    serve(apps["lambdalab"], request)
    assert flask_calls == []

    request.headers["Origin"] = "http://localhost:8888"  # a JupyterLab page: Flask-CORS answers it
    status, *_ = serve(apps["lambdalab"], request)
    assert status == 200
    assert flask_calls == [1]


def test_moto_dashboard_and_a_path_no_rule_matches_are_answered_as_by_flask(state, apps):
    client = {name: Client(app) for name, app in apps.items()}

    dashboard = {name: c.get("/moto-api/", base_url="http://127.0.0.1") for name, c in client.items()}
    assert dashboard["lambdalab"].status_code == dashboard["moto"].status_code == 200
    assert dashboard["lambdalab"].get_data() == dashboard["moto"].get_data()

    headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261207/us-east-1/lambda/aws4_request, "
                                "SignedHeaders=host, Signature=0"}
    nowhere = {name: c.get("/no/such/path", base_url="http://127.0.0.1", headers=headers) for name, c in client.items()}
    assert nowhere["moto"].status_code == 404
    assert (nowhere["lambdalab"].status_code, nowhere["lambdalab"].get_data()) == (404, nowhere["moto"].get_data())


@pytest.mark.parametrize("service", ["sqs", "s3", "iam", "awslambda", "logs", "cloudwatch", "events"])
def test_an_action_is_found_on_a_response_class_exactly_when_moto_finds_it(service):
    import importlib

    from moto.core import utils

    module = importlib.import_module(f"moto.{service}.responses")
    for cls in [c for c in vars(module).values() if isinstance(c, type) and c.__name__.endswith("Response")]:
        listed = utils.method_names_from_class(cls)
        for name in [*dir(cls), "no_such_action", "dispatch", "__init__", "uri_match", ""]:
            assert (name in FunctionsOf(cls)) == (name in listed), (cls.__name__, name)


def test_a_dispatcher_remembers_a_bounded_number_of_hosts_and_goes_with_its_sandbox(monkeypatch):
    from lambdalab.service import moto_dispatch

    monkeypatch.setattr(moto_dispatch, "MAX_HOSTS", 3)
    dispatcher = Dispatcher(create_backend_app)
    for region in ("us-east-1", "eu-west-1", "ap-south-1", "sa-east-1", "invented-region-9"):
        assert dispatcher.get_backend_for_host(f"sqs.{region}.amazonaws.com") == "sqs"
    assert len(dispatcher._backends) == 3

    gone = weakref.ref(dispatcher)
    del dispatcher
    gc.collect()
    assert gone() is None  # nothing process-wide keeps a stopped sandbox's dispatcher (and its Flask apps)
