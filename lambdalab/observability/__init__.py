"""What CloudWatch does beyond storing data: alarms evaluated on the sandbox's metrics and clock.

The sandbox starts :class:`~lambdalab.observability.alarms.AlarmEvaluator` with it; ``box.alarms.evaluate()``
evaluates every alarm at once (a lesson that just published metrics need not wait for the next minute).
"""

from __future__ import annotations

from lambdalab.observability.alarms import AlarmEvaluator

__all__ = ["AlarmEvaluator"]
