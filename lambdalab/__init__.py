"""lambdalab: AWS Lambda — Patterns and Production, run on your own machine.

The one import a notebook needs::

    import lambdalab
    box = lambdalab.sandbox()                      # the local AWS sandbox (moto on 127.0.0.1)
    fn = lambdalab.deploy("hello", code=SOURCE)    # a function on real execution environments
    result = fn.invoke({"name": "Ada"})            # payload, error, logs and REPORT figures

Names are loaded on first use, so ``import lambdalab`` (and the ``lambdalab`` command, and grading)
costs nothing until the sandbox is actually wanted.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lambdalab.deferred_imports import defer_iri_grammars

defer_iri_grammars()  # before anything imports jsonschema: saves every kernel and worker a second

_EXPORTS = {
    "POWERTOOLS_LAYER_ARN": "lambdalab.service.public_layers",
    "Function": "lambdalab.functions",
    "deploy": "lambdalab.functions",
    "flush_logs": "lambdalab.functions",
    "get_function": "lambdalab.functions",
    "list_functions": "lambdalab.functions",
    "Invocation": "lambdalab.runtime.results",
    "Report": "lambdalab.runtime.results",
    "Sandbox": "lambdalab.aws_sandbox",
    "sandbox": "lambdalab.aws_sandbox",
    "ReplayedRequest": "lambdalab.service.replay",
    "replay": "lambdalab.service.replay",
    "TooManyRequests": "lambdalab.service.concurrency",
    "api_url": "lambdalab.addresses",
    "function_url": "lambdalab.addresses",
}
__all__ = [
    "POWERTOOLS_LAYER_ARN",
    "Function",
    "Invocation",
    "ReplayedRequest",
    "Report",
    "Sandbox",
    "TooManyRequests",
    "api_url",
    "deploy",
    "flush_logs",
    "function_url",
    "get_function",
    "list_functions",
    "replay",
    "sandbox",
]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from lambdalab.addresses import api_url, function_url
    from lambdalab.aws_sandbox import Sandbox, sandbox
    from lambdalab.functions import Function, deploy, flush_logs, get_function, list_functions
    from lambdalab.runtime.results import Invocation, Report
    from lambdalab.service.concurrency import TooManyRequests
    from lambdalab.service.public_layers import POWERTOOLS_LAYER_ARN
    from lambdalab.service.replay import ReplayedRequest, replay


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lambdalab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
