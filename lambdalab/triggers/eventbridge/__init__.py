"""EventBridge → Lambda: Scheduler's schedules and scheduled rules on the clock, pattern rules on ``PutEvents``.

Schedules are created through the EventBridge Scheduler API (``create_schedule``: boto3 or ``aws
scheduler``), rules and targets through the EventBridge API (``put_rule``, ``put_targets``: boto3 or ``aws
events``); moto keeps them all, and matches event patterns with its own matcher. This trigger installs
:mod:`lambdalab.triggers.eventbridge.moto_patch` (Lambda targets, rule state, AWS's schedule checks) and
:mod:`lambdalab.triggers.scheduler.moto_patch` (AWS's checks for schedules), and runs the
:class:`~lambdalab.triggers.eventbridge.timeline.Scheduler` — scheduled rules, and through a
:class:`~lambdalab.triggers.scheduler.runner.ScheduleRunner` the schedules — on the sandbox clock.
Lessons drive the clock through :mod:`lambdalab.clock`.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from lambdalab.service.sandbox_clock import SandboxClock
from lambdalab.triggers.eventbridge.timeline import Firing, Scheduler

__all__ = ["EventBridgeTrigger", "Firing", "current"]

#: How long ``advance``/``run_until`` wait, at each instant, for Lambda to run what was fired.
SETTLE_TIMEOUT_S = 60.0


class EventBridgeTrigger:
    """The sandbox plugin for EventBridge rules: pattern rules on PutEvents, scheduled rules on the clock."""

    def __init__(self) -> None:
        self.clock = SandboxClock()  # the sandbox's own clock once started (``box.clock``)
        #: When each scheduled rule was created: ``{rule ARN: (schedule expression, sandbox-clock time)}``.
        self.schedule_created: dict[str, tuple[str, dt.datetime]] = {}
        #: When each Scheduler schedule was last set, on the sandbox clock (its rate counts from there).
        self.schedule_set_at: dict[str, dt.datetime] = {}
        #: Targets a matched event could not reach (EventBridge's ``FailedInvocations``); PutEvents succeeded.
        self.failed_invocations: list[dict[str, str]] = []
        self.scheduler: Scheduler | None = None
        self.schedules: Any = None
        self._box: Any = None

    def start(self, box: Any) -> None:
        from lambdalab.service.moto_patching import bind
        from lambdalab.triggers.eventbridge import moto_patch as events_patches
        from lambdalab.triggers.eventbridge.targets import deliver
        from lambdalab.triggers.scheduler import moto_patch as scheduler_patches
        from lambdalab.triggers.scheduler.runner import ScheduleRunner, invoke_target, send_dead_letter

        self.clock = box.clock
        events_patches.install()
        scheduler_patches.install()
        bind(box.lambda_service, clock=self.clock, eventbridge=self)
        self._box = box
        service = box.lambda_service
        # Made when a schedule first sends to SQS: a sandbox's first boto3 client loads botocore's endpoint
        # data (0.2-0.3 s), which every kernel and test process paid at start for a client few of them use.
        sqs = functools.cache(lambda: box.client("sqs"))
        self.schedules = ScheduleRunner(
            self.clock,
            schedules=self._schedules,
            invoke=lambda view, payload: invoke_target(view, payload, service=service, sqs=sqs()),
            dead_letter=lambda arn, body, attributes: send_dead_letter(arn, body, attributes, sqs=sqs()),
            delete=self._delete_schedule,
        )
        self.scheduler = Scheduler(
            self.clock,
            rules=self._scheduled_rules,
            deliver=lambda rule, event: deliver(rule, event, service=service, failed=self.failed_invocations),
            created=self._created,
            settle=self._settle,
            region=box.region,
            account_id=service.account_id,
            sources=[self.schedules],
        )
        self.scheduler.start()

    def reset(self) -> None:
        self.clock.reset()
        self.schedule_created.clear()
        self.schedule_set_at.clear()
        self.failed_invocations.clear()
        if self.scheduler is not None:
            self.scheduler.forget()

    def freeze(self, at: dt.datetime | None = None) -> dt.datetime:
        """Stop the clock, where it is or at ``at``. Setting it to ``at`` is a jump, not a passage of time:
        schedules count from the new time and nothing skipped fires."""
        moment = self.clock.freeze(at)
        if at is not None:
            for arn, (expression, created) in list(self.schedule_created.items()):
                if created > moment:
                    self.schedule_created[arn] = (expression, moment)
            for arn, set_at in list(self.schedule_set_at.items()):
                if set_at > moment:
                    self.schedule_set_at[arn] = moment
            if self.scheduler is not None:
                self.scheduler.jump(moment)
        return moment

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()

    # --- moto's state, read where it lives -------------------------------------------------------
    def _scheduled_rules(self) -> list[Any]:
        from moto.events.models import events_backends

        backend = events_backends[self._box.lambda_service.account_id][self._box.region]
        bus = backend.event_buses.get("default")
        return [rule for rule in list(bus.rules.values()) if rule.scheduled_expression] if bus else []

    def _scheduler_backend(self) -> Any:
        from moto.scheduler.models import scheduler_backends

        return scheduler_backends[self._box.lambda_service.account_id][self._box.region]

    def _schedules(self) -> list[Any]:
        from lambdalab.triggers.scheduler.runner import views_from_moto

        return views_from_moto(self._scheduler_backend(), self.schedule_set_at)

    def _delete_schedule(self, view: Any) -> None:
        self._scheduler_backend().delete_schedule(view.group, view.name)

    def _created(self, rule: Any) -> dt.datetime | None:
        known = self.schedule_created.get(rule.arn)
        return known[1] if known and known[0] == rule.scheduled_expression else None

    def settle(self, timeout: float = SETTLE_TIMEOUT_S) -> bool:
        """Wait until Lambda has run every asynchronous invocation it was handed."""
        return self._box.async_invocations.drain(timeout=timeout)

    def _settle(self) -> None:
        self.settle()


def current() -> EventBridgeTrigger:
    """The running sandbox's EventBridge trigger (``lambdalab.sandbox()`` starts it)."""
    from lambdalab.triggers import running

    return running(EventBridgeTrigger)
