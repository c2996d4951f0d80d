"""Calls the learner's function once per keyword-argument dict in ``event["calls"]``; returns the results."""

import lambdalab_answer

_answer = lambdalab_answer.load_module()


def handler(event, context):
    function = getattr(_answer, lambdalab_answer.FUNCTION)
    return [function(**kwargs) for kwargs in event["calls"]]
