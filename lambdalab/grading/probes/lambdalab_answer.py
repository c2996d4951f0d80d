"""Deployed beside every probe: imports the learner's module, whose name the grader wrote next to this file.

The grader writes ``lambdalab_answer.json`` ({"module": ..., "function": ...}) when it deploys a probe, so
the probe itself is deployed exactly as it is written in the package.
"""

import importlib
import json
from pathlib import Path

_NAMES = json.loads(Path(__file__).with_suffix(".json").read_text(encoding="utf-8"))

#: The name of the function the exercise asks for (``handler``, ``classify``, ...).
FUNCTION = _NAMES["function"]


def load_module():
    """Import the learner's module (its import runs here, in the probe's own init)."""
    return importlib.import_module(_NAMES["module"])
