"""Run a callback when a module is first imported, so a costly module is patched without importing it early.

Importing ``moto.rds.models`` takes seconds (it pulls in EC2, KMS, Secrets Manager…); moto's server imports
it on the first RDS request. Patching it at sandbox start would make every sandbox pay for RDS, used or
not; instead the patch is applied the moment anything (the first RDS request, a CloudFormation stack)
imports it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable
from types import ModuleType

_lock = threading.Lock()


def when_imported(name: str, callback: Callable[[], None]) -> None:
    """Call ``callback()`` once ``name`` is imported (now, if it already is)."""
    with _lock:
        if name not in sys.modules:
            sys.meta_path.insert(0, _Finder(name, callback))
            return
    callback()


class _Finder(importlib.abc.MetaPathFinder):
    """Finds ``name`` through the other finders and runs the callback after its module has executed."""

    def __init__(self, name: str, callback: Callable[[], None]) -> None:
        self.name = name
        self.callback = callback

    def find_spec(self, fullname: str, path: object = None, target: ModuleType | None = None) -> object:
        if fullname != self.name:
            return None
        with _lock:
            if self in sys.meta_path:
                sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader, callback = spec.loader, self.callback
        run_module = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run_module(module)
            sys.modules[fullname] = module  # the callback imports from it
            callback()

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec
