"""moto's request routing without a directory scan per request.

For every request its server receives, moto's ``DomainDispatcherApplication.get_backend_for_host`` asks
``moto.backends.list_of_moto_modules()``, which lists moto's package folder and stats each of its ~170
entries: about 0.4 ms of CPU per request, under the GIL every thread of the sandbox shares (a mapping's
``SendMessageBatch``, a warm ``Invoke``, every poll of a notebook). The folder cannot change while the
process runs, so the names are read once; the routing decisions are moto's own, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

_names: tuple[str, ...] | None = None


def install() -> None:
    """Replace ``moto.backends.list_of_moto_modules`` with a reader of the names listed once (idempotent)."""
    from moto import backends

    if getattr(backends.list_of_moto_modules, "_lambdalab_cached", False):
        return
    scan = backends.list_of_moto_modules

    def list_of_moto_modules() -> Iterator[str]:
        global _names
        if _names is None:
            _names = tuple(scan())
        return iter(_names)

    list_of_moto_modules._lambdalab_cached = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules
