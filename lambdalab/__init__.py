"""lambdalab: AWS Lambda — Patterns and Production, run on your own machine.

The one import a notebook needs::

    import lambdalab
    box = lambdalab.sandbox()                      # the local AWS sandbox (moto on 127.0.0.1)
    fn = lambdalab.deploy("hello", code=SOURCE)    # a function on real execution environments
    result = fn.invoke({"name": "Ada"})            # payload, error, logs and REPORT figures
"""

from lambdalab.functions import Function, deploy, flush_logs, get_function, list_functions
from lambdalab.runtime.results import Invocation, Report
from lambdalab.sandbox import Sandbox, sandbox
from lambdalab.service.replay import ReplayedRequest, replay

__all__ = [
    "Function",
    "Invocation",
    "ReplayedRequest",
    "Report",
    "Sandbox",
    "deploy",
    "flush_logs",
    "get_function",
    "list_functions",
    "replay",
    "sandbox",
]
__version__ = "0.1.0"
