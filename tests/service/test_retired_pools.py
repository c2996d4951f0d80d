"""A request that meets environments retired under it, and the asynchronous workers, survive it.

Between choosing a version's environments and taking one of them, another request can retire them (the
function was reconfigured, so its old environments end) or the function can be deleted. On AWS the request
then runs on the configuration current now, or is answered ``ResourceNotFoundException``; it never fails
with an internal error, and an asynchronous event never stops the workers that deliver the others.
"""

from __future__ import annotations

import logging

import pytest

import lambdalab
from lambdalab.service.async_invoke import invoker
from lambdalab.service.lambda_service import ResourceNotFound

ECHO = "import os\ndef handler(event, context):\n    return os.environ.get('COLOUR', 'none')\n"


def retire_under_the_next_invoke(service, monkeypatch, name):
    """The next invoke of ``name`` is handed its version's pool as it was, already retired by the time it
    acquires an environment, as when another thread wins the race."""
    stale = service._version_pool(service.resolve(name))
    stale.pool.close()
    real = service._version_pool
    handed = []

    def racing(fn):
        if not handed:
            handed.append(stale)
            return stale
        return real(fn)

    monkeypatch.setattr(service, "_version_pool", racing)
    return handed


def test_a_request_whose_environments_were_retired_under_it_runs_on_the_current_configuration(
        box, lam, monkeypatch):
    lambdalab.deploy("retired", code=ECHO, environment={"COLOUR": "blue"})
    lam.update_function_configuration(FunctionName="retired", Environment={"Variables": {"COLOUR": "green"}})
    handed = retire_under_the_next_invoke(box.lambda_service, monkeypatch, "retired")
    invocation = box.lambda_service.invoke("retired", b"{}")
    assert handed, "the invoke did meet the retired pool"
    assert invocation.ok and invocation.payload == "green"


def test_a_request_for_a_function_deleted_under_it_is_answered_resource_not_found(box, lam):
    lambdalab.deploy("deleted-under-it", code=ECHO)
    service = box.lambda_service
    chosen = service._version_pool(service.resolve("deleted-under-it"))  # chosen before the delete...
    lam.delete_function(FunctionName="deleted-under-it")  # ...which retires them
    assert chosen.pool.closed
    with pytest.raises(ResourceNotFound, match="Function not found"):
        service._acquire(chosen, None, "deleted-under-it", None)


def test_an_event_that_cannot_be_attempted_is_dropped_and_logged_and_the_workers_go_on(
        box, monkeypatch, caplog):
    lambdalab.deploy("after-the-trouble", code=ECHO)
    service = box.lambda_service
    real_invoke = service.invoke

    def troubled(function_name, payload, **kwargs):
        if function_name == "troubled":
            raise RuntimeError("something inside the sandbox broke")
        return real_invoke(function_name, payload, **kwargs)

    lambdalab.deploy("troubled", code=ECHO)
    monkeypatch.setattr(service, "invoke", troubled)
    events = invoker(service)
    with caplog.at_level(logging.ERROR, logger="lambdalab.service.async_invoke"):
        for _ in range(20):  # more than there are workers: had one died per event, none would be left
            events.enqueue("troubled", b"{}")
        assert events.drain(timeout=30)
    assert sum("could not be attempted" in r.getMessage() for r in caplog.records) == 20
    events.enqueue("after-the-trouble", b"{}")
    assert events.drain(timeout=30), "the workers still deliver events"
    assert any(s.invocations == 1 for s in lambdalab.get_function("after-the-trouble").environments)
