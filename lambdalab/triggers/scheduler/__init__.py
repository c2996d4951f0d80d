"""EventBridge Scheduler: schedules (``create_schedule``, boto3 or ``aws scheduler``) with their expressions
(:mod:`.expressions`: ``at()``, ``rate()``, ``cron()`` in a time zone), AWS's checks on moto's API
(:mod:`.moto_patch`) and the runner that fires them on the sandbox clock (:mod:`.runner`). The EventBridge
trigger (:mod:`lambdalab.triggers.eventbridge`) starts and drives them beside the scheduled rules."""
