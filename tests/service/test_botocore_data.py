"""Every boto3 session of a sandbox's process shares botocore's parsed data, per data search path."""

from __future__ import annotations

import json

import boto3

import lambdalab


def _loader(session: boto3.session.Session) -> object:
    return session._session.get_component("data_loader")


def test_when_two_sessions_are_made_after_the_sandbox_starts_then_they_share_one_loader_and_its_models():
    lambdalab.sandbox()
    first, second = boto3.session.Session(), boto3.session.Session()
    assert _loader(first) is _loader(second)
    # parsed once: the second session is handed the very model the first one parsed
    model = first._session.get_service_data("lambda")
    assert second._session.get_service_data("lambda") is model


def test_when_lambdalab_sandbox_resets_the_default_session_then_the_next_plain_client_reaches_the_sandbox(box):
    lambdalab.sandbox()  # starts boto3's default session afresh
    assert boto3.DEFAULT_SESSION is None
    client = boto3.client("lambda")
    assert client.meta.endpoint_url == box.endpoint_url
    assert isinstance(client.list_functions()["Functions"], list)
    assert _loader(boto3.DEFAULT_SESSION) is _loader(boto3.session.Session())


def test_when_a_session_searches_another_data_path_then_it_gets_its_own_loader_that_finds_its_models(tmp_path,
                                                                                                    monkeypatch):
    lambdalab.sandbox()
    model = {
        "version": "2.0",
        "metadata": {"apiVersion": "2026-12-07", "endpointPrefix": "lablocal", "protocol": "json",
                     "serviceId": "LabLocal", "signatureVersion": "v4", "jsonVersion": "1.1",
                     "targetPrefix": "LabLocal", "uid": "lablocal-2026-12-07"},
        "operations": {},
        "shapes": {},
    }
    folder = tmp_path / "lablocal" / "2026-12-07"
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    plain = boto3.session.Session()
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    custom = boto3.session.Session()
    assert _loader(custom) is not _loader(plain)
    assert "lablocal" in custom.get_available_services()
    assert "lablocal" not in plain.get_available_services()
    assert _loader(custom) is _loader(boto3.session.Session())  # shared among sessions of that path too
