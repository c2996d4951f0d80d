"""A third-party import that costs a second and is almost never used, deferred to its first use.

jsonschema — which moto's API Gateway, cfn-lint and Jupyter all import — loads ``rfc3987_syntax`` for its
``iri`` and ``iri-reference`` format checks, and that module compiles some 35 Earley grammars with Lark the
moment it is imported: about a second of CPU in every process that imports jsonschema (a kernel's first
API Gateway call, every test worker), for checks nothing in the course runs. jsonschema's maintainers know
(python-jsonschema/jsonschema#1428, checked December 2026); until the import is lazy upstream, this module
puts a stand-in in its place that imports the real module on first use. The checks behave exactly the
same; they just pay their cost when, if ever, they run.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

_NAME = "rfc3987_syntax"
_DEFERRED = "__lambdalab_deferred__"
_lock = threading.Lock()


def defer_iri_grammars() -> None:
    """Put the stand-in in ``sys.modules`` unless the real module is already loaded or not installed."""
    if _NAME in sys.modules or importlib.util.find_spec(_NAME) is None:
        return
    stand_in = types.ModuleType(_NAME, "Stands in for rfc3987_syntax until first use (lambdalab.deferred_imports).")

    def is_valid_syntax(term: str, value: str) -> bool:
        return _real().is_valid_syntax(term, value)

    def module_getattr(name: str) -> object:  # anything else anyone asks the module for
        if name.startswith("__"):  # the import system asks for __path__ and friends: not a use
            raise AttributeError(name)
        return getattr(_real(), name)

    stand_in.is_valid_syntax = is_valid_syntax  # what jsonschema imports by name
    stand_in.__getattr__ = module_getattr  # type: ignore[method-assign]
    setattr(stand_in, _DEFERRED, True)
    sys.modules[_NAME] = stand_in


def _real() -> types.ModuleType:
    """The real module, imported now if it was not yet (once, whichever thread asks first)."""
    with _lock:
        current = sys.modules.get(_NAME)
        if current is not None and not getattr(current, _DEFERRED, False):
            return current
        sys.modules.pop(_NAME, None)
        try:
            return importlib.import_module(_NAME)
        except BaseException:
            if current is not None:
                sys.modules[_NAME] = current
            raise
