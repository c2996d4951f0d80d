"""Probes: small handlers the grader deploys beside a learner's answer to call into it and report what happened.

Each ``<name>.py`` here is deployed, unchanged, as ``lambdalab_probe.py`` in the checked function (see
``lambdalab.grading.fixtures.deploy_with_probe``); ``lambdalab_answer.py`` goes with every probe and imports the
learner's module. They are files, not strings, so that they are linted and read like the rest of the package;
they run only inside execution environments and the grader never imports them. Files named ``lab..._`` that
are not probes are the small functions a check deploys as targets (a function that holds its slot, an echo).

The names below keep the older spelling working: ``deploy_with_probe(answer, FILE, FUNCTION_PROBE, ...)``.
"""

from lambdalab.grading.fixtures import answer_source, deploy_with_probe, describe_failure

#: Calls the answer's function once per keyword-argument dict in ``event["calls"]``.
FUNCTION_PROBE = "function_calls"

__all__ = ["FUNCTION_PROBE", "answer_source", "deploy_with_probe", "describe_failure"]
