"""The first code an execution environment runs: it gives the handler exactly what AWS's Python runtime gives.

On AWS a handler can import the standard library, the AWS SDK the runtime bundles (boto3, botocore and their
dependencies), its own package (``/var/task``) and its layers (``/opt/python``) — nothing else. Here the
interpreter is the course's, whose environment also holds requests, numpy, lambdalab…, so the environment's
process is started with ``-s -S -P`` (no user or site folders, no script folder on the path: only the
standard library is importable) and this file assembles the path a handler sees, in AWS's order:

1. the task root (the function's own package);
2. each layer's ``python/lib/pythonX.Y/site-packages``, then each layer's ``python`` (later layers first,
   because on AWS a later layer's files replace an earlier one's in ``/opt``);
3. the folder(s) holding the runtime's SDK, through a path-entry finder that finds only the SDK's own
   top-level modules there;
4. the standard library.

The runtime interface client itself (awslambdaric with its simplejson, or lambdalab's built-in clients) is
imported before the handler's path is in place, then its top-level names are dropped from ``sys.modules``,
so ``import awslambdaric`` in a handler fails as ``import lambdalab`` does; the client keeps working
because its modules stay referenced (and its submodules stay cached for its own lazy imports).

What to load comes in the ``_LAMBDALAB_RUNTIME`` variable (JSON), which is removed before the handler's
module is imported. Standard library only: this runs before any other path exists.
"""

from __future__ import annotations

import json
import os
import re
import sys

SPEC_VARIABLE = "_LAMBDALAB_RUNTIME"
PR_SET_CHILD_SUBREAPER = 36  # prctl option, <linux/prctl.h>


class _OnlyTheseModules:
    """A path-entry finder for a site-packages folder that finds only the named top-level modules there.

    Submodules are found through their package's ``__path__`` by the ordinary finder, so only the top
    level needs guarding.
    """

    def __init__(self, finder: object, names: frozenset[str]) -> None:
        self._finder = finder
        self._names = names

    def find_spec(self, fullname: str, target: object = None) -> object:
        if fullname.partition(".")[0] not in self._names:
            return None
        return self._finder.find_spec(fullname, target)

    def invalidate_caches(self) -> None:
        self._finder.invalidate_caches()


def _ordinary_finder(folder: str, hooks: list[object]) -> object:
    for hook in hooks:
        try:
            return hook(folder)
        except ImportError:
            continue
    raise ImportError(f"no finder for {folder}")


def restrict(folders: dict[str, list[str]]) -> object:
    """Make each folder (a sys.path entry) yield only the given top-level modules; returns the path hook."""
    guarded = {os.path.normcase(os.path.abspath(f)): frozenset(names) for f, names in folders.items()}
    ordinary = list(sys.path_hooks)

    def hook(entry: str) -> object:
        names = guarded.get(os.path.normcase(os.path.abspath(entry or ".")))
        if names is None:
            raise ImportError(entry)
        return _OnlyTheseModules(_ordinary_finder(entry, ordinary), names)

    sys.path_hooks.insert(0, hook)
    for folder in folders:
        sys.path_importer_cache.pop(folder, None)
    return hook


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def restrict_metadata(folders: dict[str, list[str]], distributions: list[str]) -> None:
    """Make ``importlib.metadata`` see, in those folders, only the named distributions (as AWS's runtime has)."""
    import importlib.machinery

    guarded = {os.path.normcase(os.path.abspath(f)) for f in folders}
    allowed = {_normalized(name) for name in distributions}
    find = importlib.machinery.PathFinder.find_distributions

    def find_distributions(*args: object, **kwargs: object) -> object:
        for distribution in find(*args, **kwargs):
            folder = os.path.normcase(os.path.abspath(str(distribution.locate_file(""))))
            if folder not in guarded or _normalized(distribution.metadata["Name"] or "") in allowed:
                yield distribution

    importlib.machinery.PathFinder.find_distributions = staticmethod(find_distributions)


def _forget(names: list[str]) -> None:
    """Drop the client's top-level modules from the import cache: present for the client, absent for imports."""
    for name in names:
        sys.modules.pop(name, None)


def _load_awslambdaric(client_folders: dict[str, list[str]]) -> object:
    saved = list(sys.path)
    sys.path[:0] = list(client_folders)
    hook = restrict(client_folders)
    try:
        import awslambdaric.__main__ as entry
        from awslambdaric import lambda_literals  # noqa: F401 - imported lazily by awslambdaric on an init error
    finally:
        sys.path[:] = saved
        sys.path_hooks.remove(hook)
        for folder in client_folders:
            sys.path_importer_cache.pop(folder, None)
    return entry


def become_subreaper() -> None:
    """Adopt every orphan among this process's descendants (Linux), so none escapes the environment's end.

    A handler's child that starts its own session and exits, leaving a grandchild behind (a daemon), would
    otherwise be re-parented to init and outlive the environment; as a child subreaper, this process
    inherits it, so ending this process's tree ends it too.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def main() -> int:
    become_subreaper()
    spec = json.loads(os.environ.pop(SPEC_VARIABLE))
    handler = spec["handler"]
    client = spec["client"]
    client_folders: dict[str, list[str]] = spec.get("client_modules", {})
    entry = _load_awslambdaric(client_folders) if client == "awslambdaric" else None
    stdlib = list(sys.path)
    sys.path[:] = [*spec["path"], *stdlib]
    restrict(spec.get("sdk_modules", {}))
    restrict_metadata(spec.get("sdk_modules", {}), spec.get("sdk_distributions", []))
    _forget([name for names in client_folders.values() for name in names])
    # What ``site`` would add that a handler may use (exit(), help()), without its folders.
    import site

    site.setquit()
    site.setcopyright()
    site.sethelper()
    if entry is not None:
        sys.argv = [entry.__file__, handler]
        entry.main(sys.argv)
        return 0
    import runpy

    sys.argv = [client, handler]
    runpy.run_path(client, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
