"""EventBridge → Lambda: rules with event patterns fire on ``PutEvents``, scheduled rules on the clock.

Rules and targets are created through the EventBridge API (``put_rule``, ``put_targets``: boto3 or ``aws
events``); moto keeps them and matches event patterns with its own matcher. This trigger installs
:mod:`lambdalab.triggers.moto_patches.events` (Lambda targets, rule state, AWS's schedule checks) and runs
the :class:`~lambdalab.triggers.eventbridge.scheduler.Scheduler` on the sandbox clock. Lessons drive the
clock through :mod:`lambdalab.clock`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lambdalab.triggers.clock import sandbox_clock
from lambdalab.triggers.eventbridge.scheduler import Firing, Scheduler

__all__ = ["EventBridgeTrigger", "Firing", "current"]

#: How long ``advance``/``run_until`` wait, at each instant, for Lambda to run what was fired.
SETTLE_TIMEOUT_S = 60.0


class EventBridgeTrigger:
    """The sandbox plugin for EventBridge rules: pattern rules on PutEvents, scheduled rules on the clock."""

    def __init__(self) -> None:
        self.clock = sandbox_clock
        self.scheduler: Scheduler | None = None
        self._box: Any = None

    def start(self, box: Any) -> None:
        from lambdalab.triggers.eventbridge.targets import deliver
        from lambdalab.triggers.moto_patches import bind
        from lambdalab.triggers.moto_patches import events as events_patches

        events_patches.install()
        bind(box.lambda_service)
        self._box = box
        service = box.lambda_service
        self.scheduler = Scheduler(
            self.clock, rules=self._scheduled_rules,
            deliver=lambda rule, event: deliver(rule, event, service=service),
            created=self._created, settle=self._settle, region=box.region, account_id=service.account_id)
        self.scheduler.start()

    def reset(self) -> None:
        from lambdalab.triggers.eventbridge.targets import failed_invocations
        from lambdalab.triggers.moto_patches import events as events_patches

        self.clock.reset()
        events_patches.schedule_created.clear()
        failed_invocations.clear()
        if self.scheduler is not None:
            self.scheduler.forget()

    def freeze(self, at: dt.datetime | None = None) -> dt.datetime:
        """Stop the clock, where it is or at ``at``. Setting it to ``at`` is a jump, not a passage of time:
        schedules count from the new time and nothing skipped fires."""
        from lambdalab.triggers.moto_patches import events as events_patches

        moment = self.clock.freeze(at)
        if at is not None:
            for arn, (expression, created) in list(events_patches.schedule_created.items()):
                if created > moment:
                    events_patches.schedule_created[arn] = (expression, moment)
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

    @staticmethod
    def _created(rule: Any) -> dt.datetime | None:
        from lambdalab.triggers.moto_patches.events import schedule_created

        known = schedule_created.get(rule.arn)
        return known[1] if known and known[0] == rule.scheduled_expression else None

    def _settle(self) -> None:
        from lambdalab.service.async_invoke import invoker

        invoker(self._box.lambda_service).drain(timeout=SETTLE_TIMEOUT_S)


def current() -> EventBridgeTrigger:
    """The running sandbox's EventBridge trigger (starting the sandbox if needed)."""
    import lambdalab

    box = lambdalab.sandbox()
    for trigger in box.triggers:
        if isinstance(trigger, EventBridgeTrigger):
            return trigger
    raise RuntimeError("the sandbox runs no EventBridge trigger (lambdalab.triggers.TRIGGERS lacks it)")
